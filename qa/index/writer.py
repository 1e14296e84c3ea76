"""The one write path of a knowledge base, whichever backend holds its vectors.

lock → plan (ids, BM25 statistics) → the backend stages what readers cannot see yet → one SQLite
transaction switches rows, statistics, manifest and the backend's own bookkeeping → the backend
removes what the switch made obsolete. A crash before the switch leaves the previous state; a crash
after it leaves the new state whole.
"""

from __future__ import annotations

import fcntl
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from qa.errors import KnowledgeBaseError
from qa.index import rows
from qa.index.factory import backend_of, writer_for
from qa.index.protocol import WritePlan
from qa.index.schema import connect, migrate, needs_rebuild, read_manifest
from qa.model import PreparedDocument
from qa.settings import StoreSettings


@contextmanager
def write_lock(folder: Path) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "write.lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise KnowledgeBaseError(f"知识库 {folder.name} 正在被另一个进程写入", "请稍后再试") from exc
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def write_changes(
    folder: Path,
    embedder_name: str,
    dim: int,
    additions: list[PreparedDocument],
    removals: list[int],
    approximate_above: int | None = None,
    store: StoreSettings | None = None,
    purge: bool = False,
) -> int:
    """Replace documents ``removals`` (ids) by ``additions``; returns the new generation.

    Removed chunks of the FAISS backend are tombstones until the merge policy rewrites their segment;
    ``purge`` rewrites those segments in this write, so removed vectors leave the disk at once.
    ``approximate_above`` (see ``qa.index.vectors.ivf_threshold``) defaults to the value the knowledge
    base recorded. ``store`` applies when the knowledge base is created; afterwards the recorded
    backend is used."""
    with write_lock(folder):
        conn = connect(folder)
        try:
            migrate(conn)
            manifest = read_manifest(conn)
            _check_embedder(manifest, embedder_name, dim, folder.name)
            plan = _plan(conn, folder, manifest, additions, removals, purge)
            backend = writer_for(backend_of(manifest, store or StoreSettings()), dim, approximate_above)
            own_manifest = backend.stage(conn, plan)
            generation = plan.generation + 1
            with conn:  # the switch: one transaction
                backend.commit(conn, plan)
                rows.commit_rows(
                    conn,
                    additions,
                    plan.chunk_ids,
                    plan.article_ids,
                    removals,
                    plan.df_change,
                    plan.fresh,
                    generation=generation,
                    next_chunk_id=plan.next_chunk_id,
                    next_article_id=plan.next_article_id,
                    embedder=embedder_name,
                    dim=dim,
                    bm25_docs=plan.bm25_docs,
                    bm25_length=plan.bm25_length,
                    **own_manifest,
                )
            backend.after_commit(conn, plan)
        finally:
            conn.close()
    return generation


def _plan(
    conn: sqlite3.Connection,
    folder: Path,
    manifest: dict[str, str],
    additions: list[PreparedDocument],
    removals: list[int],
    purge: bool,
) -> WritePlan:
    fresh = int(manifest.get("generation", 0)) == 0 or needs_rebuild(manifest)  # an old layout's documents all go
    next_chunk_id = int(manifest.get("next_chunk_id", 1))
    chunk_ids = []
    for prepared in additions:
        chunk_ids.append(np.arange(next_chunk_id, next_chunk_id + len(prepared.tokens), dtype=np.int64))
        next_chunk_id += len(prepared.tokens)
    next_article_id = rows.first_article_id(conn, manifest)
    article_ids = []
    for prepared in additions:
        count = len(prepared.document.articles)
        article_ids.append(list(range(next_article_id, next_article_id + count)))
        next_article_id += count
    # BM25 corpus statistics: each term's document-frequency change, the chunk count and total length
    gone = [] if fresh else rows.removed_tokens(conn, removals)
    added = [tokens for p in additions for tokens in p.tokens]
    df_change: dict[str, int] = {}
    for tokens, step in [*((t, -1) for t in gone), *((t, 1) for t in added)]:
        for term in set(tokens):
            df_change[term] = df_change.get(term, 0) + step
    before = {} if fresh else manifest
    return WritePlan(
        folder=folder,
        manifest=manifest,
        fresh=fresh,
        additions=additions,
        removals=removals,
        removed_chunks=rows.chunk_ids_of(conn, removals),
        chunk_ids=chunk_ids,
        article_ids=article_ids,
        next_chunk_id=next_chunk_id,
        next_article_id=next_article_id,
        df_change=df_change,
        bm25_docs=int(before.get("bm25_docs", 0)) - len(gone) + len(added),
        bm25_length=int(before.get("bm25_length", 0)) - sum(map(len, gone)) + sum(map(len, added)),
        purge=purge,
    )


def _check_embedder(manifest: dict[str, str], embedder_name: str, dim: int, kb: str) -> None:
    if "embedder" in manifest and int(manifest.get("generation", 0)) > 0:
        if manifest["embedder"] != embedder_name or int(manifest["dim"]) != dim:
            raise KnowledgeBaseError(
                f"知识库 {kb} 是用嵌入模型 “{manifest['embedder']}”（{manifest['dim']} 维）建立的，"
                f"当前配置为 “{embedder_name}”（{dim} 维）",
                f"请把 config.yaml 的 embedding.model 改回 “{manifest['embedder']}”，"
                "或运行 qa ingest 材料文件夹 --rebuild 用新模型重建",
            )
