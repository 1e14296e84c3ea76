"""The indexing flow: files → load → clean → structure → chunk → embed → store.

Each file succeeds or fails on its own; failures are reported with their reason
and the knowledge base changes only in the single atomic write at the end.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from qa.chunking import chunk_article, sentences
from qa.clean import clean_lines
from qa.embeddings import Embedder
from qa.lexical import tokenize
from qa.loaders import SUPPORTED_SUFFIXES, LoadError, load_file
from qa.model import Article, Document, FileResult
from qa.places import resolve_place
from qa.store import SCHEMA, PreparedDocument, apply_changes, connect, needs_rebuild, read_manifest
from qa.structure import split_articles
from qa.vectors import APPROXIMATE_ABOVE

PLACE_CONTEXT_CHARS = 1500
META_FIELDS = ("title", "author", "place", "date", "province", "city", "county")
Progress = Callable[[str, int, int], None]  # (stage, done, total)


def parse_bytes_text(text: str, settings: dict[str, Any]) -> list[Article]:
    """Clean text → articles with their chunks."""
    chunking = settings.get("chunking", {})
    articles = []
    for draft in split_articles(clean_lines(text)):
        chunks = chunk_article(draft, int(chunking.get("min_chars", 60)), int(chunking.get("max_chars", 500)))
        articles.append(Article(draft.title, draft.text, draft.author, draft.place, draft.date, chunks))
    return articles


def parse_file(path: Path, settings: dict[str, Any], meta: dict[str, Any] | None = None) -> Document:
    """Parse one file without touching any index. Raises LoadError."""
    max_mb = float(settings.get("ingest", {}).get("max_file_size_mb", 50))
    loaded, data = load_file(path, max_bytes=int(max_mb * 2**20))
    articles = parse_bytes_text(loaded.text, settings)
    if not any(a.chunks for a in articles):
        raise LoadError("文件中没有可索引的正文")
    meta = {**_sidecar_meta(path), **(meta or {})}
    _apply_meta(articles, meta)
    for article in articles:
        if not (article.province or article.city or article.county):  # not given in the metadata
            # the place is named in the title or the lead; scanning the whole text costs more than it adds
            region = resolve_place(article.place, f"{article.title}\n{article.text[:PLACE_CONTEXT_CHARS]}")
            article.province, article.city, article.county = region.province, region.city, region.county
    return Document(
        path=str(path.resolve()),
        file_name=path.name,
        format=loaded.format,
        encoding=loaded.encoding,
        content_hash=hashlib.sha256(data).hexdigest(),
        size=len(data),
        articles=articles,
        meta=meta,
    )


def _sidecar_meta(path: Path) -> dict[str, Any]:
    sidecar = path.with_name(path.name + ".meta.yaml")
    if not sidecar.exists():
        return {}
    try:
        loaded = yaml.safe_load(sidecar.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise LoadError(f"元数据文件 {sidecar.name} 无法解析：{exc}") from exc
    if not isinstance(loaded, dict):
        raise LoadError(f"元数据文件 {sidecar.name} 应为 “字段: 值” 的格式")
    return loaded


def _apply_meta(articles: list[Article], meta: dict[str, Any]) -> None:
    """Top-level fields apply to every article; ``articles: [{...}, ...]`` to each in order."""
    per_article = meta.get("articles") or []
    for i, article in enumerate(articles):
        overrides = {k: meta[k] for k in META_FIELDS if meta.get(k) not in (None, "")}
        if i < len(per_article) and isinstance(per_article[i], dict):
            overrides.update({k: v for k, v in per_article[i].items() if k in META_FIELDS and v not in (None, "")})
        for key, value in overrides.items():
            setattr(article, key, str(value))
        if "title" in overrides:
            for chunk in article.chunks:
                chunk.section[0] = article.title


def read_meta_csv(path: Path) -> dict[str, dict[str, Any]]:
    """A CSV with a ``file`` column (file name or path) and any of title/author/place/date."""
    from qa.loaders import decode_bytes

    text, _ = decode_bytes(path.read_bytes())
    rows = csv.DictReader(text.splitlines())
    if not rows.fieldnames or "file" not in rows.fieldnames:
        raise LoadError(f"元数据表 {path.name} 需要一列 file（文件名），以及 title/author/place/date 中的任意几列")
    return {row["file"].strip(): {k: v for k, v in row.items() if k in META_FIELDS and v} for row in rows}


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files as given, and supported files under given folders (sorted: results never depend on order)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(p for p in sorted(path.rglob("*")) if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES)
        else:
            files.append(path)
    return files


def embedding_text(article: Article, section: list[str], text: str) -> str:
    """What the embedder sees: title, section path and the chunk text."""
    return "\n".join([article.title, " > ".join(section[1:]), text])


def existing_documents(folder: Path) -> dict[str, tuple[int, str]]:
    """path → (document id, content hash) of what the knowledge base holds now."""
    if not (folder / "kb.sqlite").exists():
        return {}
    conn = connect(folder)
    try:
        conn.executescript(SCHEMA)
        return {
            r["path"]: (r["id"], r["content_hash"])
            for r in conn.execute("SELECT id, path, content_hash FROM documents")
        }
    finally:
        conn.close()


def index_is_stale(folder: Path) -> bool:
    conn = connect(folder)
    try:
        conn.executescript(SCHEMA)
        return needs_rebuild(read_manifest(conn))
    finally:
        conn.close()


def _unchanged(path: Path, known_hash: str, settings: dict[str, Any]) -> bool:
    """The file's bytes hash to what the knowledge base holds (files over the size limit never are)."""
    max_mb = float(settings.get("ingest", {}).get("max_file_size_mb", 50))
    try:
        if path.stat().st_size > max_mb * 2**20:
            return False
        return hashlib.sha256(path.read_bytes()).hexdigest() == known_hash
    except OSError:
        return False


