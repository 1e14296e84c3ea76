"""One knowledge base on disk: SQLite + FAISS + BM25, written atomically, checked on open.

Layout of ``<index_dir>/<kb>/``::

    kb.sqlite        documents, articles, chunks (with jieba tokens), named practices, manifest
    gen-<N>/         dense.faiss (one vector per chunk), sentences.faiss (one per
                     sentence, under its chunk's id), bm25/, ids.npy, meta.json
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

# Bumped when the stored layout or the chunking changes: ingest then rebuilds from the source files.
SCHEMA_VERSION = 2
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
) -> int:
    """Replace documents ``removals`` (ids) by ``additions``; returns the new generation."""
    import faiss

    with write_lock(folder):
        conn = connect(folder)
        try:
            conn.executescript(SCHEMA)
            _add_missing_columns(conn)
            manifest = read_manifest(conn)
            _check_embedder(manifest, embedder_name, dim, folder.name)
            generation = int(manifest.get("generation", 0))
            _remove_stale_generations(folder, keep=generation)

            if generation and not needs_rebuild(manifest):
                index, sentence_index = _load_dense(folder, generation)
            else:  # a fresh knowledge base, or an old layout whose documents all go (ingest rebuilds them)
                index, sentence_index = (faiss.IndexIDMap2(faiss.IndexFlatIP(dim)) for _ in range(2))
            removed_ids = _chunk_ids(conn, removals)
            if removed_ids.size:
                index.remove_ids(removed_ids)
                sentence_index.remove_ids(removed_ids)  # every sentence row carries its chunk's id
            next_id = int(manifest.get("next_chunk_id", 1))
            new_ids: list[np.ndarray] = []
            for prepared in additions:
                n = len(prepared.tokens)
                ids = np.arange(next_id, next_id + n, dtype=np.int64)
                next_id += n
                if n:
                    index.add_with_ids(np.ascontiguousarray(prepared.vectors, dtype=np.float32), ids)
                    sentence_index.add_with_ids(
                        np.ascontiguousarray(prepared.sentence_vectors, dtype=np.float32), ids[prepared.sentence_chunks]
                    )
                new_ids.append(ids)

            bm25_ids, bm25_tokens = _remaining_tokens(conn, removals)
            for prepared, ids in zip(additions, new_ids, strict=True):
                bm25_ids.extend(int(i) for i in ids)
                bm25_tokens.extend(prepared.tokens)

            new_generation = generation + 1
            _write_generation(
                folder, new_generation, (index, sentence_index), bm25_ids, bm25_tokens, embedder_name, dim
            )
            with conn:  # the switch: one transaction
                # articles and chunks go with their document (ON DELETE CASCADE)
                conn.executemany("DELETE FROM documents WHERE id = ?", [(d,) for d in removals])
                for prepared, ids in zip(additions, new_ids, strict=True):
                    _insert_document(conn, prepared, ids)
                _set_manifest(
                    conn,
                    generation=new_generation,
                    next_chunk_id=next_id,
                    embedder=embedder_name,
                    dim=dim,
                    chunker_version=CHUNKER_VERSION,
                    schema_version=SCHEMA_VERSION,
                )
        finally:
            conn.close()
        _remove_stale_generations(folder, keep=new_generation)
        return new_generation


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


def _chunk_ids(conn: sqlite3.Connection, doc_ids: list[int]) -> np.ndarray:
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
            tokens.append(row["tokens"].split(" ") if row["tokens"] else [])
    return ids, tokens


def _write_generation(
    folder: Path, generation: int, indexes: tuple, ids: list[int], tokens: list[list[str]], embedder: str, dim: int
) -> None:
    import faiss

    final = _gen_dir(folder, generation)
    tmp = folder / f"gen-{generation}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    index, sentence_index = indexes
    faiss.write_index(index, str(tmp / "dense.faiss"))
    faiss.write_index(sentence_index, str(tmp / "sentences.faiss"))
    BM25Index.build(tokens).save(tmp / "bm25")
    np.save(tmp / "ids.npy", np.asarray(ids, dtype=np.int64), allow_pickle=False)
    meta = {
        "generation": generation,
        "count": len(ids),
        "sentences": int(sentence_index.ntotal),
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


def _insert_document(conn: sqlite3.Connection, prepared: PreparedDocument, ids: np.ndarray) -> None:
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


def _set_manifest(conn: sqlite3.Connection, **values: object) -> None:
    conn.executemany(
        "INSERT INTO manifest (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [(k, str(v)) for k, v in values.items()],
    )


def _load_dense(folder: Path, generation: int):
    """The chunk and sentence FAISS indexes of one generation."""
    import faiss

    gen = _gen_dir(folder, generation)
    return faiss.read_index(str(gen / "dense.faiss")), faiss.read_index(str(gen / "sentences.faiss"))


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
        gen = _gen_dir(folder, self.generation)
        try:
            meta = json.loads((gen / "meta.json").read_text(encoding="utf-8"))
            self.dense, self.sentences = _load_dense(folder, self.generation)
            self.bm25 = BM25Index.load(gen / "bm25")
            self.bm25_ids = np.load(gen / "ids.npy", allow_pickle=False)
        except (OSError, ValueError, RuntimeError) as exc:
            raise KnowledgeBaseError(
                f"知识库 “{folder.name}” 的第 {self.generation} 代文件缺失或损坏：请运行 qa ingest --rebuild 重建。原因：{exc}"
            ) from exc
        count = self.conn.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        parts = {"manifest": count, "faiss": self.dense.ntotal, "bm25": len(self.bm25_ids), "meta": meta["count"]}
        consistent = len(set(parts.values())) == 1 and self.sentences.ntotal == meta["sentences"]
        if meta["generation"] != self.generation or not consistent:
            raise KnowledgeBaseError(f"知识库 “{folder.name}” 各部分不一致（{parts}）：请运行 qa ingest --rebuild 重建")
        self.embedder_name = self.manifest["embedder"]
        self.dim = int(self.manifest["dim"])

    @property
    def chunk_count(self) -> int:
        return int(self.dense.ntotal)

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
