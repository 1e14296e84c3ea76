"""Ingestion throughput, peak memory, disk, query latency and IVF recall on a corpus.

Usage: python bench/ingest_bench.py [--reports 2000] [--out bench/results]
       python bench/ingest_bench.py --source ../shared/devdata/cctv_full --name cctv_full

Without --source, reports are generated from the seed articles: each gets its own place name, its points
shuffled and its figures changed, so that chunking, embedding and BM25 see realistic text of realistic
length. With --source, a folder of real text is ingested as it is (e.g. the 1,683 《新闻联播》 broadcasts).
Prints a table and writes ingest[_NAME].json and .md to the results folder.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import re
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.embeddings import UseEmbedder  # noqa: E402
from qa.ingest.pipeline import ingest_paths, parse_file  # noqa: E402
from qa.settings import Settings  # noqa: E402

SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜"
PLACE_CHARS = "安平兴宁和丰清河山阳泉林江川石桥云台城新华东西南北中"


def generate(out: Path, n_reports: int, seed: int = 7) -> int:
    rng = random.Random(seed)
    articles = [a for p in sorted((ROOT / "seeds").glob("*.txt")) for a in parse_file(p, Settings()).articles]
    articles = [a for a in articles if len(a.chunks) >= 3]
    out.mkdir(parents=True, exist_ok=True)
    total_chars = 0
    for i in range(n_reports):
        source = rng.choice(articles)
        county = "".join(rng.sample(PLACE_CHARS, 2)) + "县"
        paragraphs = source.text.split("\n")
        head, rest = paragraphs[:1], paragraphs[1:]
        rng.shuffle(rest)
        body = "\n".join(head + rest)
        body = re.sub(r"\d+", lambda m: str(int(m.group()) + rng.randint(1, 9)), body)
        body = re.sub(r"(思南县|开平市|万山区|偏坡布依族乡|蓼皋街道|台头村|新景镇|我市|\*\*州)", county, body)
        author = rng.choice(SURNAMES) + rng.choice(PLACE_CHARS)
        text = f"{county}：{source.title}\n\n{author}\n\n近年来,{county}坚持党建引领。{body}\n"
        (out / f"report_{i:05d}.txt").write_text(text, encoding="utf-8" if i % 3 else "gbk", errors="ignore")
        total_chars += len(text)
    return total_chars


class TimedEmbedder:
    def __init__(self, inner) -> None:
        self.inner, self.name, self.seconds = inner, inner.name, 0.0

    @property
    def dim(self) -> int:
        return self.inner.dim

    def embed_documents(self, texts):
        start = time.perf_counter()
        try:
            return self.inner.embed_documents(texts)
        finally:
            self.seconds += time.perf_counter() - start

    def embed_query(self, text):
        return self.inner.embed_query(text)


def ivf_recall(folder: Path, embedder, questions: Path) -> dict:
    """Recall@10 of an IVF index (as the store builds one) against exact search, on this corpus's real
    chunk embeddings, queried with a question set, at the default nprobe and around it: the scale
    benchmark's recall is measured on generated vectors, this is the check on real ones."""
    import numpy as np

    from qa.index.knowledge_base import KnowledgeBase
    from qa.index.vectors import NPROBE, chunk_index, ivf_lists
    from qa.search.evaluation import load_questions

    kb = KnowledgeBase(folder)
    _, matrix = kb.vectors.chunk_vectors()
    kb.close()
    exact, approximate = chunk_index(matrix, len(matrix)), chunk_index(matrix, 0)
    queries = [embedder.embed_query(item["question"]).astype(np.float32) for item in load_questions(questions)]
    figures: dict = {"ivf_lists": ivf_lists(len(matrix)), "ivf_nprobe": NPROBE, "ivf_recall_queries": len(queries)}
    for nprobe in sorted({8, 16, NPROBE, 64}):
        approximate.nprobe = nprobe
        recall = []
        for query in queries:
            truth, found = (
                exact.search(query.reshape(1, -1), 10)[1][0],
                approximate.search(query.reshape(1, -1), 10)[1][0],
            )
            recall.append(len(set(truth) & set(found)) / 10)
        key = "ivf_recall_at_10_real_embeddings" if nprobe == NPROBE else f"ivf_recall_at_10_nprobe_{nprobe}"
        figures[key] = round(float(np.mean(recall)), 4)
    return figures


