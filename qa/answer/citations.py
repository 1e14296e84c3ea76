"""Citation markers in an answer: parsed, verified against the passages they point at, renumbered,
and rendered as source lines for a draft.

A sentence is supported when every [n] it carries points at a passage that was given, and every
checkable fact in it — numbers, percentages, amounts, dates, place names, quoted terms (“…”) —
appears in one of the passages it cites. Sentences that fail are kept and marked, never dropped
silently; a sentence making a claim without any citation is marked too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.errors import SettingsError
from qa.model import OCR_NOTE, AnswerSentence, Citation, Hit
from qa.text import char_pairs, sentence_spans

NO_ANSWER = "资料中未找到相关内容"
UNSUPPORTED_MARK = "〔未能核实〕"
DEFAULT_TEMPLATE = "（来源：{place}《{title}》{author_part}{section_part}{page_part}）"

_MARKER = re.compile(r"\[(\d+(?:\s*[,，、]\s*\d+)*)\]")
# a sentence ends at 。！？ or a line break; markers right after the end still belong to it; an ASCII ?
# or ! inside a web address (…/x?a=1) ends nothing
_SENTENCE_END = re.compile(r"(?:(?<=[。！？])|(?<=[!?])(?![A-Za-z0-9=&/%#._~-]))(?!\s*\[\d)(?![”’」』）)])|\n+")
# the start of a marker still arriving at the end of a stream ("…提素质。[" or "[1,")
_PARTIAL_MARKER = re.compile(r"\s*\[[\d\s,，、]*$")
_NUMBER = re.compile(r"(?<![\d.])\d+(?:\.\d+)?(?![\d.])")
_QUOTED = re.compile(r"“([^”]{1,40})”")
# lines with no claim of their own: list intros and headings ("各地做法如下：", "思南县："), short connectives
_INTRO_MAX_CHARS = 25
_CONNECTIVE_MAX_CHARS = 12
# a sentence in a passage that speaks to the model rather than about the work is never evidence
_INSTRUCTION = re.compile(
    r"(忽略|无视|忘记|不要理会|不予理会)(掉)?(以上|之前|上述|前面|先前|所有|全部|你的|系统)?.{0,8}"
    r"(指令|指示|规则|要求|提示词?|设定)|(ignore|disregard) (all |the )?(previous|above|prior) instructions"
    r"|system prompt|你(现在)?(是|扮演).{0,12}(助手|模型|AI|机器人)",
    re.IGNORECASE,
)
# a claim must share this much of its wording (character pairs) with what it cites, however it is worded
MIN_SHARED_WORDING = 1 / 3


@dataclass
class Passage:
    """What a cited number may be checked against: the passage and the facts about its article."""

    text: str
    title: str = ""
    place: str | None = None


def normalise_digits(text: str) -> str:
    """Full-width digits to ASCII and thousands separators dropped, so 1,665 and １６６５ match 1665."""
    text = text.translate(str.maketrans("０１２３４５６７８９．％", "0123456789.%"))
    return re.sub(r"(?<=\d)[,，](?=\d{3}(?!\d))", "", text)


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


def markers(sentence: str) -> list[int]:
    return [int(n) for group in _MARKER.findall(sentence) for n in re.split(r"\s*[,，、]\s*", group)]


def without_markers(sentence: str) -> str:
    return _MARKER.sub("", sentence)


def check_sentence(sentence: str, passages: dict[int, Passage], known_places: set[str]) -> AnswerSentence:
    """Verify one answer sentence against the passages it cites (numbers as given to the model)."""
    cited = list(dict.fromkeys(markers(sentence)))
    problems = [f"引用了不存在的资料 [{n}]" for n in cited if n not in passages]
    cited = [n for n in cited if n in passages]
    claim = without_markers(sentence)
    facts = _facts(claim, known_places)
    if not cited:
        intro = claim.rstrip().endswith(("：", ":")) and len(claim) <= _INTRO_MAX_CHARS
        if NO_ANSWER in claim or intro or (not facts and len(claim) <= _CONNECTIVE_MAX_CHARS):
            return AnswerSentence(sentence, [], supported=not problems, problems=problems)
        problems.append("没有标注来源")
    else:
        evidence = normalise_digits("\n".join(_evidence(passages[n]) for n in cited))
        for kind, value in facts:
            if not _found(kind, value, evidence):
                problems.append(f"{_KIND_ZH[kind]}“{value}”在所引资料中找不到")
        if not problems and not _worded_like(claim, evidence):
            problems.append("所说内容在所引资料中找不到")
    return AnswerSentence(sentence, cited, supported=not problems, problems=problems)


_KIND_ZH = {"number": "数字", "quote": "引用的说法", "place": "地名"}


def _facts(claim: str, known_places: set[str]) -> list[tuple[str, str]]:
    claim = normalise_digits(claim)
    facts = [("number", m.group()) for m in _NUMBER.finditer(claim)]
    facts += [("quote", m.group(1)) for m in _QUOTED.finditer(claim)]
    facts += [("place", p) for p in sorted(known_places) if p and p in claim]
    return facts


def _evidence(passage: Passage) -> str:
    text = "".join(
        passage.text[start:end]
        for start, end in sentence_spans(passage.text, min_chars=1)
        if not _INSTRUCTION.search(passage.text[start:end])
    )
    return "\n".join(filter(None, [text, passage.title, passage.place]))


def _worded_like(claim: str, evidence: str) -> bool:
    pairs = {p for p in char_pairs(normalise_digits(claim)) if not any(c in _NOT_WORDING for c in p)}
    return not pairs or len(pairs & char_pairs(evidence)) >= MIN_SHARED_WORDING * len(pairs)


_NOT_WORDING = set(" \t\n，。、；：！？,.;:!?“”‘’（）()《》【】[]-—…的了是在和与及")


def _found(kind: str, value: str, evidence: str) -> bool:
    if kind == "number":
        return re.search(rf"(?<![\d.]){re.escape(value)}(?![\d])", evidence) is not None
    return value in evidence


def renumber(sentences: list[AnswerSentence]) -> tuple[list[AnswerSentence], list[int]]:
    """Citations renumbered 1..m in order of first use; returns the sentences and the old numbers in new order."""
    order: list[int] = []
    for s in sentences:
        for n in s.citations:
            if n not in order:
                order.append(n)
    new_number = {old: new for new, old in enumerate(order, 1)}

    def replace(match: re.Match[str]) -> str:
        kept = [new_number[int(n)] for n in re.split(r"\s*[,，、]\s*", match.group(1)) if int(n) in new_number]
        return "".join(f"[{n}]" for n in dict.fromkeys(kept))

    renumbered = [
        AnswerSentence(_MARKER.sub(replace, s.text), [new_number[n] for n in s.citations], s.supported, s.problems)
        for s in sentences
    ]
    return renumbered, order


def render(sentences: list[AnswerSentence]) -> str:
    """The answer text: sentences as written, lines kept, unsupported ones visibly marked."""
    parts = []
    for s in sentences:
        parts.append(s.text if s.supported else f"{s.text}{UNSUPPORTED_MARK}")
    return "\n".join(parts)


def source_line(
    title: str,
    place: str | None,
    author: str | None,
    section: list[str],
    template: str = DEFAULT_TEMPLATE,
    doc: str = "",
    page: int | None = None,
) -> str:
    """An official-style source line, e.g. （来源：思南县《抓实农村党建 赋能乡村振兴》，杨铭，“精准培育村级骨干”部分）.

    Template fields: {place} {title} {author} {section} {doc} {page} and the ready-made optional parts
    {author_part} (“，杨铭” or nothing), {section_part} (“，“…”部分” or nothing) and {page_part}
    (“，第3页” for passages of paged files, or nothing).
    """
    leaf = section[-1] if len(section) > 1 else ""
    if len(leaf) > 30:
        leaf = leaf[:30] + "…"
    fields = {
        "place": place or "",
        "title": title,
        "author": author or "",
        "section": leaf,
        "doc": doc,
        "author_part": f"，{author}" if author else "",
        "section_part": f"，“{leaf}”部分" if leaf else "",
        "page": page or "",
        "page_part": f"，第{page}页" if page else "",
    }
    try:
        return template.format(**fields)
    except (KeyError, IndexError, ValueError) as exc:
        raise SettingsError(
            f"config.yaml 中 citation.template 有误（{exc}）",
            "可用字段 {place} {title} {author} {section} {doc} {page} {author_part} {section_part} {page_part}",
        ) from exc


def supporting_span(hit: Hit, sentences: list[str]) -> tuple[int, int]:
    """The sentence of the passage sharing the most character pairs with ``sentences`` (offsets in the passage)."""
    pairs = char_pairs("".join(sentences))

    def shared(span: tuple[int, int]) -> int:
        return len(char_pairs(hit.text[span[0] : span[1]]) & pairs)

    return max(sentence_spans(hit.text), key=shared)


def citation_from_hit(n: int, hit: Hit, start: int, end: int, template: str = DEFAULT_TEMPLATE) -> Citation:
    """Citation number ``n`` of a passage, quoting its span [start, end)."""
    return Citation(
        n=n,
        chunk_id=hit.chunk_id,
        doc=hit.doc,
        title=hit.title,
        place=hit.place,
        province=hit.province,
        author=hit.author,
        section=hit.section,
        passage=hit.text,
        start=hit.start,
        end=hit.end,
        quote=hit.text[start:end],
        quote_start=hit.start + start,
        quote_end=hit.start + end,
        article_id=hit.article_id,
        source_line=source_line(hit.title, hit.place, hit.author, hit.section, template, hit.doc, hit.page),
        note=OCR_NOTE if hit.ocr else "",
        page=hit.page,
    )


class VerifiedPrefix:
    """What of a streaming answer can be shown while it streams: its complete sentences, checked and
    numbered exactly as the finished answer will number them (first use is decided by the prefix, so
    numbers never change under the reader). Nothing is shown while the text says it found nothing:
    that answer may yet become an abstention."""

    def __init__(self, passages: dict[int, Passage], known_places: set[str]) -> None:
        self.passages = passages
        self.known_places = known_places
        self.checked: list[AnswerSentence] = []
        self.shown = ""

    def feed(self, text: str) -> str:
        """The text so far → the newly shown part ("" when nothing new can be shown yet)."""
        # the last sentence may still be growing, and a marker still arriving belongs to the one before it
        complete = split_sentences(_PARTIAL_MARKER.sub("", text))[:-1]
        for sentence in complete[len(self.checked) :]:
            self.checked.append(check_sentence(sentence, self.passages, self.known_places))
        if NO_ANSWER in text:
            return ""
        rendered = render(renumber(self.checked)[0])
        new = rendered[len(self.shown) :]
        self.shown = rendered
        return new
