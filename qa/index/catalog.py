"""Every read query the stages above the index make: hits by chunk id, filter scopes, document
listings, places, practices, example headings. Callers pass the open knowledge base's connection
(``KnowledgeBase.conn``) and get plain values or model objects back, never SQL rows."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import numpy as np

from qa.model import Filters, Hit, Practice, PracticeUse, Scope

DOCUMENT_COLUMNS = ("id", "file_name", "titles", "places", "provinces", "authors", "dates", "chunks")
# An article about a place or naming it (``Filters.mentions``): one "%place%" parameter per column.
_MENTIONS_PLACE = "(a.place LIKE ? OR a.city LIKE ? OR a.county LIKE ? OR a.title LIKE ? OR a.text LIKE ?)"
_MENTIONS_PLACE_PARAMS = _MENTIONS_PLACE.count("?")


def hits(conn: sqlite3.Connection, chunk_ids: list[int]) -> list[Hit]:
    """Hits for chunk ids, in the given order (ids no longer stored are skipped)."""
    if not chunk_ids:
        return []
    marks = ",".join("?" * len(chunk_ids))
    rows = conn.execute(
        'SELECT c.id, c.section, c.kind, c.text, c.start, c."end", c.page, c.article_id, a.title, a.place,'
        " a.province, a.city, a.county, a.author, d.file_name, d.format"
        " FROM chunks c JOIN articles a ON a.id = c.article_id JOIN documents d ON d.id = c.doc_id"
        f" WHERE c.id IN ({marks})",
        chunk_ids,
    ).fetchall()
    by_id = {r["id"]: r for r in rows}
    return [
        Hit(
            chunk_id=cid,
            doc=r["file_name"],
            title=r["title"],
            place=r["place"],
            section=json.loads(r["section"]),
            text=r["text"],
            start=r["start"],
            end=r["end"],
            score=0.0,
            kind=r["kind"],
            article_id=r["article_id"],
            province=r["province"],
            city=r["city"],
            county=r["county"],
            author=r["author"],
            ocr=(r["format"] or "").endswith("+ocr"),
            page=r["page"],
        )
        for cid in chunk_ids
        if (r := by_id.get(cid)) is not None
    ]


def scope(conn: sqlite3.Connection, filters: Filters) -> Scope:
    """The chunks (and their articles) that ``filters`` allow."""
    clauses, params = [], []
    if filters.doc:
        clauses.append("d.file_name = ?")
        params.append(filters.doc)
    if filters.place:
        clauses.append("(a.place LIKE ? OR a.city LIKE ? OR a.county LIKE ?)")
        params.extend([f"%{filters.place}%"] * 3)
    if filters.province:
        clauses.append("a.province LIKE ?")
        params.append(f"{filters.province}%")
    if filters.mentions:
        clauses.append(_MENTIONS_PLACE)
        params.extend([f"%{filters.mentions}%"] * _MENTIONS_PLACE_PARAMS)
    if filters.year:
        clauses.append("(a.date LIKE ? OR a.text LIKE ?)")
        params.extend([f"{filters.year}%", f"%{filters.year}年%"])
    rows = conn.execute(
        "SELECT c.id, c.article_id FROM chunks c JOIN articles a ON a.id = c.article_id"
        f" JOIN documents d ON d.id = c.doc_id WHERE {' AND '.join(clauses) or '1'}",
        params,
    ).fetchall()
    ids = np.asarray(rows, dtype=np.int64).reshape(-1, 2)
    return Scope(ids[:, 0], np.unique(ids[:, 1]))


def chunk_texts(conn: sqlite3.Connection, chunk_ids: list[int]) -> dict[int, str]:
    """chunk id → its title and text (what a quoted term may appear in)."""
    if not chunk_ids:
        return {}
    marks = ",".join("?" * len(chunk_ids))
    rows = conn.execute(
        f"SELECT c.id, a.title, c.text FROM chunks c JOIN articles a ON a.id = c.article_id WHERE c.id IN ({marks})",
        chunk_ids,
    ).fetchall()
    return {r["id"]: f"{r['title']}\n{r['text']}" for r in rows}


def chunks_containing(conn: sqlite3.Connection, phrase: str, limit: int) -> list[tuple[int, int]]:
    """(chunk id, times the phrase occurs) for chunks whose text contains the phrase verbatim, most first."""
    rows = conn.execute(
        "SELECT c.id, c.text FROM chunks c JOIN articles a ON a.id = c.article_id"
        " WHERE c.text LIKE ? OR a.title LIKE ?",
        (f"%{phrase}%", f"%{phrase}%"),
    ).fetchall()
    counted = sorted(((r["id"], r["text"].count(phrase)) for r in rows), key=lambda x: (-x[1], x[0]))
    return counted[:limit]


def mentions(conn: sqlite3.Connection, phrase: str) -> bool:
    """Whether any passage or article title holds the phrase verbatim, or with quotation marks inside it (村两委
    is written 村“两委”)."""
    row = conn.execute(
        "SELECT 1 FROM chunks c JOIN articles a ON a.id = c.article_id WHERE c.text LIKE ? OR a.title LIKE ?"
        " OR REPLACE(REPLACE(c.text, '“', ''), '”', '') LIKE ? LIMIT 1",
        (f"%{phrase}%",) * 3,
    ).fetchone()
    return row is not None


def mentions_within(conn: sqlite3.Connection, phrase: str, place: str) -> bool:
    """Whether an article about the place, or naming it, holds the phrase (as ``Filters(mentions=place)``
    scopes a search)."""
    row = conn.execute(
        f"SELECT 1 FROM articles a WHERE {_MENTIONS_PLACE} AND (a.title LIKE ? OR a.text LIKE ?) LIMIT 1",
        [f"%{place}%"] * _MENTIONS_PLACE_PARAMS + [f"%{phrase}%"] * 2,
    ).fetchone()
    return row is not None


def term_statistics(conn: sqlite3.Connection, terms: set[str]) -> dict[str, tuple[int, int]]:
    """term → (term id, document frequency) for the terms the corpus holds."""
    if not terms:
        return {}
    rows = conn.execute(
        f"SELECT term, id, df FROM terms WHERE df > 0 AND term IN ({','.join('?' * len(terms))})", list(terms)
    ).fetchall()
    return {r["term"]: (r["id"], r["df"]) for r in rows}


def chunk_count(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]


def documents(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """One row per document: id, path, file name, format, encoding, when ingested, and its articles'
    titles, places, provinces, authors and dates (joined by " / "), with its article and chunk counts."""
    rows = conn.execute(
        "SELECT d.id, d.path, d.file_name, d.format, d.encoding, d.ingested_at,"
        " GROUP_CONCAT(a.title, ' / ') AS titles, GROUP_CONCAT(a.place, ' / ') AS places,"
        " GROUP_CONCAT(DISTINCT a.province) AS provinces, GROUP_CONCAT(a.author, ' / ') AS authors,"
        " GROUP_CONCAT(a.date, ' / ') AS dates, COUNT(DISTINCT a.id) AS articles,"
        " (SELECT COUNT(*) FROM chunks c WHERE c.doc_id = d.id) AS chunks"
        " FROM documents d LEFT JOIN articles a ON a.doc_id = d.id GROUP BY d.id ORDER BY d.file_name"
    ).fetchall()
    return [dict(r) for r in rows]


def document_passages(conn: sqlite3.Connection, doc_id: int) -> list[dict[str, Any]]:
    """A document's passages in order: id, article, section path (a JSON list), offsets, page, text."""
    rows = conn.execute(
        'SELECT c.id, a.ord AS article, a.title, c.section, c.start, c."end", c.page, c.text FROM chunks c'
        " JOIN articles a ON a.id = c.article_id WHERE c.doc_id = ? ORDER BY a.ord, c.ord",
        (int(doc_id),),
    ).fetchall()
    return [dict(r) for r in rows]


