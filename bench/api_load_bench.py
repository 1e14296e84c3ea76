"""The OpenAI-compatible API under load: concurrent streamed chats through the `openai` SDK against
`qa api` (a process of its own on 127.0.0.1) in LLM mode, with a local OpenAI-protocol server as the
model. Time to first token and to the end, p50/p95, and errors by kind.

Usage: python bench/api_load_bench.py [--chats 50] [--embedder default|hash-test] [--out bench/results]

Writes api_load.json and api_load.md.
"""

from __future__ import annotations

import argparse
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
REPLY = "思南县选派了301支驻村工作队[1]。推行“积分超市”激发群众参与[2]。各地做法可相互借鉴[1]。"


def run(chats: int, embedder: str) -> dict:
    import openai

    from bench.load_bench import percentile, start_server
    from tests.fake_llm import FakeLLM

    with FakeLLM() as llm, tempfile.TemporaryDirectory(prefix="qa-api-load-") as tmp:
        llm.reply = lambda messages: messages[-1]["content"] if "改写" in messages[0]["content"] else REPLY
        llm.pause = 0.05  # ~15 pieces: a model writing for about a second
        server, url = start_server(Path(tmp), llm.base_url, embedder, command="api")
        base = f"{url}v1"
        try:
            client = openai.OpenAI(base_url=base, api_key="local", max_retries=0, timeout=300)
            first_tokens: list[float] = []
            totals: list[float] = []
            errors: Counter[str] = Counter()
            lock = threading.Lock()

            def chat(n: int) -> None:
                start = time.perf_counter()
                first = None
                try:
                    stream = client.chat.completions.create(
                        model="qa-default",
                        messages=[{"role": "user", "content": QUESTIONS[n % len(QUESTIONS)]}],
                        stream=True,
                    )
                    text = ""
                    for chunk in stream:
                        piece = chunk.choices[0].delta.content if chunk.choices else None
                        if piece and first is None:
                            first = time.perf_counter() - start
                        text += piece or ""
                    assert "[1]" in text or "资料中" in text, text[:80]
                    with lock:
                        first_tokens.append(first if first is not None else float("nan"))
                        totals.append(time.perf_counter() - start)
                except openai.RateLimitError:
                    with lock:
                        errors["429 (explicit, with Retry-After)"] += 1
                except Exception as exc:  # counted by kind: the figure this benchmark exists for
                    with lock:
                        errors[f"{type(exc).__name__}: {str(exc)[:80]}"] += 1

            start_all = time.perf_counter()
            with ThreadPoolExecutor(max_workers=chats) as pool:
                list(pool.map(chat, range(chats)))
            wall = time.perf_counter() - start_all
        finally:
            server.terminate()
            server.wait(timeout=30)
    return {
        "chats": chats,
        "embedder": embedder,
        "model": "local OpenAI-protocol server, ~15 pieces 0.05 s apart",
        "completed": len(totals),
        "errors": dict(errors),
        "first_token_p50_s": round(percentile(first_tokens, 0.5), 2),
        "first_token_p95_s": round(percentile(first_tokens, 0.95), 2),
        "end_p50_s": round(percentile(totals, 0.5), 2),
        "end_p95_s": round(percentile(totals, 0.95), 2),
        "wall_s": round(wall, 1),
        "api_concurrency (api.concurrency)": 8,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chats", type=int, default=50)
    parser.add_argument(
        "--embedder", default="default", help="hash-test for a quick run; default: the configured default model"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()
    from qa.embeddings import DEFAULT_MODEL

    embedder = DEFAULT_MODEL if args.embedder == "default" else args.embedder
    from bench.load_bench import write_figures

    figures = run(args.chats, embedder)
    write_figures(
        args.out, "api_load", "The OpenAI-compatible API under load", "127.0.0.1 only; {cores} cores", figures
    )


if __name__ == "__main__":
    main()
