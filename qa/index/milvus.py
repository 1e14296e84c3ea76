"""The Milvus backend: chunk vectors, sentence vectors and the BM25 leg in Milvus collections.

``store.backend: milvus`` with ``store.uri`` either a local file (Milvus Lite, e.g.
``./index/milvus.db``) or a server/cluster address (``http://host:19530``) — the same pymilvus
client API. SQLite stays the source of truth for documents, text and filters; Milvus holds what
is searched:

- ``<prefix>_chunks``: chunk id, its dense vector, and its BM25 sparse vector (jieba tokens from
  our own tokenizer; doc-side BM25 weights, see ``qa.index.bm25.bm25_document_weights``);
- ``<prefix>_sentences``: one row per sentence, with its chunk id and vector.

Writes insert new chunks before the SQLite commit and delete removed ones after it; a reader
only ever shows chunks whose rows exist in SQLite, so a crash between the two leaves invisible
rows that the next write cleans up (ids at or above ``next_chunk_id``, and the ids listed in
the ``pending_deletes`` table).
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import numpy as np

from qa.errors import BackendError
from qa.index import rows
from qa.index.bm25 import bm25_document_weights
from qa.index.protocol import WritePlan
from qa.model import Scope

BATCH = 2000


def collection_prefix(folder: Path) -> str:
    """Collection names for a knowledge base folder: ASCII, unique per folder."""
    return "qa_" + hashlib.sha1(str(folder.resolve()).encode()).hexdigest()[:12]


def connect_client(uri: str):
    from pymilvus import MilvusClient

    if "://" not in uri:  # a Milvus Lite file: its folder may not exist yet
        Path(uri).parent.mkdir(parents=True, exist_ok=True)
    try:
        return MilvusClient(uri)
    except Exception as exc:  # pymilvus raises several types for a bad address
        raise BackendError(
            f"无法连接 Milvus（{uri}）：请检查 config.yaml 的 store.uri（本地文件如 ./index/milvus.db，"
            f"或服务器地址如 http://host:19530）。原因：{exc}"
        ) from exc


class MilvusVectors:
    """The ``SearchIndex`` of the Milvus backend (see ``qa.index.protocol``)."""

    kind = "milvus"

    def __init__(self, uri: str, prefix: str, dim: int) -> None:
        self.uri, self.prefix, self.dim = uri, prefix, dim
        self.client = connect_client(uri)
        self.chunks, self.sentences = f"{prefix}_chunks", f"{prefix}_sentences"

    # ------------------------------------------------------------------ schema

    def ensure_collections(self) -> None:
        from pymilvus import DataType, MilvusClient

        if not self.client.has_collection(self.chunks):
            schema = MilvusClient.create_schema(auto_id=False)
            schema.add_field("id", DataType.INT64, is_primary=True)
            schema.add_field("article_id", DataType.INT64)  # what filters select on
            schema.add_field("vector", DataType.FLOAT_VECTOR, dim=self.dim)
            schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
            index = self.client.prepare_index_params()
            index.add_index(field_name="vector", index_type="FLAT", metric_type="IP")
            index.add_index(field_name="sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="IP")
            self.client.create_collection(self.chunks, schema=schema, index_params=index)
        if not self.client.has_collection(self.sentences):
            schema = MilvusClient.create_schema(auto_id=True)
            schema.add_field("row", DataType.INT64, is_primary=True)
            schema.add_field("chunk_id", DataType.INT64)
            schema.add_field("vector", DataType.FLOAT_VECTOR, dim=self.dim)
            index = self.client.prepare_index_params()
            index.add_index(field_name="vector", index_type="FLAT", metric_type="IP")
            self.client.create_collection(self.sentences, schema=schema, index_params=index)

    def drop(self) -> None:
        for name in (self.chunks, self.sentences):
            if self.client.has_collection(name):
                self.client.drop_collection(name)

    # ------------------------------------------------------------------ writes

    def insert(
        self,
        ids: np.ndarray,
        article_ids: np.ndarray,
        vectors: np.ndarray,
        sparse: list[dict[int, float]],
        sentence_vectors: np.ndarray,
        sentence_ids: np.ndarray,
    ) -> None:
        for start in range(0, len(ids), BATCH):
            rows = [
                # Milvus refuses empty sparse rows
                {"id": int(i), "article_id": int(a), "vector": v.tolist(), "sparse": s or {0: 1e-9}}
                for i, a, v, s in zip(
                    ids[start : start + BATCH],
                    article_ids[start : start + BATCH],
                    vectors[start : start + BATCH],
                    sparse[start : start + BATCH],
                    strict=True,
                )
            ]
            self.client.insert(self.chunks, rows)
        for start in range(0, len(sentence_ids), BATCH):
            rows = [
                {"chunk_id": int(c), "vector": np.asarray(v, dtype=np.float32).tolist()}
                for c, v in zip(
                    sentence_ids[start : start + BATCH], sentence_vectors[start : start + BATCH], strict=True
                )
            ]
            self.client.insert(self.sentences, rows)

    def delete(self, ids: list[int] | np.ndarray) -> None:
        ids = [int(i) for i in ids]
        for start in range(0, len(ids), BATCH):
            part = ids[start : start + BATCH]
            self.client.delete(self.chunks, ids=part)
            self.client.delete(self.sentences, filter=f"chunk_id in {part}")

    def delete_from(self, first_id: int) -> None:
        """Rows of a write that never committed: every id at or above the next unused one."""
        self.client.delete(self.chunks, filter=f"id >= {int(first_id)}")
        self.client.delete(self.sentences, filter=f"chunk_id >= {int(first_id)}")

    # ------------------------------------------------------------------ reads

    @property
    def count(self) -> int:
        return int(self.client.get_collection_stats(self.chunks)["row_count"])

    @property
    def sentence_count(self) -> int:
        return int(self.client.get_collection_stats(self.sentences)["row_count"])

    def search(self, query: np.ndarray, n: int, allowed: Scope | None = None) -> list[tuple[int, float]]:
        return self._search("vector", query.astype(np.float32).tolist(), n, allowed)

    def lexical(self, weights: dict[int, float], n: int, allowed: Scope | None = None) -> list[tuple[int, float]]:
        return self._search("sparse", weights, n, allowed) if weights else []

    def _search(self, field: str, data, n: int, allowed: Scope | None) -> list[tuple[int, float]]:
        if allowed is not None and allowed.article_ids.size == 0:
            return []
        expr = f"article_id in {[int(i) for i in allowed.article_ids]}" if allowed is not None else ""
        result = self.client.search(
            self.chunks, data=[data], anns_field=field, limit=n, filter=expr, output_fields=["id"]
        )
        return [(int(hit["id"]), float(hit["distance"])) for hit in result[0]]

    def chunk_cosines(self, chunk_ids: list[int], query: np.ndarray) -> dict[int, float]:
        """Cosine of each chunk's vector with the query, in one request."""
        if not chunk_ids:
            return {}
        rows = self.client.query(
            self.chunks, filter=f"id in {[int(c) for c in chunk_ids]}", output_fields=["id", "vector"]
        )
        return {int(r["id"]): float(np.asarray(r["vector"], dtype=np.float32) @ query) for r in rows}

    def best_sentence(self, chunk_ids: list[int], query: np.ndarray) -> dict[int, float]:
        if not chunk_ids:
            return {}
        rows = self.client.query(
            self.sentences, filter=f"chunk_id in {[int(c) for c in chunk_ids]}", output_fields=["chunk_id", "vector"]
        )
        best: dict[int, float] = {}
        for row in rows:
            score = float(np.asarray(row["vector"], dtype=np.float32) @ query)
            if score > best.get(int(row["chunk_id"]), -1.0):
                best[int(row["chunk_id"])] = score
        return best


