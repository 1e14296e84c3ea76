"""The knowledge base on disk: incremental ingest, real deletes, consistency, crash safety."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from qa.errors import KnowledgeBaseError
from qa.index.knowledge_base import KnowledgeBase
from qa.ingest.pipeline import ingest_paths, remove_documents
from qa.model import Filters
from qa.search.hybrid import HybridRetriever

from .conftest import ROOT


def _kb(settings) -> Path:
    return Path(settings.index_dir) / "default"


def test_reingest_unchanged_does_no_embedding_work(seed_copy, settings, counting_embedder):
    first = ingest_paths([seed_copy], _kb(settings), settings, counting_embedder)
    assert {r.status for r in first} == {"indexed"}
    embedded = counting_embedder.embedded
    kb = KnowledgeBase(_kb(settings))
    assert embedded == kb.chunk_count + kb.vectors.sentence_count  # one vector per chunk and one per sentence
    again = ingest_paths([seed_copy], _kb(settings), settings, counting_embedder)
    assert {r.status for r in again} == {"unchanged"}
    assert counting_embedder.embedded == embedded


def test_changed_file_replaces_its_chunks(seed_copy, settings, embedder):
    ingest_paths([seed_copy], _kb(settings), settings, embedder)
    target = next(seed_copy.glob("003_*.txt"))
    target.write_text(target.read_text(encoding="utf-8").replace("开平市", "台山市"), encoding="utf-8")
    results = {Path(r.path).name: r.status for r in ingest_paths([seed_copy], _kb(settings), settings, embedder)}
    assert results[target.name] == "replaced"
    kb = KnowledgeBase(_kb(settings))
    texts = [r[0] for r in kb.conn.execute("SELECT text FROM chunks")]
    assert not any("开平市" in t for t in texts) and any("台山市" in t for t in texts)
    assert kb.conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0] == 5


def test_removed_document_never_comes_back(seed_copy, settings, embedder):
    ingest_paths([seed_copy], _kb(settings), settings, embedder)
    kb = KnowledgeBase(_kb(settings))
    retriever = HybridRetriever(kb, embedder)
    assert any(h.doc.startswith("001_") for h in retriever.search("四能一创工作法", k=5))
    [doc_id] = [r["id"] for r in kb.documents() if r["file_name"].startswith("001_")]
    kb.close()
    remove_documents(_kb(settings), [doc_id], embedder.name, embedder.dim)
    kb = KnowledgeBase(_kb(settings))
    retriever = HybridRetriever(kb, embedder)
    for query in ("四能一创工作法", "偏坡布依族乡", "乡村振兴"):
        assert not any(h.doc.startswith("001_") for h in retriever.search(query, k=50))
    assert kb.vectors.count == kb.conn.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
    chunk_ids = {r[0] for r in kb.conn.execute("SELECT id FROM chunks")}
    assert set(kb.vectors.sentence_chunk_ids().tolist()) == chunk_ids  # its sentences went too
    assert not (_kb(settings) / "gen-1").exists()  # old generation with the document's vectors is gone


def test_gbk_file_and_broken_files_in_one_batch(tmp_path, settings, embedder):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "gbk.txt").write_bytes(
        "测试县经验材料\n近年来，测试县深化“积分超市”建设，推动村民参与乡村治理，群众满意度明显提升。".encode("gbk")
    )
    (folder / "empty.txt").write_bytes(b"")
    (folder / "fake.docx").write_bytes(b"not a zip")
    results = {Path(r.path).name: r for r in ingest_paths([folder], _kb(settings), settings, embedder)}
    assert results["gbk.txt"].status == "indexed"
    assert results["empty.txt"].status == "failed" and "文件为空" in results["empty.txt"].reason
    assert results["fake.docx"].status == "failed" and "Word" in results["fake.docx"].reason
    kb = KnowledgeBase(_kb(settings))
    [hit] = HybridRetriever(kb, embedder).search("积分超市", k=1)
    assert "“积分超市”" in hit.text and hit.place == "测试县"


def test_duplicate_content_is_reported_not_indexed_twice(seed_copy, settings, embedder):
    src = next(seed_copy.glob("001_*.txt"))
    (seed_copy / "copy_of_001.txt").write_bytes(src.read_bytes())
    statuses = sorted(r.status for r in ingest_paths([seed_copy], _kb(settings), settings, embedder))
    assert statuses.count("duplicate") == 1 and statuses.count("indexed") == 5


def test_embedder_mismatch_names_the_fix(seed_copy, settings, embedder):
    ingest_paths([seed_copy], _kb(settings), settings, embedder)

    class Other:
        name, dim = "BAAI/bge-small-zh-v1.5", 512

        def embed_query(self, text):
            return np.zeros(512, dtype=np.float32)

    with pytest.raises(KnowledgeBaseError, match="embedding.model"):
        HybridRetriever(KnowledgeBase(_kb(settings)), Other())


def test_inconsistent_parts_are_detected(seed_copy, settings, embedder):
    ingest_paths([seed_copy], _kb(settings), settings, embedder)
    conn = sqlite3.connect(_kb(settings) / "kb.sqlite")
    with conn:
        conn.execute("DELETE FROM chunks WHERE id = (SELECT MIN(id) FROM chunks)")
    with pytest.raises(KnowledgeBaseError, match="不一致"):
        KnowledgeBase(_kb(settings))


def test_filters_restrict_both_legs(seed_kb, embedder):
    retriever = HybridRetriever(seed_kb, embedder)
    hits = retriever.search("社区工作者", k=10, filters=Filters(place="思南"))
    assert hits and all(h.place == "思南县" for h in hits)
    hits = retriever.search("党建", k=10, filters=Filters(doc="003_ce7b24d5ed97b940.txt"))
    assert hits and all(h.doc == "003_ce7b24d5ed97b940.txt" for h in hits)
    assert retriever.search("党建", filters=Filters(place="不存在的地方")) == []


def test_results_do_not_depend_on_ingest_order(tmp_path, embedder, settings):
    from .conftest import SEEDS

    files = sorted(SEEDS.glob("*.txt"))
    answers = []
    for name, order in (("fwd", files), ("rev", files[::-1])):
        folder = tmp_path / name
        for f in order:  # one file at a time, so chunk ids follow the order
            ingest_paths([f], folder, settings, embedder)
        retriever = HybridRetriever(KnowledgeBase(folder), embedder)
        answers.append(
            [
                [(h.doc, h.start) for h in retriever.search(q, k=5)]
                for q in ("积分超市", "年轻社区工作者成长", "村集体经济收入")
            ]
        )
    assert answers[0] == answers[1]


# A writer that stops at a chosen point of the write so the test can kill it there.
KILL_SCRIPT = textwrap.dedent(
    """
    import sys, time, copy
    from pathlib import Path
    import qa.index.faiss_backend as faiss_backend
    import qa.index.rows as rows
    from qa.settings import Settings
    from qa.embeddings import HashEmbedder
    from qa.ingest.pipeline import ingest_paths

    where, index_dir, source = sys.argv[1], sys.argv[2], sys.argv[3]
    ready = Path(index_dir) / "ready"

    def stall():
        ready.write_text("x")
        time.sleep(600)

    if where == "files":
        original = faiss_backend.write_segment
        def write_segment(*args):
            info = original(*args)  # the new segment complete on disk, not yet listed in SQLite
            stall()
        faiss_backend.write_segment = write_segment
    else:
        original = rows.set_manifest
        def set_manifest(conn, **values):
            original(conn, **values)
            stall()  # inside the open transaction
        rows.set_manifest = set_manifest
    settings = Settings()
    ingest_paths([Path(source)], Path(index_dir) / "default", settings, HashEmbedder())
    """
)


@pytest.mark.parametrize("where", ["files", "transaction"])
def test_killed_writer_leaves_previous_generation_readable(tmp_path, seed_copy, settings, embedder, where):
    folder = _kb(settings)
    ingest_paths([seed_copy], folder, settings, embedder)
    before = KnowledgeBase(folder)
    expected = [(h.doc, h.start) for h in HybridRetriever(before, embedder).search("积分超市", k=5)]
    count = before.chunk_count
    before.close()

    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "new.txt").write_text(
        "新增县经验材料\n近年来，新增县推行“积分超市”，激发群众参与热情，成效明显。" * 3, encoding="utf-8"
    )
    for f in seed_copy.glob("*.txt"):
        (extra / f.name).write_text(
            f.read_text(encoding="utf-8") + "\n补充一段新的内容，使文件发生变化。", encoding="utf-8"
        )
    script = tmp_path / "writer.py"
    script.write_text(KILL_SCRIPT, encoding="utf-8")
    proc = subprocess.Popen([sys.executable, str(script), where, settings.index_dir, str(extra)], cwd=ROOT)
    ready = Path(settings.index_dir) / "ready"
    deadline = time.time() + 120
    while not ready.exists():
        assert proc.poll() is None, "writer exited before reaching the kill point"
        assert time.time() < deadline
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()

    after = KnowledgeBase(folder)  # opens and passes its consistency checks
    assert after.chunk_count == count
    assert [(h.doc, h.start) for h in HybridRetriever(after, embedder).search("积分超市", k=5)] == expected
    after.close()
    # and the next write goes through, cleaning up what the killed writer left
    results = ingest_paths([extra], folder, settings, embedder)
    assert {r.status for r in results} == {"indexed"}
    kb = KnowledgeBase(folder)
    listed = {f"seg-{n}" for (n,) in kb.conn.execute("SELECT number FROM segments")}
    kb.close()
    assert {p.name for p in (folder / "segments").iterdir()} == listed  # no unlisted or half-written folder


def test_langchain_retriever_carries_chunk_metadata(seed_kb, embedder):
    from qa.search.langchain_retriever import HybridLangchainRetriever

    lc = HybridLangchainRetriever(retriever=HybridRetriever(seed_kb, embedder), k=3)
    docs = lc.invoke("5岗20级薪酬增长机制")
    assert len(docs) == 3
    top = docs[0]
    assert "5岗20级" in top.page_content and top.metadata["place"] == "蓼皋街道"
    assert set(top.metadata) >= {"chunk_id", "doc", "title", "section", "start", "end", "score"}


def test_import_qa_stays_light():
    code = "import sys, qa, qa.search.hybrid, qa.index.writer, qa.ingest.pipeline, qa.answer.answerer, qa.app.cli; print(any(m in sys.modules for m in ('torch', 'gradio', 'sentence_transformers', 'faiss')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "False"


def test_off_topic_question_is_flagged_not_relevant(seed_kb, embedder):
    retriever = HybridRetriever(seed_kb, embedder)
    assert not retriever.retrieve("台风来临前渔船如何避险？").relevant
    assert retriever.retrieve("蓼皋街道社区工作者的薪酬增长机制").relevant


def test_a_large_ingest_is_written_in_bounded_batches_each_atomic(settings, seed_copy, embedder, monkeypatch):
    import qa.ingest.pipeline as pipeline

    monkeypatch.setattr(pipeline, "WRITE_BATCH_CHUNKS", 10)  # a few documents a write
    folder = _kb(settings)
    results = ingest_paths([seed_copy], folder, settings, embedder)
    kb = KnowledgeBase(folder)
    writes, documents, chunks = kb.generation, len(kb.documents()), kb.chunk_count
    kb.close()
    assert {r.status for r in results} == {"indexed"} and documents == 5
    assert writes >= 3 and chunks == sum(r.chunks for r in results)  # several writes, nothing lost
    edited = sorted(seed_copy.glob("*.txt"))[0]
    edited.write_text(edited.read_text(encoding="utf-8") + "\n补充一段。", encoding="utf-8")
    again = ingest_paths([seed_copy], folder, settings, embedder)
    assert sorted(r.status for r in again) == ["replaced", "unchanged", "unchanged", "unchanged", "unchanged"]
    rebuilt = ingest_paths([seed_copy], folder, settings, embedder, rebuild=True)
    kb = KnowledgeBase(folder)
    assert {r.status for r in rebuilt} == {"indexed"} and len(kb.documents()) == 5  # old ones gone, none twice
    assert HybridRetriever(kb, embedder).search("积分超市", k=3)
    kb.close()
