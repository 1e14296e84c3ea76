"""The indexing flow: files → load → clean → structure → chunk → embed → atomic writes to the index.

Each file succeeds or fails on its own; failures are reported with their reason. Parsed documents are
embedded and written in batches of about ``WRITE_BATCH_CHUNKS`` passages, each batch one atomic write
(a replaced document's removal in the same write as its new version): memory stays bounded by the
batch, not the folder (one write for 1,683 broadcasts peaked at 5.2 GB), and an interrupted ingest
keeps the batches it finished; running it again skips them as unchanged.
"""

from __future__ import annotations

import bisect
import hashlib
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qa.embeddings import Embedder
from qa.errors import LoadError, QAError
from qa.index import catalog
from qa.index.factory import backend_of, check_reachable
from qa.index.schema import connect, migrate, needs_rebuild, stored_manifest
from qa.index.writer import write_changes
from qa.ingest import edits
from qa.ingest.chunking import chunk_article
from qa.ingest.clean import clean_lines
from qa.ingest.loaders import load_file
from qa.ingest.metadata import apply_meta, sidecar_meta
from qa.ingest.places import resolve_place
from qa.ingest.practices import extract_practices
from qa.ingest.selection import expand_paths, file_key
from qa.ingest.structure import split_articles, title_from_file_name
from qa.model import Article, Document, FileResult, PreparedDocument
from qa.settings import ChunkingSettings, Settings, StoreSettings
from qa.text import index_terms, passage_text, sentences, stored_name

log = logging.getLogger(__name__)
PLACE_CONTEXT_CHARS = 1500
WRITE_BATCH_CHUNKS = 5000
Progress = Callable[[str, int, int], None]  # (stage, done, total)


def parse_text(text: str, chunking: ChunkingSettings, file_name: str = "") -> list[Article]:
    """Clean text → articles with their chunks. A file holding one untitled report is titled by its
    file name when the name says something, rather than by its first sentence."""
    articles = []
    drafts = split_articles(clean_lines(text))
    for draft in drafts:
        if not draft.titled and len(drafts) == 1 and (named := title_from_file_name(file_name)):
            draft.title = named
        chunks = chunk_article(draft, chunking.min_chars, chunking.max_chars)
        articles.append(Article(draft.title, draft.text, draft.author, draft.place, draft.date, chunks))
    return articles


def parse_file(
    path: Path, settings: Settings, meta: dict[str, Any] | None = None, progress: Progress | None = None
) -> Document:
    """Parse one file without touching any index. Raises LoadError. ``progress`` hears of OCR pages."""
    pages = (lambda done, total: progress("ocr", done, total)) if progress else None
    loaded, data = load_file(path, settings.ingest, pages)
    articles = parse_text(loaded.text, settings.chunking, stored_name(path.name))
    if not any(a.chunks for a in articles):
        raise LoadError("文件中没有可索引的正文")
    if loaded.page_starts:
        mark_pages(articles, loaded.text, loaded.page_starts)
    meta = {**sidecar_meta(path, settings.ingest.max_sidecar_kb), **(meta or {})}
    apply_meta(articles, meta)
    for article in articles:
        if not (article.province or article.city or article.county):  # not given in the metadata
            # the place is named in the title or the lead; scanning the whole text costs more than it adds
            region = resolve_place(article.place, f"{article.title}\n{article.text[:PLACE_CONTEXT_CHARS]}")
            article.province, article.city, article.county = region.province, region.city, region.county
    return Document(
        path=file_key(path),
        file_name=stored_name(path.name),
        format=loaded.format,
        encoding=loaded.encoding,
        content_hash=hashlib.sha256(data).hexdigest(),
        size=len(data),
        articles=articles,
        meta=meta,
    )


PAGE_PROBE = 12  # characters of a passage looked for in the loaded text to find its page


def mark_pages(articles: list[Article], text: str, starts: list[tuple[int, int]]) -> None:
    """Each passage's page: where its opening characters sit in the loaded text (passages come in
    order, so the search moves forward); a passage whose opening cannot be found keeps no page."""
    cursor = 0
    offsets = [offset for offset, _ in starts]
    for article in articles:
        for chunk in article.chunks:
            at = text.find(chunk.text[:PAGE_PROBE], cursor)
            if at < 0:
                continue
            cursor = at
            chunk.page = starts[bisect.bisect_right(offsets, at) - 1][1]


