"""One knowledge base on disk: SQLite + FAISS + BM25 segments, written atomically, checked on open.

Layout of ``<index_dir>/<kb>/``::

    kb.sqlite        documents, articles, chunks (with jieba tokens), named practices, BM25 terms
                     and document frequencies, the list of segments and their tombstones, manifest
    segments/seg-<n>/  one write's chunks (or a merge of several): chunk vectors in FAISS (flat, or
                     IVF when large), float16 sentence vectors, BM25 postings (see ``qa.segments``)
    write.lock       held by the single writer

A write adds one new segment for its new chunks, records removed chunks as tombstones, merges
segments when the merge policy says so, and then commits one SQLite transaction that changes the
rows and the list of segments. The commit is the switch: a crash before it leaves the previous
state untouched (new segment folders are not listed yet and are removed by the next write), a
crash after it leaves the new state whole. No pickle anywhere.
"""

from __future__ import annotations

import fcntl
import json
import shutil
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.chunking import CHUNKER_VERSION
from qa.lexical import Postings, bm25_idf
from qa.model import Document, Scope
from qa.practices import extract_practices
from qa.segments import Segment, SegmentInfo, SegmentSet, merge_segments, next_merge, segment_dir, write_segment
from qa.vectors import APPROXIMATE_ABOVE, ivf_threshold

# Bumped when the stored layout or the chunking changes: ingest then rebuilds from the source files.
SCHEMA_VERSION = 4
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
CREATE TABLE IF NOT EXISTS segments (
    number INTEGER PRIMARY KEY, first_id INTEGER NOT NULL, rows INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0, dense_index TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS deleted_chunks (chunk_id INTEGER PRIMARY KEY, segment INTEGER NOT NULL);
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
    approximate_above: int | None = None,
    backend: dict[str, str] | None = None,
    purge: bool = False,
) -> int:
    """Replace documents ``removals`` (ids) by ``additions``; returns the new generation.

    Removed chunks are tombstones until the merge policy rewrites their segment; ``purge`` rewrites
    those segments in this write, so the removed vectors and postings leave the disk at once.

    ``approximate_above`` (the knowledge-base size beyond which large segments are IVF, see
    ``qa.vectors.ivf_threshold``) defaults to the value the knowledge base recorded, else
    ``qa.vectors.APPROXIMATE_ABOVE``. ``backend`` ({"backend": "faiss"|"milvus", "uri": ...}) applies when the knowledge base is
    created; afterwards the one recorded in the manifest is used."""
    with write_lock(folder):
        conn = connect(folder)
        try:
            conn.executescript(SCHEMA)
            _add_missing_columns(conn)
            manifest = read_manifest(conn)
            _check_embedder(manifest, embedder_name, dim, folder.name)
            generation = int(manifest.get("generation", 0))
            chosen = manifest.get("backend") if generation else (backend or {}).get("backend", "faiss")
            if chosen == "milvus":
                uri = manifest.get("store_uri") if generation else str((backend or {})["uri"])
                from qa.milvus_store import apply_milvus

                return apply_milvus(conn, folder, uri, embedder_name, dim, additions, removals, manifest)

            fresh = generation == 0 or needs_rebuild(manifest)  # an old layout's documents all go (ingest rebuilds)
            segments = [] if fresh else list_segments(conn)
            _remove_unlisted(folder, segments)
            new_ids, next_id = new_chunk_ids(additions, int(manifest.get("next_chunk_id", 1)))
            removed = chunk_ids_of(conn, removals)
            df_change, docs, length = corpus_statistics(
                conn, {} if fresh else manifest, additions, [] if fresh else removals
            )
            tombstones = _tombstones(segments, removed)
            for segment in segments:
                segment.deleted += len(tombstones.get(segment.number, []))

            if approximate_above is None:
                approximate_above = int(manifest.get("approximate_above", APPROXIMATE_ABOVE))
            next_segment = int(manifest.get("next_segment", 1))
            tokens = [t for p in additions for t in p.tokens]
            ivf_above = ivf_threshold(sum(s.live for s in segments) + len(tokens), approximate_above)
            if tokens:
                postings = Postings.build(tokens, term_ids(conn, {t for chunk in tokens for t in chunk}))
                segments.append(
                    write_segment(
                        folder,
                        next_segment,
                        np.concatenate(new_ids),
                        np.concatenate([p.vectors for p in additions]),
                        np.concatenate([p.sentence_vectors for p in additions]),
                        _sentence_rows(additions),
                        postings,
                        ivf_above,
                    )
                )
                next_segment += 1
            dropped: list[SegmentInfo] = []
            forced = [[s] for s in segments if purge and s.number in tombstones]
            while (run := forced.pop() if forced else next_merge(segments)) is not None:
                parts = [Segment.open(folder, s, _deleted_ids(conn, s, tombstones)) for s in run]
                merged = merge_segments(folder, next_segment, parts, ivf_above)
                next_segment += 1
                at = segments.index(run[0])
                segments[at : at + len(run)] = [merged] if merged else []
                dropped.extend(run)

            new_generation = generation + 1
            article_id = first_article_id(conn, manifest)
            with conn:  # the switch: one transaction
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
                commit_rows(
                    conn,
                    additions,
                    new_ids,
                    removals,
                    article_id,
                    df_change,
                    fresh,
                    generation=new_generation,
                    next_chunk_id=next_id,
                    next_segment=next_segment,
                    approximate_above=approximate_above,
                    embedder=embedder_name,
                    dim=dim,
                    dense_index=SegmentSet.summary_kind(s.dense_index for s in segments),
                    backend="faiss",
                    bm25_docs=docs,
                    bm25_length=length,
                )
        finally:
            conn.close()
        _remove_unlisted(folder, segments)
        return new_generation


