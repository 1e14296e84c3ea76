"""Split cleaned lines into articles and classify each line as heading, paragraph or caption.

A newspaper page holds several articles, each opened by a title (sometimes with
a place kicker above it) and a byline; a photo item ends in "某某 摄". Inside an
article, headings come in the shapes real reports use: 一、 （一） 1. / 1、, slogan
headings on their own line, and a heading sentence that opens a paragraph.
The points 一是/二是 inside a section are left to the chunker.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from qa.ingest.clean import GAP
from qa.ingest.places import divisions_named, extract_place, named_places, short_name

_CJK = "\u4e00-\u9fff"
_NAME = rf"[{_CJK}·]{{2,4}}"
_BYLINE = re.compile(rf"^(?:(?:本报)?记者|通讯员|作者[:：]?)?\s*({_NAME}(?:[ 、，,]{_NAME}){{0,3}})$")
_PHOTO_CREDIT = re.compile(rf"^(?:图/|图：|图:)?({_NAME}(?:[ 、]{_NAME}){{0,2}})\s*摄(?:影)?$")
_NEWS_BYLINE = re.compile(rf"^本报讯\s*[（(](?:记者|通讯员)?\s*({_NAME}(?:[ 、，,]{_NAME}){{0,3}})[）)]")
_KICKER = re.compile(rf"^([{_CJK}]{{2,8}})[:：](.+)$")
_DATE = re.compile(r"(\d{4})\s*[年\-/.]\s*(\d{1,2})\s*[月\-/.]\s*(\d{1,2})\s*日?")

HEADING_CN = re.compile(r"^([一二三四五六七八九十]{1,3})、\s*")
HEADING_PAREN = re.compile(r"^[（(]([一二三四五六七八九十]{1,3})[）)]\s*")
HEADING_ARABIC = re.compile(r"^(\d{1,2})[.、．](?![\d％%])\s*")
POINT_START = re.compile(r"^[一二三四五六七八九十]{1,3}是")
_NUMBERED = ((HEADING_CN, "cn"), (HEADING_PAREN, "paren"), (HEADING_ARABIC, "arabic"))
_SENTENCE_END = re.compile(r"[。！？；]")
# Openers of ordinary sentences; a short first sentence starting with one is not a heading.
_PLAIN_OPENERS = re.compile(
    r"^(?:近年来|近年|目前|同时|此外|另外|截至|据|今年|去年|该|全|其中|通过|为此|由此|对此|为|在|经|从而|这|此)"
)

TITLE_MAX = 50
LINE_HEADING_MAX = 40
LEAD_HEADING_MAX = 30
LEAD_CLAUSE_MAX = 12
_COLUMN_TAG = re.compile(r"^【[^】]{1,30}】")


@dataclass
class Block:
    """One paragraph line of an article; ``heading`` is set when it opens a section."""

    kind: str  # heading | paragraph | caption
    text: str
    start: int  # offset in the article text
    style: str | None = None  # cn | paren | arabic | line | lead
    heading: str | None = None


@dataclass
class ArticleDraft:
    title: str
    author: str | None
    place: str | None
    date: str | None
    text: str
    blocks: list[Block] = field(default_factory=list)
    titled: bool = True  # False: the title is the first sentence, for want of one


# ------------------------------------------------------------------ articles


def split_articles(lines: list[str]) -> list[ArticleDraft]:
    """Turn a file's cleaned lines into one or more articles."""
    spans = _article_spans(lines)
    drafts = [_build_article(lines[a:b], head) for a, b, head in spans]
    return [d for d in drafts if d.text.strip()]


def _is_title_like(line: str) -> bool:
    return (
        line != GAP
        and 0 < len(line) <= TITLE_MAX
        and not line.endswith(("。", "；", "，", ","))
        and not any(rx.match(line) for rx, _ in _NUMBERED)
        and not _BYLINE.match(line)
        and not _PHOTO_CREDIT.match(line)
    )


