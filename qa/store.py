"""One knowledge base on disk: SQLite + FAISS + BM25, written atomically, checked on open.

Layout of ``<index_dir>/<kb>/``::

    kb.sqlite        documents, articles, chunks (with jieba tokens), named practices, manifest
    gen-<N>/         dense.faiss (one vector per chunk: flat, or IVF when large),
                     sentences.npy + sentence_ids.npy (one float16 vector per sentence and
                     its chunk id), bm25/, ids.npy, meta.json
    write.lock       held by the single writer

A write builds ``gen-<N+1>/`` completely, then commits one SQLite transaction
that changes the rows and names N+1 in the manifest. The commit is the switch:
a crash before it leaves generation N untouched, a crash after it leaves N+1
whole. Older generations are removed after the commit. No pickle anywhere.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import sqlite3
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.chunking import CHUNKER_VERSION
from qa.lexical import BM25Index
from qa.model import Document
from qa.practices import extract_practices
from qa.vectors import APPROXIMATE_ABOVE, DenseVectors

# Bumped when the stored layout or the chunking changes: ingest then rebuilds from the source files.
SCHEMA_VERSION = 3
SCHEMA = """
CREATE TABLE IF NOT EXISTS manifest (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, file_name TEXT NOT NULL, format TEXT NOT NULL,
    encoding TEXT, content_hash TEXT NOT NULL, size INTEGER NOT NULL, ingested_at TEXT NOT NULL,
    meta TEXT NOT NULL DEFAULT '{}');
CREATE TABLE IF NOT EXISTS articles (
    id INTEGER PRIMARY KEY, doc_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    ord INTEGER NOT NULL, title TEXT NOT NULL, author TEXT, place TEXT, date TEXT, text TEXT NOT NULL,
    province TEXT, city TEXT, county TEXT);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY, article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    doc_id INTEGER NOT NULL, ord INTEGER NOT NULL, section TEXT NOT NULL, kind TEXT NOT NULL,
    text TEXT NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL, tokens TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS practices (
    name TEXT NOT NULL, article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    chunk_id INTEGER NOT NULL REFERENCES chunks(id) ON DELETE CASCADE, PRIMARY KEY (name, article_id));
