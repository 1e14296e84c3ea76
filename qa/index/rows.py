"""The SQL of a write: rows every write commits whichever backend holds the vectors (documents, articles,
chunks, practices, BM25 statistics), and the bookkeeping each backend keeps in SQLite (segments and
tombstones; Milvus's pending deletes)."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable

import numpy as np

from qa.index.schema import SCHEMA_VERSION, set_manifest
from qa.index.segments import SegmentInfo
from qa.model import CHUNKER_VERSION, PreparedDocument
from qa.text import BIGRAM_MARK, char_bigrams, passage_text

_BATCH = 900  # SQLite's limit on bound parameters is 999


def first_article_id(conn: sqlite3.Connection, manifest: dict[str, str]) -> int:
    """Article ids are given out in order and never reused (Milvus filters on them)."""
    largest = conn.execute("SELECT COALESCE(MAX(id), 0) FROM articles").fetchone()[0]
    return max(int(manifest.get("next_article_id", 1)), largest + 1)


def chunk_ids_of(conn: sqlite3.Connection, doc_ids: list[int]) -> np.ndarray:
    ids: list[int] = []
    for doc_id in doc_ids:
        ids.extend(r[0] for r in conn.execute("SELECT id FROM chunks WHERE doc_id = ?", (doc_id,)))
    return np.asarray(ids, dtype=np.int64)


def removed_tokens(conn: sqlite3.Connection, doc_ids: list[int]) -> list[list[str]]:
    """The index terms of every chunk of these documents: the stored jieba tokens, and the character
    pairs, which are recomputed from the text rather than stored (they would double the table)."""
    found: list[list[str]] = []
    for start in range(0, len(doc_ids), _BATCH):
        part = doc_ids[start : start + _BATCH]
        query = (
            "SELECT c.tokens, c.section, c.text, a.title FROM chunks c JOIN articles a ON a.id = c.article_id"
            f" WHERE c.doc_id IN ({','.join('?' * len(part))})"
        )
        for r in conn.execute(query, part):
            pairs = char_bigrams(passage_text(r["title"], json.loads(r["section"]), r["text"]))
            found.append((r["tokens"].split(" ") if r["tokens"] else []) + pairs)
    return found


def term_ids(conn: sqlite3.Connection, terms: Iterable[str]) -> dict[str, int]:
    """The ids of ``terms``, adding the missing ones (with df 0 until a write commits their counts)."""
    terms = list(terms)
    with conn:
        conn.executemany("INSERT OR IGNORE INTO terms (term, df) VALUES (?, 0)", [(t,) for t in terms])
    found: dict[str, int] = {}
    for start in range(0, len(terms), _BATCH):
        part = terms[start : start + _BATCH]
        query = f"SELECT term, id FROM terms WHERE term IN ({','.join('?' * len(part))})"
        found.update(conn.execute(query, part).fetchall())
    return found


def commit_rows(
    conn: sqlite3.Connection,
    additions: list[PreparedDocument],
    chunk_ids: list[np.ndarray],
    article_ids: list[list[int]],
    removals: list[int],
    df_change: dict[str, int],
    fresh: bool,
    **manifest: object,
) -> None:
    """The row changes every write commits, inside the caller's transaction: replaced documents
    deleted, new ones inserted with the given chunk and article ids, BM25 document frequencies
    (reset first when ``fresh``), and the manifest."""
    # articles and chunks go with their document (ON DELETE CASCADE)
    conn.executemany("DELETE FROM documents WHERE id = ?", [(d,) for d in removals])
    for prepared, ids, articles in zip(additions, chunk_ids, article_ids, strict=True):
        _insert_document(conn, prepared, ids, articles)
    if fresh:
        conn.execute("UPDATE terms SET df = 0")
    conn.executemany("UPDATE terms SET df = df + ? WHERE term = ?", [(d, t) for t, d in df_change.items()])
    set_manifest(conn, chunker_version=CHUNKER_VERSION, schema_version=SCHEMA_VERSION, **manifest)


def _insert_document(
    conn: sqlite3.Connection, prepared: PreparedDocument, chunk_ids: np.ndarray, article_ids: list[int]
) -> None:
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
    chunk_rows = []
    for ord_, (article, article_id) in enumerate(zip(doc.articles, article_ids, strict=True)):
        conn.execute(
            "INSERT INTO articles (id, doc_id, ord, title, author, place, date, text, province, city, county)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                article_id,
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
        for chunk_ord, chunk in enumerate(article.chunks):
            position = len(chunk_rows)
            chunk_rows.append(
                (
                    int(chunk_ids[position]),
                    article_id,
                    doc_id,
                    chunk_ord,
                    json.dumps(chunk.section, ensure_ascii=False),
                    chunk.kind,
                    chunk.text,
                    chunk.start,
                    chunk.end,
                    " ".join(t for t in prepared.tokens[position] if not t.startswith(BIGRAM_MARK)),
                    chunk.page,
                )
            )
    conn.executemany(
        'INSERT INTO chunks (id, article_id, doc_id, ord, section, kind, text, start, "end", tokens, page)'
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        chunk_rows,
    )
    # each practice with the chunk that first names it in its article
    conn.executemany(
        "INSERT OR IGNORE INTO practices (name, article_id, chunk_id) VALUES (?, ?, ?)",
        [(name, chunk_rows[position][1], chunk_rows[position][0]) for name, position in prepared.practices],
    )


# ------------------------------------------------------------------ FAISS segments and tombstones


def list_segments(conn: sqlite3.Connection) -> list[SegmentInfo]:
    rows = conn.execute("SELECT number, first_id, rows, deleted, dense_index FROM segments ORDER BY first_id")
    return [SegmentInfo(*row) for row in rows]


def deleted_ids(conn: sqlite3.Connection, segment: SegmentInfo, tombstones: dict[int, list[int]]) -> np.ndarray:
    """Chunk ids deleted from ``segment``: recorded by earlier writes, and by this one."""
    earlier = [r[0] for r in conn.execute("SELECT chunk_id FROM deleted_chunks WHERE segment = ?", (segment.number,))]
    return np.unique(np.asarray(earlier + tombstones.get(segment.number, []), dtype=np.int64))


def replace_segments(
    conn: sqlite3.Connection,
    segments: list[SegmentInfo],
    tombstones: dict[int, list[int]],
    dropped: list[SegmentInfo],
    fresh: bool,
) -> None:
    """Inside the switch: record this write's tombstones, forget those of merged-away segments, and
    replace the list of segments."""
    if fresh:
        conn.execute("DELETE FROM deleted_chunks")
    conn.executemany(
        "INSERT INTO deleted_chunks (chunk_id, segment) VALUES (?, ?)",
        [(int(c), number) for number, ids in tombstones.items() for c in ids],
    )
    conn.executemany("DELETE FROM deleted_chunks WHERE segment = ?", [(s.number,) for s in dropped])
    conn.execute("DELETE FROM segments")
    conn.executemany(
        "INSERT INTO segments (number, first_id, rows, deleted, dense_index) VALUES (?, ?, ?, ?, ?)",
        [(s.number, s.first_id, s.rows, s.deleted, s.dense_index) for s in segments],
    )


# ------------------------------------------------------------------ Milvus deletes


def pending_deletes(conn: sqlite3.Connection) -> list[int]:
    return [r[0] for r in conn.execute("SELECT chunk_id FROM pending_deletes")]


def add_pending_deletes(conn: sqlite3.Connection, chunk_ids: np.ndarray) -> None:
    conn.executemany("INSERT OR IGNORE INTO pending_deletes (chunk_id) VALUES (?)", [(int(i),) for i in chunk_ids])


def clear_pending_deletes(conn: sqlite3.Connection) -> None:
    with conn:
        conn.execute("DELETE FROM pending_deletes")