class MilvusWriter:
    """Milvus's part of a write: new rows inserted before the switch, removed rows deleted after it
    (listed in ``pending_deletes`` meanwhile, so a crash between the two is mended by the next write)."""

    def __init__(self, uri: str, dim: int) -> None:
        self.uri, self.dim = uri, dim

    def stage(self, conn: sqlite3.Connection, plan: WritePlan) -> dict[str, object]:
        self.milvus = milvus = MilvusVectors(self.uri, collection_prefix(plan.folder), self.dim)
        if plan.fresh:  # a new knowledge base, or an older layout whose documents are all indexed again
            milvus.drop()
        milvus.ensure_collections()
        milvus.delete_from(int(plan.manifest.get("next_chunk_id", 1)))  # rows of a write that crashed before its commit
        milvus.delete(rows.pending_deletes(conn))
        additions = plan.additions
        added_tokens = [tokens for p in additions for tokens in p.tokens]
        ids_of_terms = rows.term_ids(conn, {t for tokens in added_tokens for t in tokens})
        average = plan.bm25_length / plan.bm25_docs if plan.bm25_docs else 1.0
        chunk_articles = [
            np.repeat(np.asarray(articles, dtype=np.int64), [len(a.chunks) for a in p.document.articles])
            for p, articles in zip(additions, plan.article_ids, strict=True)
        ]
        empty_ids, empty_vectors = np.zeros(0, dtype=np.int64), np.zeros((0, self.dim), dtype=np.float32)
        milvus.insert(
            np.concatenate([empty_ids, *plan.chunk_ids]),
            np.concatenate([empty_ids, *chunk_articles]),
            np.concatenate([empty_vectors, *(p.vectors for p in additions)]),
            [bm25_document_weights(tokens, ids_of_terms, average) for tokens in added_tokens],
            np.concatenate([empty_vectors, *(p.sentence_vectors for p in additions)]),
            np.concatenate(
                [empty_ids, *(ids[p.sentence_chunks] for p, ids in zip(additions, plan.chunk_ids, strict=True))]
            ),
        )
        return {"dense_index": "milvus", "backend": "milvus", "store_uri": self.uri}

    def commit(self, conn: sqlite3.Connection, plan: WritePlan) -> None:
        rows.add_pending_deletes(conn, plan.removed_chunks)

    def after_commit(self, conn: sqlite3.Connection, plan: WritePlan) -> None:
        self.milvus.delete(plan.removed_chunks)
        rows.clear_pending_deletes(conn)
