"""Corrections made by hand, kept beside the knowledge base in ``<kb>/edits.json`` and applied each time
their file is indexed — a re-import, a metadata change, a rebuild — so none of them is lost.

Per source file: metadata set in the web page or with ``--meta``, and passages corrected or hidden. A
passage is known by the hash of the text the parser gives it, so an edit follows the passage wherever
it lands and lapses by itself when the source file changes that passage.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Any

from qa.model import Document

EDITS_FILE = "edits.json"
_lock = threading.Lock()


def passage_key(original_text: str) -> str:
    return hashlib.sha1(original_text.encode("utf-8")).hexdigest()[:16]


def load(folder: Path) -> dict[str, Any]:
    path = folder / EDITS_FILE
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _save(folder: Path, edits: dict[str, Any]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / f".{EDITS_FILE}.tmp"
    temporary.write_text(json.dumps(edits, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(temporary, folder / EDITS_FILE)  # never half-written


def set_meta(folder: Path, metas: dict[str, dict[str, str]]) -> None:
    """Keep metadata given for source files (path → fields), in one write."""
    with _lock:
        edits = load(folder)
        for source, meta in metas.items():
            entry = edits.setdefault(source, {})
            entry["meta"] = {**entry.get("meta", {}), **meta}
        _save(folder, edits)


def set_passage(folder: Path, source: str, original: str, text: str | None = None, hidden: bool = False) -> None:
    """Correct (``text``) or hide a passage of ``source``; neither (no text, not hidden) undoes the edit."""
    with _lock:
        edits = load(folder)
        passages = edits.setdefault(source, {}).setdefault("passages", {})
        key = passage_key(original)
        if text is None and not hidden:
            passages.pop(key, None)
        else:
            passages[key] = {"original": original, "text": text, "hidden": hidden}
        _save(folder, edits)


# What follows reads the edits as ``load`` returned them (one read serves a whole request or indexing).


def _passages(edits: dict[str, Any], source: str) -> dict[str, dict[str, Any]]:
    return edits.get(source, {}).get("passages", {})


def original_of(edits: dict[str, Any], source: str, shown: str) -> str:
    """The parser's text of a passage the knowledge base shows as ``shown`` (itself unless corrected)."""
    for edit in _passages(edits, source).values():
        if edit.get("text") == shown:
            return edit["original"]
    return shown


def corrected_texts(edits: dict[str, Any], source: str) -> set[str]:
    return {e["text"] for e in _passages(edits, source).values() if e.get("text")}


def hidden_passages(edits: dict[str, Any], source: str) -> list[str]:
    return [e["original"] for e in _passages(edits, source).values() if e.get("hidden")]


def stored_meta(edits: dict[str, Any], source: str) -> dict[str, str]:
    return dict(edits.get(source, {}).get("meta", {}))


def apply_passage_edits(doc: Document, edits: dict[str, Any]) -> None:
    """Replace corrected passages' text and drop hidden ones, in place. A correction is written into the
    article's text too (the passages after it shifted), so that everything reading the article — a passage
    joined with its neighbour, a quote's context, 展开全文 — shows the corrected words."""
    passages = _passages(edits, doc.path)
    if not passages:
        return
    for article in doc.articles:
        kept, shift = [], 0
        for chunk in sorted(article.chunks, key=lambda c: c.start):
            chunk.start, chunk.end = chunk.start + shift, chunk.end + shift
            edit = passages.get(passage_key(chunk.text))
            if edit and edit.get("hidden"):
                continue
            if edit and edit.get("text") and article.text[chunk.start : chunk.end] == chunk.text:
                new = edit["text"]
                article.text = article.text[: chunk.start] + new + article.text[chunk.end :]
                shift += len(new) - len(chunk.text)
                chunk.text, chunk.end = new, chunk.start + len(new)
            elif edit and edit.get("text"):  # a passage that is not a plain span of its article
                chunk.text = edit["text"]
            kept.append(chunk)
        article.chunks = kept