def _head_at(lines: list[str], i: int) -> int:
    """How many lines an article head (kicker?, title, byline) spans at i; 0 if none."""
    n = len(lines)
    if not _is_title_like(lines[i]):
        return 0
    nxt = lines[i + 1] if i + 1 < n else GAP
    if _BYLINE.match(nxt) and i + 2 < n:
        return 2
    if _NEWS_BYLINE.match(nxt):
        return 1
    if i + 2 < n and _is_title_like(nxt) and _BYLINE.match(lines[i + 2]) and i + 3 < n:
        return 3
    return 0


def _article_spans(lines: list[str]) -> list[tuple[int, int, int]]:
    """(start, end, head length) for each article; a head of 0 lines means untitled."""
    starts: list[tuple[int, int]] = []
    i = 0
    while i < len(lines):
        head = _head_at(lines, i)
        if head:
            starts.append((i, head))
            i += head
            continue
        if _PHOTO_CREDIT.match(lines[i]):
            # a photo item runs from the last hard gap before its credit line
            gap = max((j for j in range(i) if lines[j] == GAP), default=-1)
            if not starts or gap >= starts[-1][0]:
                starts.append((gap + 1, 0))
        i += 1
    if not starts or starts[0][0] > 0:
        starts.insert(0, (0, 0))
    spans = []
    for k, (start, head) in enumerate(starts):
        end = starts[k + 1][0] if k + 1 < len(starts) else len(lines)
        spans.append((start, end, head))
    return spans


def _build_article(lines: list[str], head: int) -> ArticleDraft:
    kicker = title = author = None
    date = None
    if head == 3:
        kicker, title, author = lines[0], lines[1], _BYLINE.match(lines[2]).group(1)
    elif head == 2:
        title, author = lines[0], _BYLINE.match(lines[1]).group(1)
    elif head == 1:
        title = lines[0]
    body = [ln for ln in lines[head:] if ln != GAP]
    if body and head == 1 and (m := _NEWS_BYLINE.match(body[0])):
        author = m.group(1)
    if body and (m := _PHOTO_CREDIT.match(body[-1])):
        author = author or f"{m.group(1)} 摄"
        body = body[:-1]
    first_is_title = body and (_is_title_like(body[0]) or _BYLINE.match(body[0]))  # "结语"-short titles too
    if title is None and len(body) > 1 and first_is_title and not _DATE.match(body[0]):
        title, body = body[0], body[1:]
    if title and (m := _KICKER.match(title)) and not kicker:
        kicker, title = m.group(1), m.group(2).strip()
    for line in lines[: head + 1]:
        if line != GAP and len(line) <= 30 and (m := _DATE.search(line)):
            date = f"{int(m.group(1)):04d}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
            break
    text = "\n".join(body)
    # a column tag ("【再访脱贫村 振兴气象新】") names the series, not the place
    lead = " ".join(filter(None, [_COLUMN_TAG.sub("", title or ""), body[0] if body else ""]))[:200]
    place = extract_place(lead, kicker)
    titled = title is not None
    if title is None:
        title = _derived_title(body[0] if body else "")
    return ArticleDraft(title, author, place, date, text, _blocks(body), titled)


_HASH_PART = re.compile(r"(?<![0-9A-Za-z])(?:[0-9a-fA-F]{8,}|\d{1,4})(?![0-9A-Za-z])")


def title_from_file_name(name: str) -> str | None:
    """A report's file name as its title ("思南县党建经验.docx" → 思南县党建经验), or None when the name
    says nothing (hash and sequence numbers, dates alone: 002_6c0b8a38d328fee4.txt, 20220101.md)."""
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem = " ".join(_HASH_PART.sub(" ", stem.replace("_", " ")).split()).strip(" -")
    return stem if len(re.findall(r"[\u4e00-\u9fff]", stem)) >= 4 else None


def _derived_title(first_paragraph: str) -> str:
    """An untitled report (or photo item) is named by its first sentence."""
    sentence = _SENTENCE_END.split(first_paragraph, maxsplit=1)[0]
    sentence = re.sub(r"^\d{1,2}月\d{1,2}日[,，]?", "", sentence)
    title = ""
    for clause in re.split(r"(?<=[，,])", sentence):  # whole clauses until the title says something
        if len(title) >= 12 or len(title) + len(clause) > 40:
            break
        title += clause
    title = title.rstrip("，,") or sentence[:40]
    return title


# ------------------------------------------------------------------ headings


