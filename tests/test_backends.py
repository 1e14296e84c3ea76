"""One contract, two vector backends: FAISS files (default) and Milvus (Milvus Lite here; the same
client API serves a Milvus server or cluster). Both legs of hybrid search run on each."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qa.index.knowledge_base import KnowledgeBase
from qa.index.protocol import SearchIndex
from qa.ingest.pipeline import ingest_paths, remove_documents
from qa.model import Filters
from qa.search.hybrid import HybridRetriever
from qa.settings import Settings

QUERIES = ("5岗20级薪酬增长机制", "怎样给村班子物色接班人", "积分超市", "偏坡乡的“四能一创”指的是什么？")


def _settings(tmp_path: Path, backend: str) -> Settings:
    settings = Settings(index_dir=str(tmp_path / "index"))
    settings = settings.replace(store={"backend": backend, "uri": str(tmp_path / "milvus.db")})
    return settings


@pytest.fixture(params=["faiss", "milvus"])
def backend(request) -> str:
    return request.param


@pytest.fixture
def built(backend, tmp_path, seed_copy, embedder):
    settings = _settings(tmp_path, backend)
    folder = Path(settings.index_dir) / "default"
    results = ingest_paths([seed_copy], folder, settings, embedder)
    assert {r.status for r in results} == {"indexed"}
    return folder, settings


def _top(folder: Path, embedder, query: str, k: int = 5, filters: Filters | None = None):
    kb = KnowledgeBase(folder)
    try:
        return [(h.doc, h.start) for h in HybridRetriever(kb, embedder).search(query, k, filters)]
    finally:
        kb.close()


def test_both_backends_give_the_same_results(tmp_path, seed_copy, embedder):
    answers = {}
    for backend in ("faiss", "milvus"):
        settings = _settings(tmp_path / backend, backend)
        folder = Path(settings.index_dir) / "default"
        ingest_paths([seed_copy], folder, settings, embedder)
        kb = KnowledgeBase(folder)
        assert kb.backend == backend
        retriever = HybridRetriever(kb, embedder)
        answers[backend] = [
            [
                (h.doc, h.start, round(h.lexical_score or 0, 3), round(h.dense_score or 0, 3))
                for h in retriever.search(q, 5)
            ]
            for q in QUERIES
        ]
        assert retriever.retrieve("台风来临前渔船如何避险？").relevant is False
    assert answers["faiss"] == answers["milvus"]


def test_counts_agree_and_the_gold_passage_comes_first(built, embedder):
    folder, _ = built
    kb = KnowledgeBase(folder)
    assert isinstance(kb.vectors, SearchIndex)  # both backends fill the one reading interface
    chunks = kb.conn.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
    assert kb.vectors.count == chunks and kb.vectors.sentence_count >= chunks
    [top] = HybridRetriever(kb, embedder).search("5岗20级薪酬增长机制", k=1)
    assert "5岗20级" in top.text


def test_filters_restrict_both_legs(built, embedder):
    folder, _ = built
    kb = KnowledgeBase(folder)
    retriever = HybridRetriever(kb, embedder)
    assert all(h.place == "思南县" for h in retriever.search("社区工作者", 10, Filters(place="思南")))
    assert {h.doc for h in retriever.search("乡贤", 10, Filters(province="广东"))} == {"003_ce7b24d5ed97b940.txt"}
    assert all(h.doc.startswith("001_") for h in retriever.search("党建", 10, Filters(doc="001_7f134bb96b8680c2.txt")))


def test_changed_and_removed_documents_leave_no_trace(built, embedder, seed_copy):
    folder, settings = built
    target = next(seed_copy.glob("003_*.txt"))
    target.write_text(target.read_text(encoding="utf-8").replace("侨胞之家", "侨心驿站"), encoding="utf-8")
    assert "replaced" in {r.status for r in ingest_paths([seed_copy], folder, settings, embedder)}
    hits = [h for h in HybridRetriever(KnowledgeBase(folder), embedder).search("侨胞之家", 20)]
    assert not any("侨胞之家" in h.text for h in hits)
    kb = KnowledgeBase(folder)
    doc_id = next(r["id"] for r in kb.documents() if r["file_name"].startswith("004_"))
    kb.close()
    remove_documents(folder, [doc_id], embedder.name, embedder.dim)
    kb = KnowledgeBase(folder)
    assert kb.vectors.count == kb.conn.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
    retriever = HybridRetriever(kb, embedder)
    for query in ("5岗20级", "积分超市", "思南县"):
        assert not any(h.doc.startswith("004_") for h in retriever.search(query, 50))


def test_milvus_leftovers_of_a_crashed_write_are_cleaned_up(tmp_path, seed_copy, embedder):
    from qa.index.milvus import MilvusVectors, collection_prefix

    settings = _settings(tmp_path, "milvus")
    folder = Path(settings.index_dir) / "default"
    ingest_paths([next(seed_copy.glob("001_*.txt"))], folder, settings, embedder)
    kb = KnowledgeBase(folder)
    next_id, count = int(kb.manifest["next_chunk_id"]), kb.vectors.count
    kb.close()
    # a writer that inserted its rows and died before committing
    orphan = MilvusVectors(settings.store.uri, collection_prefix(folder), embedder.dim)
    vector = embedder.embed_documents(["孤儿段落"])
    orphan.insert(np.array([next_id]), np.array([10**6]), vector, [{1: 1.0}], vector, np.array([next_id]))
    kb = KnowledgeBase(folder)
    assert kb.vectors.count == count + 1  # present in Milvus, invisible to search: no SQLite row
    assert all(h.chunk_id != next_id for h in HybridRetriever(kb, embedder).search("孤儿段落", 50))
    ingest_paths([next(seed_copy.glob("002_*.txt"))], folder, settings, embedder)
    kb = KnowledgeBase(folder)
    assert kb.vectors.count == kb.conn.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]


def test_unreachable_milvus_fails_before_any_embedding_and_names_the_setting(tmp_path, seed_copy, counting_embedder):
    from qa.errors import BackendError

    settings = _settings(tmp_path, "milvus").replace(store={"uri": "http://127.0.0.1:9"})
    with pytest.raises(BackendError, match="store.uri"):
        ingest_paths([seed_copy], Path(settings.index_dir) / "default", settings, counting_embedder)
    assert counting_embedder.embedded == 0