def document_articles(conn: sqlite3.Connection, doc_id: int) -> list[dict[str, Any]]:
    """A document's articles in order, with their metadata: title, place, author, date, province."""
    rows = conn.execute(
        "SELECT ord, title, place, author, date, province FROM articles WHERE doc_id = ? ORDER BY ord", (int(doc_id),)
    ).fetchall()
    return [dict(r) for r in rows]


def document_hashes(conn: sqlite3.Connection) -> dict[str, tuple[int, str]]:
    """path → (document id, content hash)."""
    return {
        r["path"]: (r["id"], r["content_hash"]) for r in conn.execute("SELECT id, path, content_hash FROM documents")
    }


def article_texts(conn: sqlite3.Connection, article_ids: list[int]) -> dict[int, str]:
    if not article_ids:
        return {}
    marks = ",".join("?" * len(article_ids))
    return dict(conn.execute(f"SELECT id, text FROM articles WHERE id IN ({marks})", article_ids).fetchall())


def provinces(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT DISTINCT province FROM articles WHERE province IS NOT NULL ORDER BY 1")]


def place_names(conn: sqlite3.Connection) -> set[str]:
    """Every place, county and city the articles name."""
    names: set[str] = set()
    for row in conn.execute("SELECT DISTINCT place, county, city FROM articles"):
        names.update(name for name in row if name)
    return names


def place_headings(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """(place, first-level heading of 6–16 characters) in corpus order, for example questions."""
    rows = conn.execute(
        "SELECT DISTINCT a.place, json_extract(c.section, '$[1]') AS heading FROM chunks c"
        " JOIN articles a ON a.id = c.article_id WHERE a.place IS NOT NULL AND heading IS NOT NULL"
        " AND length(heading) BETWEEN 6 AND 16 ORDER BY c.id"
    ).fetchall()
    return [(r["place"], r["heading"]) for r in rows]


def list_practices(conn: sqlite3.Connection, search: str | None = None) -> list[Practice]:
    """Practices with the articles using them, most widely used first.

    With ``search``, the practices whose name contains it, and also articles that use such a name
    without quotes ("严格落实四议两公开制度")."""
    rows = conn.execute(
        "SELECT p.name, p.chunk_id, a.id AS article_id, a.place, a.province, a.title, d.file_name, c.text"
        " FROM practices p JOIN articles a ON a.id = p.article_id JOIN documents d ON d.id = a.doc_id"
        " JOIN chunks c ON c.id = p.chunk_id"
        + (" WHERE p.name LIKE ?" if search else "")
        + " ORDER BY d.file_name, a.ord",
        ([f"%{search}%"] if search else []),
    ).fetchall()
    practices: dict[str, Practice] = {}
    seen: dict[str, set[int]] = {}
    for r in rows:
        practice = practices.setdefault(r["name"], Practice(r["name"]))
        if r["article_id"] not in seen.setdefault(r["name"], set()):
            seen[r["name"]].add(r["article_id"])
            practice.uses.append(
                PracticeUse(r["place"], r["province"], r["file_name"], r["title"], r["chunk_id"], r["text"])
            )
    if search:
        for name, practice in practices.items():
            _add_unquoted_uses(conn, name, practice, seen[name])
    return sorted(practices.values(), key=lambda p: (-len(p.uses), p.name))


def _add_unquoted_uses(conn: sqlite3.Connection, name: str, practice: Practice, seen: set[int]) -> None:
    rows = conn.execute(
        "SELECT c.id, c.text, a.id AS article_id, a.place, a.province, a.title, d.file_name FROM chunks c"
        " JOIN articles a ON a.id = c.article_id JOIN documents d ON d.id = a.doc_id"
        " WHERE c.text LIKE ? ORDER BY d.file_name, a.ord, c.ord",
        (f"%{name}%",),
    )
    for r in rows:
        if r["article_id"] not in seen:
            seen.add(r["article_id"])
            practice.uses.append(PracticeUse(r["place"], r["province"], r["file_name"], r["title"], r["id"], r["text"]))