def _blocks(body: list[str]) -> list[Block]:
    blocks: list[Block] = []
    offset = 0
    captions_from = _trailing_captions(body)
    for idx, line in enumerate(body):
        block = Block("paragraph", line, offset)
        if idx >= captions_from:
            block.kind = "caption"
        else:  # the first paragraph is the lead: only a numbered heading can open it
            _classify(block, body[idx + 1] if idx + 1 < len(body) else None, numbered_only=idx == 0)
        blocks.append(block)
        offset += len(line) + 1
    return _merge_heading_lines(blocks)


def _trailing_captions(body: list[str]) -> int:
    """Index where a closing run of 2+ short, unpunctuated lines (photo captions) starts."""
    i = len(body)
    while i > 1 and len(body[i - 1]) <= 30 and not _SENTENCE_END.search(body[i - 1]):
        i -= 1
    return i if len(body) - i >= 2 else len(body)


def _classify(block: Block, next_line: str | None, numbered_only: bool = False) -> None:
    line = block.text
    if POINT_START.match(line):
        return  # "一是…" paragraphs are points, split by the chunker
    for rx, style in _NUMBERED:
        m = rx.match(line)
        if m:
            rest = line[m.end() :]
            block.style = style
            if _is_own_line_heading(line):
                block.kind = "heading"
                block.heading = rest.rstrip("。：:")
            else:
                block.heading = _opening_sentence(rest) or _clip(rest)
            return
    if numbered_only:
        return
    # an unnumbered line ending a sentence is a short paragraph (news runs many), not a heading
    if next_line is not None and _is_own_line_heading(line) and not line.endswith(("。", "！", "？")):
        block.kind, block.style, block.heading = "heading", "line", line.rstrip("：:")
        return
    opening = _opening_sentence(line)
    if (
        opening
        and len(opening) <= LEAD_HEADING_MAX
        and not re.search(r"\d", opening)
        and not _PLAIN_OPENERS.match(opening)
        and _slogan_like(opening)
        and not _opens_with_place(opening)
    ):
        block.style, block.heading = "lead", opening


def _slogan_like(sentence: str) -> bool:
    """A heading sentence is one or two short parallel phrases ("聚焦产业发展，壮大集体经济"); a narrative
    opening ("几十年来，赵亚夫走遍了茅山革命老区，常年做农技服务") runs longer or has more clauses."""
    clauses = re.split(r"[，,、]", sentence)
    return len(clauses) <= 2 and max(map(len, clauses)) <= LEAD_CLAUSE_MAX


def _opens_with_place(sentence: str) -> bool:
    """A sentence whose subject is a place ("庙荒村背靠太行山，红旗渠穿村而过") describes it: a report's
    headings name what was done, the place being the report's own. None of the seeds' lead headings opens
    with a place; cctv_rural tuning-half how questions 0.873 → 0.882, nothing else moved."""
    names = [*named_places(sentence), *divisions_named(sentence)]
    return any(sentence.startswith((name, short_name(name))) for name in names)


def _is_own_line_heading(line: str) -> bool:
    inner = line.rstrip("。")
    return len(line) <= LINE_HEADING_MAX and not _SENTENCE_END.search(inner)


def _opening_sentence(text: str) -> str | None:
    """The first sentence when it is short and more text follows: a heading sentence."""
    m = _SENTENCE_END.search(text)
    if not m or m.end() >= len(text) or m.start() > TITLE_MAX:
        return None
    return text[: m.start()]


def _clip(text: str, limit: int = 20) -> str:
    first = re.split(r"[，,。；]", text, maxsplit=1)[0]
    return first if len(first) <= limit else first[:limit] + "…"


def _merge_heading_lines(blocks: list[Block]) -> list[Block]:
    """A slogan heading followed by its sub-line ("拓宽渠道“细心选”" / "精准扩容筑牢…") is one heading."""
    out: list[Block] = []
    for block in blocks:
        prev = out[-1] if out else None
        if (
            prev is not None
            and prev.kind == "heading"
            and block.kind == "heading"
            and prev.style == block.style == "line"
        ):
            prev.heading = f"{prev.heading} {block.heading}"
            prev.text = prev.text + "\n" + block.text
            continue
        out.append(block)
    return out
