"""The web app under load: concurrent chats through gradio_client against the local fake LLM, a search
("hit test") timed before and during the load, and an upload in the middle of it.

Usage: python bench/load_bench.py [--chats 100] [--users 20] [--embedder hash-test|default] [--out bench/results]

The server is `qa serve` in a process of its own on 127.0.0.1 (its knowledge base: the seed reports),
configured to use a local OpenAI-protocol server that streams each answer in pieces. Writes load.json
and load.md: chat latency p50/p95, errors by kind, search latency idle and under load, and the upload's
time and whether chats kept finishing while it ran.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUESTIONS = [
    "思南县完成了多少支驻村工作队选派？",
    "积分超市是怎么运作的？",
    "开平市按什么比例配足村党组织书记后备人选？",
    "怎样让年轻社区工作者快速成长？",
    "台头村村集体经济怎么发展？",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(work: Path, llm_url: str, embedder: str, command: str = "serve") -> tuple[subprocess.Popen, str]:
    """``qa serve`` (or ``qa api``) in a process of its own over the seed reports, with the LLM at
    ``llm_url``; returns the process and its base URL once it answers."""
    import httpx

    config = work / "config.yaml"
    config.write_text(
        f"index_dir: {work / 'index'}\n"
        f"embedding:\n  model: {embedder}\n"
        f"llm:\n  provider: openai\n  base_url: {llm_url}\n  model: fake\n  max_retries: 0\n  timeout: 60\n",
        encoding="utf-8",
    )
    qa = [sys.executable, "-m", "qa.app.cli"]
    subprocess.run([*qa, "ingest", str(ROOT / "seeds"), "--config", str(config)], check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen(
        [*qa, command, "--port", str(port), "--config", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/"
    ready = url if command == "serve" else f"{url}v1/models"
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            if httpx.get(ready, timeout=2).status_code == 200:
                return server, url
        except httpx.HTTPError:
            time.sleep(0.3)
    server.kill()
    raise RuntimeError("server did not start")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def run(chats: int, users: int, embedder: str) -> dict:
    from gradio_client import Client, handle_file

    from tests.fake_llm import FakeLLM

    with FakeLLM() as llm, tempfile.TemporaryDirectory(prefix="qa-load-") as tmp:
        llm.reply = "思南县选派了301支驻村工作队[1]，推行“积分超市”[2]。各地做法见资料[3]。"
        llm.pause = 0.02  # an answer streams in ~10 pieces, like a fast endpoint
        work = Path(tmp)
        server, url = start_server(work, llm.base_url, embedder)
        try:
            clients = [Client(url, verbose=False) for _ in range(users)]
            search = clients[0]

            def hit_test() -> float:
                start = time.perf_counter()
                table = search.predict("default", "积分超市", 3, api_name="/search")
                assert table["data"], "search returned nothing"
                return time.perf_counter() - start

            idle = [hit_test() for _ in range(5)]
            errors: Counter[str] = Counter()
            latencies: list[float] = []
            finished_at: list[float] = []
            lock = threading.Lock()

            def chat(n: int) -> None:
                client = clients[n % users]
                start = time.perf_counter()
                try:
                    job = client.submit(
                        QUESTIONS[n % len(QUESTIONS)], [], None, "default", "", "", "", "", api_name="/ask"
                    )
                    outputs = job.result(timeout=600)
                    reply = outputs[1][-1]["content"]
                    assert "301" in str(reply) or "资料" in str(reply), reply
                    with lock:
                        latencies.append(time.perf_counter() - start)
                        finished_at.append(time.perf_counter())
                except Exception as exc:  # counted by kind: the figure this benchmark exists for
                    with lock:
                        errors[f"{type(exc).__name__}: {str(exc)[:80]}"] += 1

            upload = work / "upload.txt"
            upload.write_text(
                (ROOT / "seeds" / sorted(p.name for p in (ROOT / "seeds").glob("*.txt"))[0]).read_text(encoding="utf-8")
                + "\n新增材料。",
                encoding="utf-8",
            )
            loaded: list[float] = []
            upload_window: list[float] = []
            start_all = time.perf_counter()
            with ThreadPoolExecutor(max_workers=chats) as pool:
                futures = [pool.submit(chat, n) for n in range(chats)]
                time.sleep(1.0)
                for _ in range(5):
                    loaded.append(hit_test())
                began = time.perf_counter()
                uploaded = clients[1].predict("default", [handle_file(str(upload))], api_name="/ingest")
                upload_window = [began, time.perf_counter()]
                for future in futures:
                    future.result()
            total = time.perf_counter() - start_all
            during_upload = sum(upload_window[0] <= t <= upload_window[1] for t in finished_at)
        finally:
            server.terminate()
            server.wait(timeout=30)
    return {
        "chats": chats,
        "users (gradio_client sessions)": users,
        "embedder": embedder,
        "completed": len(latencies),
        "errors": dict(errors),
        "chat_p50_s": round(statistics.median(latencies), 2) if latencies else None,
        "chat_p95_s": round(percentile(latencies, 0.95), 2),
        "all_chats_done_s": round(total, 1),
        "search_idle_p50_ms": round(statistics.median(idle) * 1000, 1),
        "search_under_load_p50_ms": round(statistics.median(loaded) * 1000, 1),
        "search_under_load_max_ms": round(max(loaded) * 1000, 1),
        "upload_s": round(upload_window[1] - upload_window[0], 2),
        "upload_indexed": "已索引" in str(uploaded),
        "searches_answered_under_load": len(loaded),  # each found passages (hit_test asserts it)
        "chats_finished_while_uploading": during_upload,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chats", type=int, default=100)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument(
        "--embedder", default="default", help="hash-test for a quick run; default: the configured default model"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()
    from qa.embeddings import DEFAULT_MODEL

    embedder = DEFAULT_MODEL if args.embedder == "default" else args.embedder
    figures = run(args.chats, args.users, embedder)
    write_figures(
        args.out, "load", "The web app under load", "server and fake LLM on 127.0.0.1; machine: {cores} cores", figures
    )


def write_figures(out: Path, stem: str, heading: str, where: str, figures: dict) -> None:
    """<stem>.json and <stem>.md (a table of the figures under the command that produced them), and the
    table printed; ``where`` describes the setup, with {cores} for the machine's core count."""
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{stem}.json").write_text(json.dumps(figures, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    table = "\n".join(["| figure | value |", "|---|---|"] + [f"| {k} | {v} |" for k, v in figures.items()])
    command = " ".join([f"python bench/{Path(sys.argv[0]).name}", *sys.argv[1:]])
    setup = where.format(cores=os.cpu_count())
    (out / f"{stem}.md").write_text(f"# {heading}\n\nCommand: `{command}` ({setup})\n\n{table}\n", encoding="utf-8")
    print(table)


if __name__ == "__main__":
    main()