def existing_documents(folder: Path) -> dict[str, tuple[int, str]]:
    """path → (document id, content hash) of what the knowledge base holds now."""
    if not (folder / "kb.sqlite").exists():
        return {}
    conn = connect(folder)
    try:
        migrate(conn)
        return catalog.document_hashes(conn)
    finally:
        conn.close()


def _unchanged(path: Path, known_hash: str, max_bytes: int) -> bool:
    """The file's bytes hash to what the knowledge base holds (files over the size limit never are)."""
    try:
        if path.stat().st_size > max_bytes:
            return False
        return hashlib.sha256(path.read_bytes()).hexdigest() == known_hash
    except OSError:
        return False


@dataclass
class _Batch:
    """Parsed documents waiting to be written, and the documents they replace."""

    parsed: list[Document] = field(default_factory=list)
    removals: set[int] = field(default_factory=set)
    chunks: int = 0


def ingest_paths(
    paths: Iterable[Path],
    folder: Path,
    settings: Settings,
    embedder: Embedder,
    rebuild: bool = False,
    meta_table: dict[str, dict[str, Any]] | None = None,
    progress: Progress | None = None,
    reindex: bool = False,
) -> list[FileResult]:
    """Index files into the knowledge base at ``folder``; one result per file. A file whose bytes the
    knowledge base already holds is skipped unless ``reindex`` (its hand edits have changed).
    Metadata given in ``meta_table`` is kept in the knowledge base's edits and applied from then on."""
    report = progress or (lambda stage, done, total: None)
    manifest = stored_manifest(folder)
    store = backend_of(manifest, _store(settings.store))
    check_reachable(store)  # before any embedding
    results: list[FileResult] = []
    batch = _Batch()

    def flush() -> None:
        nonlocal batch
        if batch.parsed or batch.removals:
            additions = prepare(batch.parsed, embedder, settings.embedding.batch_size, report)
            report("write", 0, 1)
            write_changes(
                folder,
                embedder.name,
                embedder.dim,
                additions,
                sorted(batch.removals),
                settings.index.approximate_above,
                store,
            )
            report("write", 1, 1)
        batch = _Batch()

    files, skipped = expand_paths(paths)
    results.extend(skipped)
    given = {
        file_key(path): meta
        for path in files
        if (meta := (meta_table or {}).get(path.name) or (meta_table or {}).get(str(path)))
    }
    if given:
        edits.set_meta(folder, given)
    force = ({file_key(path) for path in files} if reindex else set()) | set(given)
    for result, doc, replaced in _parse_each(
        files, folder, settings, rebuild, force, needs_rebuild(manifest), edits.load(folder), report
    ):
        if result is not None:
            results.append(result)
        batch.removals |= replaced
        if doc is not None:
            batch.parsed.append(doc)
            batch.chunks += sum(len(a.chunks) for a in doc.articles)
        if batch.chunks >= WRITE_BATCH_CHUNKS:
            flush()
    flush()
    return results


def _parse_each(
    files: list[Path],
    folder: Path,
    settings: Settings,
    rebuild: bool,
    force: set[str],
    stale: bool,
    hand_edits: dict[str, Any],
    report: Progress,
) -> Iterator[tuple[FileResult | None, Document | None, set[int]]]:
    """(result, parsed document or None, ids of the documents it replaces) for every file, in order;
    a rebuild's removal of everything goes with the first file (or alone, without a result, if none).
    Files in ``force`` are parsed even when their bytes are known (their hand edits have changed)."""
    existing = existing_documents(folder)
    removals: set[int] = set()
    if existing and stale:
        # written by an older layout: every document is indexed again from its file
        rebuild = True
        given = {file_key(path) for path in files}
        files = files + [Path(p) for p in existing if p not in given and Path(p).is_file()]
        for gone in (p for p in existing if not Path(p).is_file()):
            reason = "知识库格式已更新，但源文件已不存在，无法重建：请重新导入该文件"
            yield FileResult(gone, "failed", reason=reason), None, set()
    if rebuild:
        removals = {doc_id for doc_id, _ in existing.values()}
    known_hashes = {} if rebuild else {h: p for p, (_, h) in existing.items()}
    for i, path in enumerate(files):
        report("parse", i, len(files))
        result, doc, previous = _parse_one(path, settings, existing, rebuild, force, known_hashes, hand_edits, report)
        yield result, doc, removals | ({previous} if previous is not None else set())
        removals = set()
    report("parse", len(files), len(files))
    if removals:  # a rebuild with no files left to index still removes what was there
        yield None, None, removals