def commit_rows(
    conn: sqlite3.Connection,
    additions: list[PreparedDocument],
    new_ids: list[np.ndarray],
    removals: list[int],
    article_id: int,
    df_change: dict[str, int],
    fresh: bool,
    **manifest: object,
) -> None:
    """The row changes every write commits, inside the caller's transaction (either backend): replaced
    documents deleted, new ones inserted with articles numbered from ``article_id``, BM25 document
    frequencies (reset first when ``fresh``), and the manifest."""
    # articles and chunks go with their document (ON DELETE CASCADE)
    conn.executemany("DELETE FROM documents WHERE id = ?", [(d,) for d in removals])
    for prepared, ids in zip(additions, new_ids, strict=True):
        article_id = insert_document(conn, prepared, ids, article_id)
    if fresh:
        conn.execute("UPDATE terms SET df = 0")
    conn.executemany("UPDATE terms SET df = df + ? WHERE term = ?", [(d, t) for t, d in df_change.items()])
    set_manifest(
        conn, next_article_id=article_id, chunker_version=CHUNKER_VERSION, schema_version=SCHEMA_VERSION, **manifest
    )


def first_article_id(conn: sqlite3.Connection, manifest: dict[str, str]) -> int:
    """Article ids are given out in order and never reused (Milvus filters on them)."""
    largest = conn.execute("SELECT COALESCE(MAX(id), 0) FROM articles").fetchone()[0]
    return max(int(manifest.get("next_article_id", 1)), largest + 1)


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


def _sentence_rows(additions: list[PreparedDocument]) -> np.ndarray:
    """For each sentence of the additions, the row of its chunk in the new segment."""
    offsets = np.cumsum([0] + [len(p.tokens) for p in additions])
    return np.concatenate(
        [
            np.zeros(0, dtype=np.int64),
            *(p.sentence_chunks + offset for p, offset in zip(additions, offsets[:-1], strict=True)),
        ]
    ).astype(np.int64)


def list_segments(conn: sqlite3.Connection) -> list[SegmentInfo]:
    rows = conn.execute("SELECT number, first_id, rows, deleted, dense_index FROM segments ORDER BY first_id")
    return [SegmentInfo(*row) for row in rows]


def _tombstones(segments: list[SegmentInfo], removed: np.ndarray) -> dict[int, list[int]]:
    """The removed chunk ids by the segment that holds them (segments hold adjacent id ranges)."""
    if not segments or not removed.size:
        return {}
    firsts = np.asarray([s.first_id for s in segments])
    owners = np.searchsorted(firsts, removed, side="right") - 1
    found: dict[int, list[int]] = {}
    for chunk_id, owner in zip(removed.tolist(), owners.tolist(), strict=True):
        found.setdefault(segments[owner].number, []).append(chunk_id)
    return found


def _deleted_ids(conn: sqlite3.Connection, segment: SegmentInfo, tombstones: dict[int, list[int]]) -> np.ndarray:
    """Chunk ids deleted from ``segment``: recorded by earlier writes, and by this one."""
    earlier = [r[0] for r in conn.execute("SELECT chunk_id FROM deleted_chunks WHERE segment = ?", (segment.number,))]
    return np.unique(np.asarray(earlier + tombstones.get(segment.number, []), dtype=np.int64))


def _remove_unlisted(folder: Path, segments: list[SegmentInfo]) -> None:
    """Segment folders the committed list does not name (merged away, or left by an interrupted
    write), and generation folders of the layout before segments."""
    listed = {segment_dir(folder, s.number).name for s in segments}
    for path in [*(folder / "segments").glob("seg-*"), *folder.glob("gen-*")]:
        if path.name not in listed:
            shutil.rmtree(path, ignore_errors=True)


