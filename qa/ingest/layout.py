"""Lines of a fixed-layout page (PDF, OFD, a scan) put back into paragraphs.

A page stores lines as they were laid out: a sentence runs across two or three lines (and across
pages), and every page repeats its header, footer and number. Taken as they are, a broken line looks
like a heading whose text then goes missing, and "一户一档" split over two lines cannot be found. A
line is joined to the next when it fills the page's width (the document's usual full line) and does
not end a sentence, unless the next one opens a new point (一、（一）1.). Short lines that repeat at
the top or bottom of most pages, and page numbers ("- 3 -", "第3页", "3/12"), are dropped. A reader
that sees the page (OCR) may end a line with ``PARAGRAPH_END`` where the layout shows the paragraph
ends (a title in a larger font, the line before an indented one), whatever the line's length.
"""

from __future__ import annotations

import re
from collections import Counter

from qa.ingest.clean import COMPLETE_END

_PAGE_NUMBER = re.compile(
    r"^(?:[-—–－_·•\s]*\d{1,4}[-—–－_·•\s]*|第\s*\d{1,4}\s*页(?:\s*[,，/／]?\s*共\s*\d{1,4}\s*页)?"
    r"|\d{1,4}\s*[/／]\s*\d{1,4}|[Pp]age\s*\d{1,4}(?:\s*of\s*\d{1,4})?)$"
)
_NEW_POINT = re.compile(
    r"^(?:[一二三四五六七八九十]+[、是]|[（(][一二三四五六七八九十\d]+[）)]|\d+[.、．]|第[一二三四五六七八九十]+[章节条部分])"
)
# A space a layout engine leaves between a figure and a Chinese character ("36 名") is no one's text.
_LAYOUT_SPACE = re.compile(r"(?<=\d) (?=[\u4e00-\u9fff])|(?<=[\u4e00-\u9fff]) (?=\d)")
FULL_LINE = 0.8  # of the document's usual full line: shorter lines end a paragraph (or are headings)
PARAGRAPH_END = "\u2029"  # Unicode's paragraph separator
EDGE_LINES = 2  # lines at the top and at the bottom of a page where running headers and footers sit


def layout_text(pages: list[str]) -> str:
    """Pages' text → paragraphs, one a line (see the module docstring)."""
    return "\n".join(paragraph for paragraph, _ in layout_paragraphs(pages))


def page_starts(paragraphs: list[tuple[str, int]]) -> list[tuple[int, int]]:
    """(offset in the joined text, page) where each page's first paragraph starts."""
    starts: list[tuple[int, int]] = []
    offset = 0
    for paragraph, page in paragraphs:
        if not starts or starts[-1][1] != page:
            starts.append((offset, page))
        offset += len(paragraph) + 1
    return starts


def layout_paragraphs(pages: list[str]) -> list[tuple[str, int]]:
    """Pages' text → (paragraph, the page it starts on, from 1)."""
    marked_pages = [_page_lines(page) for page in pages]
    page_lines = [[line for line, _ in page] for page in marked_pages]
    full = _full_line_length([line for page in page_lines for line in page])
    running = _running_lines(page_lines, full)
    lines = [
        (line, marked, number)
        for number, page in enumerate(marked_pages, 1)
        for n, (line, marked) in enumerate(page)
        if not (_at_edge(n, len(page)) and _shape(line) in running)
    ]
    paragraphs: list[tuple[str, int]] = []
    joining = False
    for line, marked, number in lines:
        if joining and paragraphs and not _NEW_POINT.match(line):
            text, first = paragraphs[-1]
            paragraphs[-1] = (text + (" " if text[-1].isascii() and line[0].isascii() else "") + line, first)
        else:
            paragraphs.append((line, number))
        joining = full > 0 and len(line) >= FULL_LINE * full and not (marked or line.endswith(COMPLETE_END))
    return paragraphs


def _page_lines(page: str) -> list[tuple[str, bool]]:
    """A page's lines without page numbers and layout spaces, each with whether it carries the paragraph-end
    mark (taken off the text)."""
    lines = []
    for raw in page.split("\n"):
        line = raw.strip()  # str.strip takes the mark too: it is whitespace to Python
        if line and not _PAGE_NUMBER.match(line):
            lines.append((_LAYOUT_SPACE.sub("", line), raw.rstrip(" \t").endswith(PARAGRAPH_END)))
    return lines


def _shape(line: str) -> str:
    """A line with its numbers blanked: a running footer "第 3 页 共 9 页" has one shape on every page."""
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", line))


def _at_edge(n: int, count: int) -> bool:
    return n < EDGE_LINES or n >= count - EDGE_LINES


def _running_lines(page_lines: list[list[str]], full: int) -> set[str]:
    """Shapes of short lines at the top or bottom of at least half of the pages (and of two at least);
    a full line of body text is never taken for a header, even where a report repeats a paragraph."""
    if len(page_lines) < 2:
        return set()
    seen = Counter(
        shape
        for page in page_lines
        for shape in {
            _shape(line) for n, line in enumerate(page) if _at_edge(n, len(page)) and len(line) < FULL_LINE * full
        }
    )
    return {shape for shape, count in seen.items() if count >= max(2, len(page_lines) / 2)}


def _full_line_length(lines: list[str]) -> int:
    """The length of a full line of body text: the most common length among the longer lines."""
    lengths = sorted(len(line) for line in lines if len(line) >= 8)
    if len(lengths) < 3:  # two lines: the longer is as full as a line gets here
        return lengths[-1] if len(lengths) == 2 else 0
    upper = lengths[len(lengths) // 2 :]  # body lines, not headings and paragraph ends
    return Counter(upper).most_common(1)[0][0] if upper else 0