def ingest_paths(
    paths: Iterable[Path],
    folder: Path,
    settings: dict[str, Any],
    embedder: Embedder,
    rebuild: bool = False,
    meta_table: dict[str, dict[str, Any]] | None = None,
    progress: Progress | None = None,
) -> list[FileResult]:
    """Index files into the knowledge base at ``folder``; one result per file."""
    report = progress or (lambda stage, done, total: None)
    files = expand_paths(paths)
    existing = existing_documents(folder)
    results: list[FileResult] = []
    if existing and index_is_stale(folder):
        # written by an older layout: every document is indexed again from its file
        rebuild = True
        given = {str(path.resolve()) for path in files}
        files += [Path(p) for p in existing if p not in given and Path(p).is_file()]
        for gone in (p for p in existing if not Path(p).is_file()):
            results.append(
                FileResult(gone, "failed", reason="知识库格式已更新，但源文件已不存在，无法重建：请重新导入该文件")
            )
    removals: set[int] = {doc_id for doc_id, _ in existing.values()} if rebuild else set()
    known_hashes = {} if rebuild else {h: p for p, (_, h) in existing.items()}
    parsed: list[tuple[Document, FileResult]] = []
    for i, path in enumerate(files):
        report("parse", i, len(files))
        key = str(path.resolve())
        meta = (meta_table or {}).get(path.name) or (meta_table or {}).get(str(path)) or {}
        previous = None if rebuild else existing.get(key)
        if previous and not meta and _unchanged(path, previous[1], settings):
            results.append(FileResult(str(path), "unchanged"))  # known content: not even parsed
            continue
        try:
            doc = parse_file(path, settings, meta)
        except LoadError as exc:
            results.append(FileResult(str(path), "failed", reason=str(exc)))
            continue
        except Exception as exc:  # a parser bug must not stop the batch either
            results.append(FileResult(str(path), "failed", reason=f"解析出错：{type(exc).__name__}: {exc}"))
            continue
        twin = known_hashes.get(doc.content_hash)
        if twin and twin != key:
            results.append(FileResult(str(path), "duplicate", reason=f"与已导入的 {Path(twin).name} 内容相同"))
            continue
        known_hashes[doc.content_hash] = key
        result = FileResult(
            str(path), "replaced" if previous else "indexed", chunks=sum(len(a.chunks) for a in doc.articles)
        )
        if previous:
            removals.add(previous[0])
        parsed.append((doc, result))
        results.append(result)
    report("parse", len(files), len(files))
    if not parsed and not removals:
        return results

    batch_size = int(settings.get("embedding", {}).get("batch_size", 64))
    inputs = [(doc, a, c) for doc, _ in parsed for a in doc.articles for c in a.chunks]
    texts = [embedding_text(a, c.section, c.text) for _, a, c in inputs]
    chunk_sentences = [sentences(c.text) for _, _, c in inputs]
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
    for doc, _ in parsed:
        n = sum(len(a.chunks) for a in doc.articles)
        tokens = [tokenize(embedding_text(a, c.section, c.text)) for a in doc.articles for c in a.chunks]
        rows = (sentence_owner >= position) & (sentence_owner < position + n)
        additions.append(
            PreparedDocument(
                doc, vectors[position : position + n], tokens, sentence_vectors[rows], sentence_owner[rows] - position
            )
        )
        position += n
    report("write", 0, 1)
    approximate_above = int(settings.get("index", {}).get("approximate_above", APPROXIMATE_ABOVE))
    apply_changes(
        folder, embedder.name, embedder.dim, additions, sorted(removals), approximate_above, store_backend(settings)
    )
    report("write", 1, 1)
    return results


def store_backend(settings: dict[str, Any]) -> dict[str, str]:
    """Where a new knowledge base keeps its vectors: FAISS files (default) or Milvus at ``store.uri``."""
    store = settings.get("store") or {}
    backend = str(store.get("backend", "faiss")).lower()
    if backend not in ("faiss", "milvus"):
        raise LoadError(f"config.yaml 的 store.backend 只能是 faiss 或 milvus，现为 “{backend}”")
    uri = str(store.get("uri", "index/milvus.db"))
    if backend == "milvus" and "://" not in uri:
        uri = str(Path(uri).resolve())  # a Milvus Lite file, wherever the tool is started from
    return {"backend": backend, "uri": uri}


def remove_documents(folder: Path, doc_ids: list[int], embedder_name: str, dim: int, purge: bool = False) -> None:
    """Remove documents; ``purge`` also rewrites their segments at once (see ``apply_changes``)."""
    apply_changes(folder, embedder_name, dim, [], doc_ids, purge=purge)
