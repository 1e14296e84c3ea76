"""Warm query latency (retrieval only) of the dense leg, the BM25 leg and hybrid search.

Usage: python bench/query_bench.py [--sizes 10000 100000] [--queries 200] [--out bench/results]

The corpus is generated text (the ingestion benchmark's generator: seed articles with new
places and figures), parsed and chunked by the real pipeline, so BM25 sees real token
statistics. Chunk and sentence vectors are random unit vectors: flat search costs the same
whatever the vectors hold, and embedding 100k chunks would take hours here. Query vectors are
embedded once beforehand, so the timings are retrieval alone; the embedder's own query time
is reported beside them. Writes query.json and query.md.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ingest_bench import generate  # noqa: E402
from qa.chunking import sentences  # noqa: E402
from qa.config import DEFAULTS  # noqa: E402
from qa.embeddings import UseEmbedder  # noqa: E402
from qa.evaluation import load_questions  # noqa: E402
from qa.ingest import embedding_text, parse_file  # noqa: E402
from qa.lexical import tokenize  # noqa: E402
from qa.retrieval import HybridRetriever, normalise_query  # noqa: E402
from qa.store import KnowledgeBase, PreparedDocument, apply_changes  # noqa: E402

DIM = 512


class PrecomputedQueries:
    """An embedder that returns query vectors computed beforehand: timings exclude the model."""

    name, dim = "bench-random-vectors", DIM

    def __init__(self, vectors: dict[str, np.ndarray]) -> None:
        self.vectors = vectors

    def embed_query(self, text: str) -> np.ndarray:
        return self.vectors[text]


def build(folder: Path, corpus: Path, n_chunks: int, rng: np.random.Generator) -> int:
    """A knowledge base of about n_chunks generated chunks; returns the chunk count."""
    additions, total, reports = [], 0, 0
    while total < n_chunks:
        batch = corpus / f"batch{reports}"
        generate(batch, 500, seed=reports)
        for path in sorted(batch.glob("*.txt")):
            doc = parse_file(path, DEFAULTS)
            chunks = [(a, c) for a in doc.articles for c in a.chunks]
            counts = [len(sentences(c.text)) for _, c in chunks]
            additions.append(
                PreparedDocument(
                    doc,
                    _unit(rng, len(chunks)),
                    [tokenize(embedding_text(a, c.section, c.text)) for a, c in chunks],
                    _unit(rng, sum(counts)),
                    np.repeat(np.arange(len(chunks)), counts),
                )
            )
            total += len(chunks)
            if total >= n_chunks:
                break
        reports += 500
    apply_changes(folder, PrecomputedQueries.name, DIM, additions, [])
    return total


def _unit(rng: np.random.Generator, n: int) -> np.ndarray:
    v = rng.standard_normal((n, DIM), dtype=np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def percentiles(samples: list[float]) -> dict[str, float]:
    ms = np.array(samples) * 1000
    return {"p50_ms": round(float(np.percentile(ms, 50)), 2), "p95_ms": round(float(np.percentile(ms, 95)), 2)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()

    questions = [q["question"] for q in load_questions(ROOT / "tests" / "data" / "dev_questions.jsonl")]
    questions = (questions * (args.queries // len(questions) + 1))[: args.queries]
    use = UseEmbedder()
    use.embed_query("预热")
    embed_times, vectors = [], {}
    for q in questions:
        start = time.perf_counter()
        vectors[normalise_query(q)] = use.embed_query(normalise_query(q))
        embed_times.append(time.perf_counter() - start)

    rows = []
    work = Path(tempfile.mkdtemp(prefix="qa-query-bench-"))
    try:
        for size in args.sizes:
            folder = work / f"kb{size}"
            start = time.perf_counter()
            chunks = build(folder, work / f"corpus{size}", size, np.random.default_rng(size))
            build_seconds = time.perf_counter() - start
            kb = KnowledgeBase(folder)
            retriever = HybridRetriever(
                kb, PrecomputedQueries(vectors), candidates=int(DEFAULTS["retrieval"]["candidates"])
            )
            row = {"chunks": chunks, "sentences": int(kb.sentences.ntotal), "build_seconds": round(build_seconds, 1)}
            for mode in ("dense", "lexical", "hybrid"):
                for q in questions[:10]:  # warm caches
                    retriever.retrieve(q, 10, mode=mode)
                times = []
                for q in questions:
                    start = time.perf_counter()
                    retriever.retrieve(q, 10, mode=mode)
                    times.append(time.perf_counter() - start)
                row[mode] = percentiles(times)
            kb.close()
            rows.append(row)
            print(json.dumps(row, ensure_ascii=False), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    figures = {
        "query_embedding_use": percentiles(embed_times),
        "sizes": rows,
        "queries": args.queries,
        "machine": f"{platform.machine()}, {platform.python_version()}, cores={__import__('os').cpu_count()}",
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "query.json").write_text(json.dumps(figures, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    lines = [
        "| chunks | sentence vectors | dense p50 / p95 ms | BM25 p50 / p95 ms | hybrid p50 / p95 ms |",
        "|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        cells = [f"{r[m]['p50_ms']} / {r[m]['p95_ms']}" for m in ("dense", "lexical", "hybrid")]
        lines.append(f"| {r['chunks']:,} | {r['sentences']:,} | " + " | ".join(cells) + " |")
    emb = figures["query_embedding_use"]
    table = "\n".join(lines)
    (args.out / "query.md").write_text(
        "# Query latency benchmark\n\n"
        f"Command: `python bench/query_bench.py --sizes {' '.join(map(str, args.sizes))}`"
        f" ({args.queries} dev-set questions, k=10, one query at a time, warm; {figures['machine']})\n\n"
        f"{table}\n\nQuery embedding with the default USE model, not included above: "
        f"p50 {emb['p50_ms']} ms, p95 {emb['p95_ms']} ms.\n",
        encoding="utf-8",
    )
    print(table)
    print(f"USE query embedding p50 {emb['p50_ms']} ms, p95 {emb['p95_ms']} ms")


if __name__ == "__main__":
    main()
