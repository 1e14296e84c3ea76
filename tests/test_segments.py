"""Segments: a write adds one, merges keep them few, and any sequence of writes searches exactly as
one build of the same documents would."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import qa.index.merging as merging
import qa.index.vectors as vectors
from qa.index.bm25 import K1, B, Postings, bm25_idf
from qa.index.knowledge_base import KnowledgeBase
from qa.index.merging import next_merge
from qa.index.segments import SegmentInfo
from qa.ingest.pipeline import ingest_paths, remove_documents
from qa.search.hybrid import HybridRetriever
from qa.text import char_bigrams, passage_text, tokenize

QUERIES = ("积分超市", "怎样给村班子物色接班人", "5岗20级薪酬增长机制", "乡贤参与乡村治理", "村集体经济收入")


def _info(number: int, live: int, deleted: int = 0) -> SegmentInfo:
    return SegmentInfo(number, number * 10**7, live + deleted, deleted, "flat")


def test_merge_policy():
    assert next_merge([_info(1, 100_000)] + [_info(i, 1_000) for i in range(2, 11)]) is None  # nine small
    run = next_merge([_info(1, 100_000)] + [_info(i, 1_000) for i in range(2, 12)])
    assert [s.number for s in run] == list(range(2, 12))  # ten of similar size
    # sizes either side of a power of ten are still similar
    run = next_merge([_info(i, 100_012) for i in range(1, 10)] + [_info(10, 98_996), _info(11, 1_000)])
    assert [s.number for s in run] == list(range(1, 11))
    assert [s.number for s in next_merge([_info(1, 1000), _info(2, 600, deleted=400)])] == [2]  # tombstones
    mixed = [_info(i, 50 if i % 2 else 5000) for i in range(1, 23)]  # never ten of similar size
    run = next_merge(mixed)
    assert len(run) == merging.MERGE_FACTOR and sum(s.live for s in run) == min(
        sum(s.live for s in mixed[i : i + 10]) for i in range(len(mixed) - 9)
    )
    assert next_merge(mixed[:20]) is None  # up to MAX_SEGMENTS they wait


def test_merged_postings_equal_postings_built_from_the_kept_rows(tmp_path):
    rng = np.random.default_rng(3)
    vocabulary = [f"词{i}" for i in range(40)]
    term_ids = {t: i + 1 for i, t in enumerate(vocabulary)}
    docs = [[vocabulary[j] for j in rng.integers(0, 40, rng.integers(0, 30))] for _ in range(300)]
    first, second = Postings.build(docs[:120], term_ids), Postings.build(docs[120:], {**term_ids, "新词": 41})
    keep_first, keep_second = rng.random(120) > 0.3, rng.random(180) > 0.3
    kept = [d for d, k in zip(docs, np.concatenate([keep_first, keep_second]), strict=True) if k]
    folder = tmp_path / "merged"
    Postings.merge([(first, keep_first), (second, keep_second)], folder)
    merged, rebuilt = Postings.load(folder), Postings.build(kept, term_ids)
    weights = {term_ids[t]: 1.0 + i / 10 for i, t in enumerate(vocabulary[:12])}
    np.testing.assert_allclose(merged.scores(weights, 15.0), rebuilt.scores(weights, 15.0), rtol=1e-6)
    assert np.array_equal(merged.lengths, rebuilt.lengths)


def _results(folder: Path, embedder) -> list:
    kb = KnowledgeBase(folder)
    try:
        retriever = HybridRetriever(kb, embedder)
        return [
            [
                (h.doc, h.start, round(h.lexical_score or 0, 4), round(h.dense_score or 0, 4))
                for h in retriever.search(q, 8)
            ]
            for q in QUERIES
        ]
    finally:
        kb.close()


@pytest.mark.parametrize("merge_factor", [1000, 3])
def test_many_writes_search_exactly_like_one_build(tmp_path, seed_copy, settings, embedder, monkeypatch, merge_factor):
    monkeypatch.setattr(merging, "MERGE_FACTOR", merge_factor)
    one = tmp_path / "one"
    ingest_paths([seed_copy], one, settings, embedder)
    many = tmp_path / "many"
    files = sorted(seed_copy.glob("*.txt"))
    for f in files:
        ingest_paths([f], many, settings, embedder)
    kb = KnowledgeBase(many)
    sizes = [s.info.rows for s in kb.vectors.segments]
    kb.close()
    # one segment per write; with a small merge factor, merges joined some
    assert len(sizes) == len(files) if merge_factor > len(files) else len(sizes) < len(files)
    assert _results(many, embedder) == _results(one, embedder)


def test_a_write_adds_one_segment_and_leaves_the_others_alone(tmp_path, seed_copy, settings, embedder):
    folder = tmp_path / "kb"
    files = sorted(seed_copy.glob("*.txt"))
    ingest_paths(files[:-1], folder, settings, embedder)
    before = {str(p): p.stat().st_mtime_ns for p in (folder / "segments").rglob("*")}
    ingest_paths([files[-1]], folder, settings, embedder)
    after = {str(p): p.stat().st_mtime_ns for p in (folder / "segments").rglob("*")}
    assert {k: after[k] for k in before} == before  # nothing rewritten
    assert len([p for p in (folder / "segments").iterdir()]) == 2


def test_removals_are_tombstones_until_the_segment_is_rewritten(tmp_path, seed_copy, settings, embedder):
    folder = tmp_path / "kb"
    ingest_paths([seed_copy], folder, settings, embedder)
    kb = KnowledgeBase(folder)
    docs = sorted(kb.documents(), key=lambda r: r["chunks"])
    total = kb.chunk_count
    kb.close()
    smallest = docs[0]
    remove_documents(folder, [smallest["id"]], embedder.name, embedder.dim)
    kb = KnowledgeBase(folder)
    [segment] = kb.vectors.segments
    assert segment.deleted_rows.size == smallest["chunks"] and kb.chunk_count == total - smallest["chunks"]
    assert not any(h.doc == smallest["file_name"] for q in QUERIES for h in HybridRetriever(kb, embedder).search(q, 50))
    kb.close()
    # removing most documents crosses the rewrite threshold: the segment is rewritten without them
    remove_documents(folder, [d["id"] for d in docs[1:-1]], embedder.name, embedder.dim)
    kb = KnowledgeBase(folder)
    [segment] = kb.vectors.segments
    assert segment.deleted_rows.size == 0 and kb.chunk_count == docs[-1]["chunks"]
    assert kb.conn.execute("SELECT COUNT(*) FROM deleted_chunks").fetchone()[0] == 0
    kb.close()


@pytest.mark.parametrize("query", QUERIES[:2])
def test_lexical_scores_equal_the_bm25_formula(seed_kb, query):
    """Σ weight·idf·tf/(tf + k1(1 − b + b·|d|/avgdl)) over the query's words (weight 1) and character pairs
    (weight 0.5), recomputed from each passage's index terms: the stored jieba tokens and its pairs."""
    groups = [(tokenize(query), 1.0), (char_bigrams(query), 0.5)]
    rows = seed_kb.conn.execute(
        "SELECT c.id, c.tokens, c.section, c.text, a.title FROM chunks c JOIN articles a ON a.id = c.article_id"
    ).fetchall()
    docs = {
        r["id"]: (r["tokens"].split(" ") if r["tokens"] else [])
        + char_bigrams(passage_text(r["title"], json.loads(r["section"]), r["text"]))
        for r in rows
    }
    average = sum(map(len, docs.values())) / len(docs)
    terms = {t for words, _ in groups for t in words}
    df = {t: sum(t in set(d) for d in docs.values()) for t in terms}

    def score(doc: list[str]) -> float:
        norm = K1 * (1 - B + B * len(doc) / average)
        return sum(
            weight * bm25_idf(df[t], len(docs)) * doc.count(t) / (doc.count(t) + norm)
            for words, weight in groups
            for t in words
            if t in doc
        )

    found = seed_kb.lexical(groups, 5, None)
    assert found
    for chunk_id, value in found:
        assert value == pytest.approx(score(docs[chunk_id]), rel=1e-4)


