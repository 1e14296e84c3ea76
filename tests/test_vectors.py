"""Chunk vectors switch from exact to IVF search above the configured size; everything still works."""

from __future__ import annotations

import numpy as np

from qa.index.knowledge_base import KnowledgeBase
from qa.index.schema import read_manifest
from qa.index.vectors import DenseVectors
from qa.ingest.pipeline import ingest_paths, remove_documents
from qa.model import Filters
from qa.search.hybrid import HybridRetriever


def test_ivf_index_above_the_threshold_searches_filters_and_deletes(seed_copy, settings, embedder, tmp_path):
    settings = settings.replace(index={"approximate_above": 40})  # the seeds have about 90 chunks
    folder = tmp_path / "kb"
    ingest_paths([seed_copy], folder, settings, embedder)
    kb = KnowledgeBase(folder)
    assert kb.vectors.kind == "ivf" and read_manifest(kb.conn)["dense_index"] == "ivf"
    retriever = HybridRetriever(kb, embedder)
    [top] = retriever.search("5岗20级薪酬增长机制", k=1)
    assert "5岗20级" in top.text
    assert all(h.place == "思南县" for h in retriever.search("党建", k=5, filters=Filters(place="思南县")))
    doc_id = next(r["id"] for r in kb.documents() if r["file_name"].startswith("004_"))
    kb.close()
    remove_documents(folder, [doc_id], embedder.name, embedder.dim)
    kb = KnowledgeBase(folder)
    # 004 is a large share of the seeds, so its segment is rewritten without it, flat or IVF by the new size
    assert kb.vectors.kind == ("ivf" if kb.chunk_count > 40 else "flat")
    assert all(not h.doc.startswith("004_") for h in HybridRetriever(kb, embedder).search("5岗20级", k=20))


def test_ivf_finds_what_flat_finds():
    rng = np.random.default_rng(1)
    centres = rng.standard_normal((50, 64), dtype=np.float32)
    vectors = centres[rng.integers(0, 50, 3000)] + 0.3 * rng.standard_normal((3000, 64), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    no_sentences = (np.zeros((0, 64), dtype=np.float32), np.zeros(0, dtype=np.int64))
    flat = DenseVectors.build(vectors, *no_sentences, ivf_above=10**9)
    ivf = DenseVectors.build(vectors, *no_sentences, ivf_above=1000)
    assert flat.kind == "flat" and ivf.kind == "ivf"
    recall = []
    for q in vectors[:50]:
        exact = {i for i, _ in flat.search(q, 10)}
        recall.append(len(exact & {i for i, _ in ivf.search(q, 10)}) / 10)
    assert np.mean(recall) >= 0.95
    assert ivf.chunk_cosines([7], vectors[6]) == flat.chunk_cosines([7], vectors[6])
