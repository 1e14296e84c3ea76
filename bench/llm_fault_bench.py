"""How answers fare when the LLM endpoint misbehaves: for each fault of a local OpenAI-protocol server
(hang, 429, 500, a stream cut midway, a body that is not JSON, a trickling stream), the time until the
answer is complete, the mode it ended in and the reason shown, with llm.timeout = 3 s.

Usage: python bench/llm_fault_bench.py [--repeats 3] [--out bench/results]   (writes llm_faults.json/.md)
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TIMEOUT = 3.0
FAULTS = {
    "none (a healthy endpoint)": {},
    "hang (no answer for 60 s)": {"delay": 60.0},
    "429": {"status": 429},
    "500": {"status": 500},
    "stream cut midway": {"fault": "cut"},
    "body not JSON": {"fault": "malformed"},
    "trickle (a piece a second)": {"pause": 1.0},
}
QUESTION = "思南县完成了多少支驻村工作队选派？"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()

    from qa.answer.answerer import Answerer
    from qa.answer.llm import ChatClient
    from qa.embeddings import HashEmbedder
    from qa.index.knowledge_base import KnowledgeBase
    from qa.ingest.pipeline import ingest_paths
    from qa.search.hybrid import HybridRetriever
    from qa.settings import Settings
    from tests.fake_llm import FakeLLM

    rows = []
    with tempfile.TemporaryDirectory(prefix="qa-faults-") as tmp:
        folder = Path(tmp) / "default"
        embedder = HashEmbedder()
        ingest_paths(
            [ROOT / "seeds"], folder, Settings(index_dir=tmp).replace(embedding={"model": "hash-test"}), embedder
        )
        kb = KnowledgeBase(folder)
        for name, fault in FAULTS.items():
            with FakeLLM() as server:
                server.reply = "思南县选派了301支驻村工作队[1]。" * 8
                for key, value in fault.items():
                    setattr(server, key, value)
                settings = Settings(index_dir=tmp).replace(
                    embedding={"model": "hash-test"},
                    llm={
                        "provider": "openai",
                        "base_url": server.base_url,
                        "model": "fake",
                        "max_retries": 0,
                        "timeout": TIMEOUT,
                    },
                )
                answerer = Answerer(HybridRetriever(kb, embedder), settings, ChatClient(settings.llm))
                times, modes, notices = [], set(), set()
                for _ in range(args.repeats):
                    start = time.perf_counter()
                    answer = answerer.ask(QUESTION)
                    times.append(time.perf_counter() - start)
                    modes.add(answer.mode)
                    notices.add(answer.notice.split("：")[0][-40:] if answer.notice else "")
                rows.append(
                    {
                        "fault": name,
                        "seconds_p50": round(statistics.median(times), 2),
                        "seconds_max": round(max(times), 2),
                        "answered_in": "/".join(sorted(modes)),
                        "holds 301支": "301支" in answer.text,
                        "reason shown": " / ".join(sorted(notices)) or "—",
                    }
                )
        kb.close()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "llm_faults.json").write_text(json.dumps(rows, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    head = "| fault | seconds p50 | seconds max | answered in | holds 301支 | reason shown |"
    lines = [head, "|---|---:|---:|---|---|---|"] + [
        f"| {r['fault']} | {r['seconds_p50']} | {r['seconds_max']} | {r['answered_in']} | {r['holds 301支']} | {r['reason shown']} |"
        for r in rows
    ]
    table = "\n".join(lines)
    (args.out / "llm_faults.md").write_text(
        f"# Answers when the LLM endpoint fails\n\nCommand: `python bench/llm_fault_bench.py --repeats {args.repeats}` "
        f"(llm.timeout {TIMEOUT:g} s; the endpoint is a local OpenAI-protocol server on 127.0.0.1; each answer asks "
        f"the model twice: the question's official wording, then the answer)\n\n{table}\n",
        encoding="utf-8",
    )
    print(table)


if __name__ == "__main__":
    main()