def query_latency(folder: Path, embedder, questions: Path) -> dict:
    """p50/p95 of one hybrid retrieval (both legs, fusion, relevance gate) over a question set."""
    import numpy as np

    from qa.index.knowledge_base import KnowledgeBase
    from qa.search.evaluation import load_questions
    from qa.search.hybrid import HybridRetriever

    retriever = HybridRetriever(KnowledgeBase(folder), embedder)
    timings = []
    for item in load_questions(questions):
        start = time.perf_counter()
        retriever.retrieve(item["question"], 10)
        timings.append((time.perf_counter() - start) * 1000)
    return {
        "query_p50_ms": round(float(np.percentile(timings, 50)), 1),
        "query_p95_ms": round(float(np.percentile(timings, 95)), 1),
        "query_count": len(timings),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=2000)
    parser.add_argument("--source", type=Path, help="a folder of real text to ingest instead of generated reports")
    parser.add_argument("--name", default="", help="suffix of the result files (ingest_NAME.md)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()
    questions = ROOT / "tests" / "data" / ("cctv_rural_questions.jsonl" if args.source else "dev_questions.jsonl")

    work = Path(tempfile.mkdtemp(prefix="qa-bench-"))
    try:
        if args.source:
            corpus = args.source.resolve()
            files = sorted(p for p in corpus.rglob("*") if p.is_file())
            chars = sum(len(p.read_text(encoding="utf-8", errors="ignore")) for p in files)
            args.reports = len(files)
        else:
            corpus = work / "corpus"
            chars = generate(corpus, args.reports)
        settings = Settings(index_dir=str(work / "index"))
        embedder = TimedEmbedder(UseEmbedder())
        embedder.embed_documents(["预热"])  # model load is a one-off, not throughput
        embedder.seconds = 0.0
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.perf_counter()
        results = ingest_paths([corpus], Path(settings.index_dir) / "default", settings, embedder)
        total = time.perf_counter() - start
        start = time.perf_counter()
        again = ingest_paths([corpus], Path(settings.index_dir) / "default", settings, embedder)
        unchanged = time.perf_counter() - start
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        chunks = sum(r.chunks for r in results)
        index_mb = sum(f.stat().st_size for f in (work / "index").rglob("*") if f.is_file()) / 2**20
        figures = {
            "reports": args.reports,
            "indexed": sum(r.status == "indexed" for r in results),
            "failed": sum(r.status == "failed" for r in results),
            "characters": chars,
            "chunks": chunks,
            "seconds_total": round(total, 2),
            "chunks_per_second": round(chunks / total, 1),
            "embedder": embedder.name,
            "seconds_embedding": round(embedder.seconds, 2),
            "embedding_share": round(embedder.seconds / total, 3),
            "peak_rss_mb": round(peak_mb, 1),
            "rss_before_ingest_mb": round(rss_before / 1024, 1),
            "index_size_mb": round(index_mb, 1),
            "reingest_unchanged_seconds": round(unchanged, 2),
            "reingest_unchanged_statuses": sorted({r.status for r in again}),
            **query_latency(Path(settings.index_dir) / "default", embedder, questions),
            **ivf_recall(Path(settings.index_dir) / "default", embedder, questions),
            "machine": f"{platform.machine()}, {platform.python_version()}, cores={__import__('os').cpu_count()}",
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = f"ingest_{args.name}" if args.name else "ingest"
    (args.out / f"{stem}.json").write_text(json.dumps(figures, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    lines = ["| figure | value |", "|---|---|"] + [f"| {k} | {v} |" for k, v in figures.items()]
    table = "\n".join(lines)
    command = (
        " ".join(["python bench/ingest_bench.py", *sys.argv[1:]]) if sys.argv[1:] else "python bench/ingest_bench.py"
    )
    (args.out / f"{stem}.md").write_text(
        f"# Ingestion benchmark\n\nCommand: `{command}`\n\n{table}\n", encoding="utf-8"
    )
    print(table)


if __name__ == "__main__":
    main()
