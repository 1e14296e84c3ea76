"""A document's passages in the 知识库 page — seen with their section path and offsets, corrected or
hidden by hand (kept in the knowledge base's edits, ``qa.ingest.edits``, and re-indexed at once) — and
the parse preview of a file before it is imported. No Gradio here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from qa.app.workspace import Workspace, document_row
from qa.errors import UserError
from qa.ingest import edits
from qa.text import section_path

PASSAGE_HEADERS = ["编号", "章节", "位置", "状态", "内容"]
PREVIEW_PASSAGES = 30


def passage_rows(ws: Workspace, kb: str, doc_id: int) -> list[list[Any]]:
    """One row per passage of the document (hidden ones last): id, section path, offsets, state, text."""
    document = document_row(ws, kb, doc_id)
    hand_edits, source = edits.load(ws.folder(kb)), document["path"]
    corrected = edits.corrected_texts(hand_edits, source)
    rows = []
    # numbered by position in the document, which re-indexing after an edit keeps (chunk ids change)
    for number, p in enumerate(ws.kb(kb).document_passages(doc_id), 1):
        section = section_path(json.loads(p["section"]))
        where = f"{p['start']}–{p['end']}" + (f"，第{p['page']}页" if p["page"] else "")
        rows.append([number, section, where, "已校正" if p["text"] in corrected else "", p["text"]])
    for original in edits.hidden_passages(hand_edits, source):
        rows.append([f"隐藏-{edits.passage_key(original)}", "（已隐藏，不参与检索）", "—", "已隐藏", original])
    return rows


def passage_choices(rows: list[list[Any]]) -> list[tuple[str, str]]:
    """Dropdown choices for passage_rows: "12：开头几个字…" → "12" (or the hidden key)."""
    return [(f"{row[0]}：{row[4][:24]}…" if len(row[4]) > 24 else f"{row[0]}：{row[4]}", str(row[0])) for row in rows]


def current_metadata(ws: Workspace, kb: str, doc_id: int) -> dict[str, str]:
    """The first article's title, place, author and date: what the metadata editor starts from."""
    articles = ws.kb(kb).document_articles(doc_id)
    first = articles[0] if articles else {}
    return {key: first.get(key) or "" for key in ("title", "place", "author", "date")}


def correct_passage(ws: Workspace, kb: str, doc_id: int, passage: str, text: str) -> tuple[str, int]:
    """Replace a passage's text (the original is kept, and comes back when the correction is emptied).
    Returns what was done and the document's id, which re-indexing changes."""
    source, original = _source_and_original(ws, kb, doc_id, passage)
    text = (text or "").strip()
    if not text or text == original:
        edits.set_passage(ws.folder(kb), source, original)  # back to what the file says
        message = "已恢复该段原文"
    else:
        edits.set_passage(ws.folder(kb), source, original, text=text)
        message = "已保存校正后的段落"
    return message, _reindex(ws, kb, source)


def hide_passage(ws: Workspace, kb: str, doc_id: int, passage: str, hidden: bool = True) -> tuple[str, int]:
    source, original = _source_and_original(ws, kb, doc_id, passage)
    edits.set_passage(ws.folder(kb), source, original, hidden=hidden)
    message = "已隐藏该段：它不再被检索和引用" if hidden else "已恢复该段"
    return message, _reindex(ws, kb, source)


def _source_and_original(ws: Workspace, kb: str, doc_id: int, passage: str) -> tuple[str, str]:
    if not passage:
        raise UserError("请先选择一个段落")
    document = document_row(ws, kb, doc_id)
    source, hand_edits = document["path"], edits.load(ws.folder(kb))
    if str(passage).startswith("隐藏-"):
        key = str(passage).removeprefix("隐藏-")
        for original in edits.hidden_passages(hand_edits, source):
            if edits.passage_key(original) == key:
                return source, original
        raise UserError("该段已不在隐藏列表中：请刷新段落列表")
    rows = ws.kb(kb).document_passages(doc_id)
    number = int(passage) if str(passage).isdigit() else 0
    shown = rows[number - 1]["text"] if 1 <= number <= len(rows) else None
    if shown is None:
        raise UserError(f"知识库中没有编号为 {passage} 的段落：请刷新段落列表")
    return source, edits.original_of(hand_edits, source, shown)


def _reindex(ws: Workspace, kb: str, source: str) -> int:
    """Index the file again with its edits; the document's new id."""
    from qa.ingest.pipeline import ingest_paths

    path = Path(source)
    if not path.is_file():
        raise UserError(f"源文件 {path.name} 已不存在，修改无法生效：请重新上传该文件")
    with ws.write_lock:
        [result] = ingest_paths([path], ws.folder(kb), ws.settings, ws.embedder, reindex=True)
    if result.status == "failed":
        raise UserError(f"重新索引失败：{result.reason}")
    return next(row["id"] for row in ws.kb(kb).documents() if row["path"] == source)


def preview(ws: Workspace, path: str | Path) -> dict[str, Any]:
    """What importing ``path`` would give, without writing anything: its articles (title, place, date,
    author) and its first passages with their section paths."""
    from qa.ingest.pipeline import parse_file

    path = Path(path)
    document = parse_file(path, ws.settings)
    articles = [
        {
            "title": a.title,
            "place": a.place or "",
            "author": a.author or "",
            "date": a.date or "",
            "chunks": len(a.chunks),
        }
        for a in document.articles
    ]
    passages = [
        {"section": section_path(c.section), "text": c.text, "page": c.page}
        for a in document.articles
        for c in a.chunks
    ]
    return {
        "file": path.name,
        "format": document.format,
        "encoding": document.encoding or "",
        "articles": articles,
        "passages": passages[:PREVIEW_PASSAGES],
        "total_passages": len(passages),
    }