CREATE TABLE IF NOT EXISTS terms (id INTEGER PRIMARY KEY, term TEXT NOT NULL UNIQUE, df INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS pending_deletes (chunk_id INTEGER PRIMARY KEY);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
CREATE INDEX IF NOT EXISTS articles_doc ON articles(doc_id);
"""


class KnowledgeBaseError(Exception):
    """The knowledge base is missing, inconsistent or built with another embedder."""


@dataclass
class PreparedDocument:
    """A parsed document with one vector and one token list per chunk, ready to store."""

    document: Document
    vectors: np.ndarray
    tokens: list[list[str]]
    sentence_vectors: np.ndarray  # one row per sentence of the document's chunks
    sentence_chunks: np.ndarray  # for each sentence row, the position of its chunk in ``vectors``


def needs_rebuild(manifest: dict[str, str]) -> bool:
    """True when the knowledge base was written by an older layout or chunker."""
    if int(manifest.get("generation", 0)) == 0:
        return False
    return manifest.get("schema_version") != str(SCHEMA_VERSION) or manifest.get("chunker_version") != CHUNKER_VERSION


def kb_folder(index_dir: str | Path, kb: str) -> Path:
    if not kb or "/" in kb or "\\" in kb or kb.startswith("."):
        raise KnowledgeBaseError(f"知识库名称 “{kb}” 无效：只能使用字母、数字、汉字、- 和 _")
    return Path(index_dir) / kb


def connect(folder: Path) -> sqlite3.Connection:
    # shared by the web app's worker threads for reads; every write opens its own connection
    conn = sqlite3.connect(folder / "kb.sqlite", timeout=30, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA journal_mode = WAL")
    return conn


def read_manifest(conn: sqlite3.Connection) -> dict[str, str]:
    return {row["key"]: row["value"] for row in conn.execute("SELECT key, value FROM manifest")}


def _gen_dir(folder: Path, generation: int) -> Path:
    return folder / f"gen-{generation}"


@contextmanager
def write_lock(folder: Path) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "write.lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise KnowledgeBaseError(f"知识库 {folder.name} 正在被另一个进程写入，请稍后再试") from exc
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def apply_changes(
    folder: Path,
    embedder_name: str,
    dim: int,
    additions: list[PreparedDocument],
    removals: list[int],
    approximate_above: int = APPROXIMATE_ABOVE,
    backend: dict[str, str] | None = None,
) -> int:
    """Replace documents ``removals`` (ids) by ``additions``; returns the new generation.

    ``backend`` ({"backend": "faiss"|"milvus", "uri": ...}) applies when the knowledge base is
    created; afterwards the one recorded in the manifest is used."""
    with write_lock(folder):
        conn = connect(folder)
        try:
            conn.executescript(SCHEMA)
            _add_missing_columns(conn)
            manifest = read_manifest(conn)
            _check_embedder(manifest, embedder_name, dim, folder.name)
            generation = int(manifest.get("generation", 0))
            _remove_stale_generations(folder, keep=generation)
            chosen = manifest.get("backend") if generation else (backend or {}).get("backend", "faiss")
            if chosen == "milvus":
                uri = manifest.get("store_uri") if generation else str((backend or {})["uri"])
                from qa.milvus_store import apply_milvus

                return apply_milvus(conn, folder, uri, embedder_name, dim, additions, removals, manifest)

            if generation and not needs_rebuild(manifest):
                vectors = DenseVectors.load(_gen_dir(folder, generation), manifest.get("dense_index", "flat"))
            else:  # a fresh knowledge base, or an old layout whose documents all go (ingest rebuilds them)
                vectors = DenseVectors.empty(dim)
            new_ids, next_id = new_chunk_ids(additions, int(manifest.get("next_chunk_id", 1)))
            empty_ids, empty_vectors = np.zeros(0, dtype=np.int64), np.zeros((0, dim), dtype=np.float32)
            vectors = vectors.changed(
                chunk_ids_of(conn, removals),
                np.concatenate([empty_ids, *new_ids]),
                np.concatenate([empty_vectors, *(p.vectors for p in additions)]),
                np.concatenate(
                    [empty_vectors.astype(np.float16), *(p.sentence_vectors.astype(np.float16) for p in additions)]
                ),
                np.concatenate(
                    [empty_ids, *(ids[p.sentence_chunks] for p, ids in zip(additions, new_ids, strict=True))]
                ),
                approximate_above,
            )

            bm25_ids, bm25_tokens = _remaining_tokens(conn, removals)
            for prepared, ids in zip(additions, new_ids, strict=True):
                bm25_ids.extend(int(i) for i in ids)
                bm25_tokens.extend(prepared.tokens)

            new_generation = generation + 1
            _write_generation(folder, new_generation, vectors, bm25_ids, bm25_tokens, embedder_name, dim)
            with conn:  # the switch: one transaction
                # articles and chunks go with their document (ON DELETE CASCADE)
                conn.executemany("DELETE FROM documents WHERE id = ?", [(d,) for d in removals])
                for prepared, ids in zip(additions, new_ids, strict=True):
                    insert_document(conn, prepared, ids)
                set_manifest(
                    conn,
                    generation=new_generation,
                    next_chunk_id=next_id,
                    embedder=embedder_name,
                    dim=dim,
                    chunker_version=CHUNKER_VERSION,
                    dense_index=vectors.kind,
                    schema_version=SCHEMA_VERSION,
                    backend="faiss",
                )
        finally:
            conn.close()
        _remove_stale_generations(folder, keep=new_generation)
        return new_generation


def new_chunk_ids(additions: list[PreparedDocument], next_id: int) -> tuple[list[np.ndarray], int]:
    new_ids = []
    for prepared in additions:
        n = len(prepared.tokens)
        new_ids.append(np.arange(next_id, next_id + n, dtype=np.int64))
        next_id += n
    return new_ids, next_id


def _add_missing_columns(conn: sqlite3.Connection) -> None:
    """Bring tables written by an older layout up to SCHEMA (columns are only ever added)."""
    wanted = {"articles": ("province", "city", "county")}
    for table, columns in wanted.items():
        present = {r["name"] for r in conn.execute(f"PRAGMA table_info({table})")}
        for column in columns:
            if column not in present:
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} TEXT")


def _check_embedder(manifest: dict[str, str], embedder_name: str, dim: int, kb: str) -> None:
    if "embedder" in manifest and int(manifest.get("generation", 0)) > 0:
        if manifest["embedder"] != embedder_name or int(manifest["dim"]) != dim:
            raise KnowledgeBaseError(
                f"知识库 {kb} 是用嵌入模型 “{manifest['embedder']}”（{manifest['dim']} 维）建立的，"
                f"当前配置为 “{embedder_name}”（{dim} 维）：请把 config.yaml 的 embedding.model 改回 "
                f"“{manifest['embedder']}”，或运行 qa ingest --rebuild 用新模型重建"
            )


def chunk_ids_of(conn: sqlite3.Connection, doc_ids: list[int]) -> np.ndarray:
    ids: list[int] = []
    for doc_id in doc_ids:
        ids.extend(r[0] for r in conn.execute("SELECT id FROM chunks WHERE doc_id = ?", (doc_id,)))
    return np.asarray(ids, dtype=np.int64)


def _remaining_tokens(conn: sqlite3.Connection, removals: list[int]) -> tuple[list[int], list[list[str]]]:
    removed = set(removals)
    ids: list[int] = []
    tokens: list[list[str]] = []
    for row in conn.execute("SELECT id, doc_id, tokens FROM chunks ORDER BY id"):
        if row["doc_id"] not in removed:
            ids.append(row["id"])
            # interned: a corpus repeats a few tens of thousands of words millions of times
            tokens.append([sys.intern(t) for t in row["tokens"].split(" ")] if row["tokens"] else [])
    return ids, tokens


def _write_generation(
    folder: Path,
    generation: int,
    vectors: DenseVectors,
    ids: list[int],
    tokens: list[list[str]],
    embedder: str,
    dim: int,
) -> None:
    final = _gen_dir(folder, generation)
    tmp = folder / f"gen-{generation}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    vectors.save(tmp)
    BM25Index.build(tokens).save(tmp / "bm25")
    np.save(tmp / "ids.npy", np.asarray(ids, dtype=np.int64), allow_pickle=False)
    meta = {
        "generation": generation,
        "count": len(ids),
        "sentences": vectors.sentence_count,
        "dense_index": vectors.kind,
        "embedder": embedder,
        "dim": dim,
    }
    (tmp / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    for path in tmp.rglob("*"):
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
    os.replace(tmp, final)
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _remove_stale_generations(folder: Path, keep: int) -> None:
    for path in folder.glob("gen-*"):
        if path.name != f"gen-{keep}":
            shutil.rmtree(path, ignore_errors=True)


def insert_document(conn: sqlite3.Connection, prepared: PreparedDocument, ids: np.ndarray) -> None:
    doc = prepared.document
    cur = conn.execute(
        "INSERT INTO documents (path, file_name, format, encoding, content_hash, size, ingested_at, meta)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            doc.path,
            doc.file_name,
            doc.format,
            doc.encoding,
            doc.content_hash,
            doc.size,
            time.strftime("%Y-%m-%d %H:%M:%S"),
            json.dumps(doc.meta, ensure_ascii=False),
        ),
    )
    doc_id = cur.lastrowid
    position = 0
    for ord_, article in enumerate(doc.articles):
        cur = conn.execute(
            "INSERT INTO articles (doc_id, ord, title, author, place, date, text, province, city, county)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                doc_id,
                ord_,
                article.title,
                article.author,
                article.place,
                article.date,
                article.text,
                article.province,
                article.city,
                article.county,
            ),
        )
        article_id = cur.lastrowid
        for chunk_ord, chunk in enumerate(article.chunks):
            chunk.id = int(ids[position])
            conn.execute(
                'INSERT INTO chunks (id, article_id, doc_id, ord, section, kind, text, start, "end", tokens)'
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    chunk.id,
                    article_id,
                    doc_id,
                    chunk_ord,
                    json.dumps(chunk.section, ensure_ascii=False),
                    chunk.kind,
                    chunk.text,
                    chunk.start,
                    chunk.end,
                    " ".join(prepared.tokens[position]),
                ),
            )
            position += 1
        _insert_practices(conn, article)


def _insert_practices(conn: sqlite3.Connection, article) -> None:
    """Each practice named in the article, with the chunk that first names it."""
    for name, start, _ in extract_practices(article.text):
        chunk = next((c for c in article.chunks if c.start <= start < c.end), None)
        if chunk is not None:
            conn.execute(
                "INSERT OR IGNORE INTO practices (name, article_id, chunk_id)"
                " SELECT ?, article_id, id FROM chunks WHERE id = ?",
                (name, chunk.id),
            )


def set_manifest(conn: sqlite3.Connection, **values: object) -> None:
    conn.executemany(
        "INSERT INTO manifest (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [(k, str(v)) for k, v in values.items()],
    )


class KnowledgeBase:
    """A knowledge base opened for reading; every part checked against the manifest."""

    def __init__(self, folder: Path) -> None:
        if not (folder / "kb.sqlite").exists():
            raise KnowledgeBaseError(
                f"知识库 “{folder.name}” 不存在（{folder}）：请先运行 qa ingest 文件或文件夹 --kb {folder.name}"
            )
        self.folder = folder
        self.conn = connect(folder)
        self.manifest = read_manifest(self.conn)
        self.generation = int(self.manifest.get("generation", 0))
        if self.generation == 0:
            raise KnowledgeBaseError(f"知识库 “{folder.name}” 还没有任何文档：请先运行 qa ingest")
        if needs_rebuild(self.manifest):
            raise KnowledgeBaseError(
                f"知识库 “{folder.name}” 是旧版本格式：请运行 qa ingest 文件夹 --kb {folder.name}（会自动按新格式重建）"
            )
        self.embedder_name = self.manifest["embedder"]
        self.dim = int(self.manifest["dim"])
        self.backend = self.manifest.get("backend", "faiss")
        if self.backend == "milvus":
            self._open_milvus()
            return
        gen = _gen_dir(folder, self.generation)
        try:
            meta = json.loads((gen / "meta.json").read_text(encoding="utf-8"))
            self.vectors = DenseVectors.load(gen, meta.get("dense_index", "flat"))
            self.bm25 = BM25Index.load(gen / "bm25")
            self.bm25_ids = np.load(gen / "ids.npy", allow_pickle=False)
        except (OSError, ValueError, RuntimeError) as exc:
            raise KnowledgeBaseError(
                f"知识库 “{folder.name}” 的第 {self.generation} 代文件缺失或损坏：请运行 qa ingest --rebuild 重建。原因：{exc}"
            ) from exc
        count = self.conn.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        parts = {"manifest": count, "faiss": self.vectors.count, "bm25": len(self.bm25_ids), "meta": meta["count"]}
        consistent = len(set(parts.values())) == 1 and self.vectors.sentence_count == meta["sentences"]
        if meta["generation"] != self.generation or not consistent:
            raise KnowledgeBaseError(f"知识库 “{folder.name}” 各部分不一致（{parts}）：请运行 qa ingest --rebuild 重建")

    def _open_milvus(self) -> None:
        from qa.milvus_store import MilvusVectors, collection_prefix

        self.vectors = MilvusVectors(self.manifest["store_uri"], collection_prefix(self.folder), self.dim)
        count = self.conn.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        # Milvus may still hold rows of a removal whose Milvus delete is pending (never shown: see fetch)
        if self.vectors.count < count:
            raise KnowledgeBaseError(
                f"知识库 “{self.folder.name}” 在 Milvus 中的向量少于 SQLite 中的段落（{self.vectors.count} < {count}）："
                "请运行 qa ingest --rebuild 重建"
            )

    def lexical(
        self, tokens: list[str], expansion: list[str], expansion_weight: float, n: int, allowed: np.ndarray | None
    ) -> list[tuple[int, float]]:
        """The n best chunks by BM25 for the query tokens (plus thesaurus tokens at a reduced weight)."""
        if self.backend == "milvus":
            return self.vectors.lexical(self._query_weights(tokens, expansion, expansion_weight), n, allowed)
        scores = self.bm25.scores(tokens)
        if expansion:
            scores = scores + expansion_weight * self.bm25.scores(expansion)
        if allowed is not None:
            scores = np.where(np.isin(self.bm25_ids, allowed), scores, 0.0)
        n = min(n, scores.size)
        top = np.argpartition(-scores, n - 1)[:n] if n < scores.size else np.arange(scores.size)
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(self.bm25_ids[row]), float(scores[row])) for row in top if scores[row] > 0]

    def _query_weights(self, tokens: list[str], expansion: list[str], expansion_weight: float) -> dict[int, float]:
        from qa.lexical import bm25_idf

        terms = set(tokens) | set(expansion)
        if not terms:
            return {}
        rows = self.conn.execute(
            f"SELECT term, id, df FROM terms WHERE df > 0 AND term IN ({','.join('?' * len(terms))})", list(terms)
        ).fetchall()
        found = {r["term"]: (r["id"], r["df"]) for r in rows}
        docs = int(self.manifest.get("bm25_docs", 0))
        weights: dict[int, float] = {}
        for token_list, weight in ((tokens, 1.0), (expansion, expansion_weight)):
            for t in token_list:  # a repeated query word counts again, as in bm25s
                if t in found:
                    term_id, df = found[t]
                    weights[term_id] = weights.get(term_id, 0.0) + weight * bm25_idf(df, docs)
        return weights

    @property
    def chunk_count(self) -> int:
        return self.vectors.count

    def close(self) -> None:
        self.conn.close()

    def documents(self) -> list[sqlite3.Row]:
        return self.conn.execute(
            "SELECT d.id, d.path, d.file_name, d.format, d.encoding, d.ingested_at,"
            " GROUP_CONCAT(a.title, ' / ') AS titles, GROUP_CONCAT(a.place, ' / ') AS places,"
            " GROUP_CONCAT(DISTINCT a.province) AS provinces, GROUP_CONCAT(a.author, ' / ') AS authors, GROUP_CONCAT(a.date, ' / ') AS dates,"
            " COUNT(DISTINCT a.id) AS articles,"
            " (SELECT COUNT(*) FROM chunks c WHERE c.doc_id = d.id) AS chunks"
            " FROM documents d LEFT JOIN articles a ON a.doc_id = d.id GROUP BY d.id ORDER BY d.file_name"
        ).fetchall()
