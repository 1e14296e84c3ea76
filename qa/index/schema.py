"""The knowledge base's SQLite file: its tables, the connection, the manifest and the upgrades.

``<index_dir>/<kb>/kb.sqlite`` holds documents, articles, chunks (with jieba tokens), named practices,
BM25 terms and document frequencies, the list of segments and their tombstones, and the manifest
(embedder, dimension, chunker version, generation, next ids, backend). Columns are only ever added;
a layout change that cannot be upgraded in place bumps ``SCHEMA_VERSION`` and ingest rebuilds.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from qa.errors import KnowledgeBaseError
from qa.migrations import add_columns, upgrade
from qa.model import CHUNKER_VERSION

# Bumped when the stored layout changes: ingest then rebuilds from the source files.
SCHEMA_VERSION = 5
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
    text TEXT NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL, tokens TEXT NOT NULL);  -- jieba tokens
CREATE TABLE IF NOT EXISTS practices (
    name TEXT NOT NULL, article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    chunk_id INTEGER NOT NULL REFERENCES chunks(id) ON DELETE CASCADE, PRIMARY KEY (name, article_id));
CREATE TABLE IF NOT EXISTS terms (id INTEGER PRIMARY KEY, term TEXT NOT NULL UNIQUE, df INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS pending_deletes (chunk_id INTEGER PRIMARY KEY);
CREATE TABLE IF NOT EXISTS segments (
    number INTEGER PRIMARY KEY, first_id INTEGER NOT NULL, rows INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0, dense_index TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS deleted_chunks (chunk_id INTEGER PRIMARY KEY, segment INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
CREATE INDEX IF NOT EXISTS articles_doc ON articles(doc_id);
"""
# columns added since a table was first written: (table, column, type)
ADDED_COLUMNS = [
    ("articles", "province", "TEXT"),
    ("articles", "city", "TEXT"),
    ("articles", "county", "TEXT"),
    ("chunks", "page", "INTEGER"),  # NULL for text formats and for passages indexed before pages were kept
]


def kb_folder(index_dir: str | Path, kb: str) -> Path:
    if not kb or "/" in kb or "\\" in kb or kb.startswith("."):
        raise KnowledgeBaseError(f"知识库名称 “{kb}” 无效", "只能使用字母、数字、汉字、- 和 _")
    return Path(index_dir) / kb


def connect(folder: Path) -> sqlite3.Connection:
    # shared by the web app's worker threads for reads; every write opens its own connection
    conn = sqlite3.connect(folder / "kb.sqlite", timeout=30, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA journal_mode = WAL")
    return conn


# numbered upgrades of kb.sqlite (qa.migrations): 1 the tables, 2 the columns added since they were first written
STEPS = [SCHEMA, add_columns(ADDED_COLUMNS)]


def migrate(conn: sqlite3.Connection) -> None:
    """Bring the file up to the last of ``STEPS`` (columns are only ever added)."""
    upgrade(conn, STEPS, "知识库文件 kb.sqlite ")


def read_manifest(conn: sqlite3.Connection) -> dict[str, str]:
    return {row["key"]: row["value"] for row in conn.execute("SELECT key, value FROM manifest")}


def set_manifest(conn: sqlite3.Connection, **values: object) -> None:
    conn.executemany(
        "INSERT INTO manifest (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [(k, str(v)) for k, v in values.items()],
    )


def needs_rebuild(manifest: dict[str, str]) -> bool:
    """True when the knowledge base was written by an older layout or chunker."""
    if int(manifest.get("generation", 0)) == 0:
        return False
    return manifest.get("schema_version") != str(SCHEMA_VERSION) or manifest.get("chunker_version") != CHUNKER_VERSION


def stored_manifest(folder: Path) -> dict[str, str]:
    """The manifest of the knowledge base at ``folder`` ({} when there is none yet)."""
    if not (folder / "kb.sqlite").exists():
        return {}
    conn = connect(folder)
    try:
        migrate(conn)
        return read_manifest(conn)
    finally:
        conn.close()