def _parse_one(
    path: Path,
    settings: Settings,
    existing: dict[str, tuple[int, str]],
    rebuild: bool,
    force: set[str],
    known_hashes: dict[str, str],
    hand_edits: dict[str, Any],
    report: Progress,
) -> tuple[FileResult, Document | None, int | None]:
    """One file's result, its parsed document (None unless it is to be written) and the id it replaces."""
    key, shown = file_key(path), stored_name(str(path))
    previous = None if rebuild else existing.get(key)
    if previous and key not in force and _unchanged(path, previous[1], settings.ingest.max_bytes):
        return FileResult(shown, "unchanged"), None, None  # known content: not even parsed
    try:
        doc = parse_file(path, settings, edits.stored_meta(hand_edits, key), report)
        edits.apply_passage_edits(doc, hand_edits)
        if not any(a.chunks for a in doc.articles):
            raise LoadError("该文件的段落都已被隐藏：请在“知识库”页恢复至少一段，或删除该文件")
    except QAError as exc:
        return FileResult(shown, "failed", reason=str(exc)), None, None
    except Exception as exc:  # a parser bug must not stop the batch either
        log.exception("解析 %s 出错", path)
        return FileResult(shown, "failed", reason=f"解析出错：{type(exc).__name__}: {exc}"), None, None
    twin = known_hashes.get(doc.content_hash)
    if twin and twin != key:
        return FileResult(shown, "duplicate", reason=f"与已导入的 {Path(twin).name} 内容相同"), None, None
    known_hashes[doc.content_hash] = key
    chunks = sum(len(a.chunks) for a in doc.articles)
    status = "replaced" if previous else "indexed"
    return FileResult(shown, status, chunks=chunks), doc, previous[0] if previous else None


def prepare(docs: list[Document], embedder: Embedder, batch_size: int, report: Progress) -> list[PreparedDocument]:
    """Vectors for every chunk and sentence, tokens for every chunk, and the practices each document names."""
    inputs = [(a, c) for doc in docs for a in doc.articles for c in a.chunks]
    texts = [passage_text(a.title, c.section, c.text) for a, c in inputs]
    chunk_sentences = [sentences(c.text) for _, c in inputs]
    sentence_texts = [s for group in chunk_sentences for s in group]
    sentence_owner = np.repeat(np.arange(len(inputs)), [len(group) for group in chunk_sentences])
    everything = texts + sentence_texts
    all_vectors = np.zeros((len(everything), embedder.dim), dtype=np.float32)
    for start in range(0, len(everything), batch_size):
        report("embed", start, len(everything))
        all_vectors[start : start + batch_size] = embedder.embed_documents(everything[start : start + batch_size])
    report("embed", len(everything), len(everything))
    vectors, sentence_vectors = all_vectors[: len(texts)], all_vectors[len(texts) :]

    additions = []
    position = 0
    for doc in docs:
        n = sum(len(a.chunks) for a in doc.articles)
        rows = (sentence_owner >= position) & (sentence_owner < position + n)
        additions.append(
            PreparedDocument(
                doc,
                vectors[position : position + n],
                [index_terms(text) for text in texts[position : position + n]],
                sentence_vectors[rows],
                sentence_owner[rows] - position,
                practices_named(doc),
            )
        )
        position += n
    return additions


def practices_named(doc: Document) -> list[tuple[str, int]]:
    """(practice name, position of the chunk that names it among the document's chunks), per article."""
    found = []
    offset = 0
    for article in doc.articles:
        for name, start, _ in extract_practices(article.text):
            at = next((i for i, c in enumerate(article.chunks) if c.start <= start < c.end), None)
            if at is not None:
                found.append((name, offset + at))
        offset += len(article.chunks)
    return found


def _store(store: StoreSettings) -> StoreSettings:
    """A Milvus Lite file is found wherever the tool is started from."""
    if store.backend == "milvus" and "://" not in store.uri:
        return StoreSettings("milvus", str(Path(store.uri).resolve()))
    return store


def remove_documents(folder: Path, doc_ids: list[int], embedder_name: str, dim: int, purge: bool = False) -> None:
    """Remove documents; ``purge`` also rewrites their segments at once (see ``write_changes``)."""
    write_changes(folder, embedder_name, dim, [], doc_ids, purge=purge)