def corpus_statistics(
    conn: sqlite3.Connection, manifest: dict[str, str], additions: list[PreparedDocument], removals: list[int]
) -> tuple[dict[str, int], int, int]:
    """How a write changes the BM25 corpus statistics: each term's document-frequency change, and
    the new number of chunks and total token count."""
    df_change: dict[str, int] = {}
    removed_tokens = []
    for start in range(0, len(removals), 900):
        part = removals[start : start + 900]
        query = f"SELECT tokens FROM chunks WHERE doc_id IN ({','.join('?' * len(part))})"
        removed_tokens.extend(r[0].split(" ") if r[0] else [] for r in conn.execute(query, part))
    for tokens in removed_tokens:
        for t in set(tokens):
            df_change[t] = df_change.get(t, 0) - 1
    added_tokens = [tokens for p in additions for tokens in p.tokens]
    for tokens in added_tokens:
        for t in set(tokens):
            df_change[t] = df_change.get(t, 0) + 1
    docs = int(manifest.get("bm25_docs", 0)) - len(removed_tokens) + len(added_tokens)
    length = int(manifest.get("bm25_length", 0)) - sum(map(len, removed_tokens)) + sum(map(len, added_tokens))
    return df_change, docs, length


def term_ids(conn: sqlite3.Connection, terms: Iterable[str]) -> dict[str, int]:
    """The ids of ``terms``, adding the missing ones (with df 0 until a write commits their counts)."""
    terms = list(terms)
    with conn:
        conn.executemany("INSERT OR IGNORE INTO terms (term, df) VALUES (?, 0)", [(t,) for t in terms])
    found: dict[str, int] = {}
    for start in range(0, len(terms), 900):
        part = terms[start : start + 900]
        query = f"SELECT term, id FROM terms WHERE term IN ({','.join('?' * len(part))})"
        found.update(conn.execute(query, part).fetchall())
    return found


def insert_document(conn: sqlite3.Connection, prepared: PreparedDocument, ids: np.ndarray, article_id: int) -> int:
    """Insert the document's rows, its articles numbered from ``article_id``; returns the next article id."""
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
        article_id += 1
    return article_id


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
        for attempt in range(3):
            try:
                self._open()
                return
            except (OSError, ValueError, RuntimeError) as exc:
                # a write that committed meanwhile may have merged away the segments just listed
                if attempt < 2 and read_manifest(self.conn).get("generation") != str(self.generation):
                    continue
                raise KnowledgeBaseError(
                    f"知识库 “{folder.name}” 的索引文件缺失或损坏：请运行 qa ingest --rebuild 重建。原因：{exc}"
                ) from exc

    def _open(self) -> None:
        folder = self.folder
        self.conn.execute("BEGIN")  # one snapshot of manifest, segments and tombstones
        try:
            self.manifest = read_manifest(self.conn)
            segments = list_segments(self.conn)
            deleted = {s.number: _deleted_ids(self.conn, s, {}) for s in segments}
            count = self.conn.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        finally:
            self.conn.execute("COMMIT")
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
            self._open_milvus(count)
            return
        opened = [Segment.open(folder, s, deleted[s.number]) for s in segments]
        docs = int(self.manifest.get("bm25_docs", 0))
        self.vectors = SegmentSet(opened, int(self.manifest.get("bm25_length", 0)) / max(docs, 1))
        if self.vectors.count != count:
            raise KnowledgeBaseError(
                f"知识库 “{folder.name}” 各部分不一致（SQLite {count} 段，索引 {self.vectors.count} 段）："
                "请运行 qa ingest --rebuild 重建"
            )

    def _open_milvus(self, count: int) -> None:
        from qa.milvus_store import MilvusVectors, collection_prefix

        self.vectors = MilvusVectors(self.manifest["store_uri"], collection_prefix(self.folder), self.dim)
        # Milvus may still hold rows of a removal whose Milvus delete is pending (never shown: see fetch)
        if self.vectors.count < count:
            raise KnowledgeBaseError(
                f"知识库 “{self.folder.name}” 在 Milvus 中的向量少于 SQLite 中的段落（{self.vectors.count} < {count}）："
                "请运行 qa ingest --rebuild 重建"
            )

    def lexical(
        self, tokens: list[str], expansion: list[str], expansion_weight: float, n: int, allowed: Scope | None
    ) -> list[tuple[int, float]]:
        """The n best chunks by BM25 for the query tokens (plus thesaurus tokens at a reduced weight)."""
        return self.vectors.lexical(self._query_weights(tokens, expansion, expansion_weight), n, allowed)

    def _query_weights(self, tokens: list[str], expansion: list[str], expansion_weight: float) -> dict[int, float]:
        """Query-side BM25 weight of each term id: idf from the corpus-wide document frequencies."""
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