def test_purge_rewrites_the_segment_at_once(tmp_path, seed_copy, settings, embedder):
    folder = tmp_path / "kb"
    ingest_paths([seed_copy], folder, settings, embedder)
    kb = KnowledgeBase(folder)
    smallest = min(kb.documents(), key=lambda r: r["chunks"])
    [before] = [s.info.number for s in kb.vectors.segments]
    kb.close()
    remove_documents(folder, [smallest["id"]], embedder.name, embedder.dim, purge=True)
    kb = KnowledgeBase(folder)
    [segment] = kb.vectors.segments
    assert segment.info.number != before and segment.deleted_rows.size == 0
    assert not (folder / "segments" / f"seg-{before}").exists()  # the old files are gone from disk
    assert len(segment.ids) == kb.chunk_count
    kb.close()


def test_ivf_threshold():
    assert vectors.ivf_threshold(150_000, 200_000) == 200_000  # small knowledge base: all exact
    assert vectors.ivf_threshold(250_000, 200_000) == vectors.MIN_IVF_ROWS  # large: every big segment IVF


def test_merges_build_ivf_segments_once_the_knowledge_base_is_large(
    tmp_path, seed_copy, settings, embedder, monkeypatch
):
    monkeypatch.setattr(merging, "MERGE_FACTOR", 3)
    monkeypatch.setattr(vectors, "MIN_IVF_ROWS", 10)
    settings = settings.replace(index={"approximate_above": 40})  # the seeds have about 90 chunks
    folder = tmp_path / "kb"
    for f in sorted(seed_copy.glob("*.txt")):
        ingest_paths([f], folder, settings, embedder)
    kb = KnowledgeBase(folder)
    merged = [s for s in kb.vectors.segments if s.info.number > len(list(seed_copy.glob("*.txt")))]
    assert merged and all(s.info.dense_index == "ivf" for s in merged if s.info.rows > 10)
    [top] = HybridRetriever(kb, embedder).search("5岗20级薪酬增长机制", k=1)
    assert "5岗20级" in top.text
    kb.close()


def test_removal_keeps_the_bm25_statistics_of_one_build(tmp_path, seed_copy, settings, embedder):
    """Removing a document subtracts exactly its index terms (stored tokens and recomputed character pairs)."""
    ingest_paths([seed_copy], tmp_path / "all", settings, embedder)
    kb = KnowledgeBase(tmp_path / "all")
    [gone] = [d["id"] for d in kb.documents() if d["file_name"].startswith("004")]
    kb.close()
    remove_documents(tmp_path / "all", [gone], embedder.name, embedder.dim)
    (seed_copy / next(p.name for p in seed_copy.iterdir() if p.name.startswith("004"))).unlink()
    ingest_paths([seed_copy], tmp_path / "rest", settings, embedder)

    def statistics(folder: Path) -> tuple:
        kb = KnowledgeBase(folder)
        terms = dict(kb.conn.execute("SELECT term, df FROM terms WHERE df > 0").fetchall())
        counts = (kb.manifest["bm25_docs"], kb.manifest["bm25_length"])
        kb.close()
        return terms, counts

    after_removal, one_build = statistics(tmp_path / "all"), statistics(tmp_path / "rest")
    assert after_removal[1] == one_build[1]
    assert after_removal[0] == one_build[0] and any(t.startswith("·") for t in one_build[0])
