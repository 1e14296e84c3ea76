"""Article blocks → chunks: one practice ("一是…") or coherent paragraph each.

A chunk never crosses an article or a top-level section. Tiny units join their
neighbour in the same section; long ones are split at sentence ends. Offsets
index the article text, so ``article.text[start:end] == chunk.text`` exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.ingest.structure import ArticleDraft, Block
from qa.model import Chunk
from qa.text import SENTENCE, trim_span

_POINT = re.compile(r"(?:^|(?<=[。；！？：:]))([一二三四五六七八九十]{1,3})是")


@dataclass
class _Unit:
    start: int
    end: int
    headings: list[str]  # section headings below the title
    top: int  # index of the top-level section, to keep chunks inside it
    kind: str
    after_heading_line: bool  # an own-line heading sits right before: never merge across it


def chunk_article(article: ArticleDraft, min_chars: int = 60, max_chars: int = 500) -> list[Chunk]:
    units = _units(article)
    units = _merge_tiny(units, article.text, min_chars)
    chunks: list[Chunk] = []
    for unit in units:
        for start, end in _split_long(article.text, unit.start, unit.end, max_chars):
            start, end = trim_span(article.text, start, end)
            if end > start:
                chunks.append(
                    Chunk(
                        text=article.text[start:end],
                        start=start,
                        end=end,
                        section=[article.title, *unit.headings],
                        kind=unit.kind,
                    )
                )
    return chunks


def _units(article: ArticleDraft) -> list[_Unit]:
    blocks = article.blocks
    has_headings = any(b.heading for b in blocks)
    levels: dict[str, int] = {}
    stack: list[str] = []
    top = 0
    units: list[_Unit] = []
    after_heading_line = False
    for idx, block in enumerate(blocks):
        heading, style = block.heading, block.style
        if not has_headings and block.kind == "paragraph" and idx > 0:
            heading, style = _lead_clause(block.text), "clause"
            if heading is None:  # its own paragraph, not under the opening clause of the one before
                stack = []
        if heading:
            level = levels.setdefault(style or "line", len(levels) + 1)
            if level == 1:
                top += 1
            stack = stack[: level - 1] + [heading]
        if block.kind == "heading":
            after_heading_line = True
            continue
        if block.kind == "caption":
            # closing photo captions belong to no section
            units.append(_Unit(block.start, block.start + len(block.text), [], -1, "caption", after_heading_line))
        else:
            for start, end, point in _points(block):
                headings = list(stack) + ([point] if point else [])
                kind = "point" if point is not None else "paragraph"
                units.append(_Unit(start, end, headings, top, kind, after_heading_line))
                after_heading_line = False
        after_heading_line = False
    return units


def _lead_clause(text: str) -> str | None:
    """Reports without headings open each paragraph with a short phrase that names it."""
    first = re.split(r"[，,。；：:]", text, maxsplit=1)[0]
    return first if 4 <= len(first) <= 18 else None


def _points(block: Block) -> list[tuple[int, int, str | None]]:
    """Split a paragraph at 一是/二是/… ; the text before the first point stays a unit."""
    text = block.text
    marks = [m for m in _POINT.finditer(text)]
    if not marks:
        return [(block.start, block.start + len(text), None)]
    pieces: list[tuple[int, int, str | None]] = []
    if marks[0].start() > 0:
        pieces.append((block.start, block.start + marks[0].start(), None))
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        body = text[m.end() : end]
        title = re.split(r"[。；！？]", body, maxsplit=1)[0]
        label = title if len(title) <= 40 else re.split(r"[，,]", title, maxsplit=1)[0][:40]
        pieces.append((block.start + m.start(), block.start + end, label))
    return pieces


def _mergeable(first: _Unit, second: _Unit) -> bool:
    return (
        first.top == second.top
        and not second.after_heading_line
        and (first.kind == "caption") == (second.kind == "caption")
    )


def _merge_tiny(units: list[_Unit], text: str, min_chars: int) -> list[_Unit]:
    """Join units shorter than min_chars with the next (else previous) unit of the same section."""
    out: list[_Unit] = []
    pending: _Unit | None = None
    for unit in units:
        if pending is not None:
            if _mergeable(pending, unit):
                unit = _Unit(pending.start, unit.end, unit.headings, unit.top, unit.kind, pending.after_heading_line)
            else:
                out.append(pending)
            pending = None
        if len(text[unit.start : unit.end].strip()) < min_chars:
            pending = unit
        else:
            out.append(unit)
    if pending is not None:
        if out and _mergeable(out[-1], pending):
            prev = out[-1]
            out[-1] = _Unit(prev.start, pending.end, prev.headings, prev.top, prev.kind, prev.after_heading_line)
        else:
            out.append(pending)
    return out


def _split_long(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Split [start, end) at sentence ends into pieces of at most max_chars (a single longer sentence stays whole)."""
    if end - start <= max_chars:
        return [(start, end)]
    n_pieces = -(-(end - start) // max_chars)
    target = (end - start) / n_pieces
    pieces: list[tuple[int, int]] = []
    piece_start = start
    for m in SENTENCE.finditer(text, start, end):
        if m.end() == m.start():
            continue
        if m.end() - piece_start >= target and m.end() < end:
            pieces.append((piece_start, m.end()))
            piece_start = m.end()
    if piece_start < end:
        pieces.append((piece_start, end))
    return pieces
