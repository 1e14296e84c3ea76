"""Which backend holds a knowledge base's vectors: chosen by ``store.backend`` when it is created,
recorded in its manifest, and used for every later read and write."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from qa.errors import KnowledgeBaseError
from qa.index.protocol import BackendWriter, SearchIndex
from qa.settings import StoreSettings


def backend_of(manifest: dict[str, str], store: StoreSettings) -> StoreSettings:
    """The recorded backend of an existing knowledge base, else the configured one."""
    if int(manifest.get("generation", 0)):
        return StoreSettings(manifest.get("backend", "faiss"), manifest.get("store_uri", store.uri))
    return store


def check_reachable(store: StoreSettings) -> None:
    """Fail now, before any embedding, when the configured Milvus cannot be reached."""
    if store.backend == "milvus":
        from qa.index.milvus import connect_client

        connect_client(store.uri)


def writer_for(store: StoreSettings, dim: int, approximate_above: int | None) -> BackendWriter:
    if store.backend == "milvus":
        from qa.index.milvus import MilvusWriter

        return MilvusWriter(store.uri, dim)
    from qa.index.faiss_backend import FaissWriter

    return FaissWriter(approximate_above)


def open_search_index(folder: Path, conn: sqlite3.Connection, manifest: dict[str, str], dim: int) -> SearchIndex:
    backend = manifest.get("backend", "faiss")
    if backend == "milvus":
        from qa.index.milvus import MilvusVectors, collection_prefix

        return MilvusVectors(manifest["store_uri"], collection_prefix(folder), dim)
    if backend != "faiss":
        raise KnowledgeBaseError(
            f"知识库 “{folder.name}” 记录的后端 “{backend}” 未知", "请运行 qa ingest --rebuild 重建"
        )
    from qa.index.faiss_backend import open_segments

    return open_segments(folder, conn, manifest)
