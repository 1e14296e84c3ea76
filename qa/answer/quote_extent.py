"""How far a quote runs: one sentence, read back to the sentence it points to, on into the sentence that
answers it or follows a short heading, and never across a paragraph's end (what opens the next
paragraph is quoted on its own)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.model import Hit
from qa.text import paragraph_sentence_spans

SHORT_QUOTE = 30
# 这/此 point back to a thing, 因此/所以/由此 to a reason ("因此，次磷酸…受到严格管制" after what makes it a precursor):
# CMRC's answers holding the gold 0.868 / 0.858 → 0.872 / 0.860 (tune / check), nothing else moved
_POINTS_BACK = re.compile(r"^(?:这|此|因此|所以|因而|于是|由此)")
_ASKS_BACK = re.compile(r"[？?]\s*$")


@dataclass
class Quote:
    """One quoted sentence: the passage it comes from (index into the hits) and its offsets in the passage."""

    hit: int
    start: int
    end: int
    score: float

    def text(self, hits: list[Hit]) -> str:
        return hits[self.hit].text[self.start : self.end]


def merged(quotes: list[Quote]) -> list[Quote]:
    """Quotes of one passage that came to overlap (a heading sentence read on into a sentence quoted already)
    become one quote, where the first of them stood: the answer never says the same sentence twice."""
    kept: list[Quote] = []
    for q in quotes:
        same = next((k for k in kept if k.hit == q.hit and k.start < q.end and q.start < k.end), None)
        if same is None:
            kept.append(q)
        else:
            same.start, same.end = min(same.start, q.start), max(same.end, q.end)
    return kept


def with_previous_if_pointing(quote: Quote, hits: list[Hit]) -> Quote:
    """A sentence that opens by pointing back ("这是截至今年9月底…的务工规模", "因此…") is quoted with the sentence
    it points to ("3268.7万人！", the reason): alone it names neither the figure nor the thing, nor why."""
    text = hits[quote.hit].text
    return with_previous(quote, hits) if _POINTS_BACK.match(text[quote.start : quote.end]) else quote


def with_previous(quote: Quote, hits: list[Hit]) -> Quote:
    """The quote with the sentence before it in its paragraph, if there is one."""
    text = hits[quote.hit].text
    before = [s for s in paragraph_sentence_spans(text, min_chars=1) if s[1] <= quote.start]
    before = [s for s in before if "\n" not in text[s[1] : quote.start]]  # the same paragraph only
    return Quote(quote.hit, before[-1][0], quote.end, quote.score) if before else quote


def read_on(quote: Quote, hits: list[Hit], others: list[Quote]) -> Quote:
    """The quote read on into the sentence after it, unless another quote holds that sentence.

    The best sentence is always read on: the sentence that matches a question best often states the subject
    or the problem ("…由三个移民村合并而成，开展工作困难重重"), and what was done follows. On the tuning halves
    answers held the gold more often (cctv_rural how 0.79 → 0.95, everyday 0.42 → 0.47, CMRC 0.82 → 0.85) and
    on the check halves too (everyday 0.37 → 0.42, CMRC 0.83 → 0.85); no kind fell."""
    following = _next_sentence(quote, hits)
    if following is None or _held(quote.hit, following, others):
        return quote
    return Quote(quote.hit, quote.start, following[1], quote.score)


def next_paragraph_opening(quote: Quote, hits: list[Hit], others: list[Quote]) -> Quote | None:
    """The first sentence of the paragraph after the quote, when the quote ends its paragraph, that sentence is
    not a heading and no other quote holds it. The best sentence often states the problem at a paragraph's end
    and what was done opens the next; a quote never runs across the break, so that sentence stands alone."""
    text, following = hits[quote.hit].text, _following(quote, hits)
    if following is None or "\n" not in text[quote.end : following[0]]:
        return None  # nothing follows, or it is in the quote's own paragraph (read on to, not quoted apart)
    if following[1] - following[0] < SHORT_QUOTE or _held(quote.hit, following, others):
        return None
    return Quote(quote.hit, following[0], following[1], quote.score)


def _held(hit: int, span: tuple[int, int], others: list[Quote]) -> bool:
    """Whether another quote of the same passage overlaps the span."""
    return any(o.hit == hit and o.start < span[1] and o.end > span[0] for o in others)


def answered(quote: Quote, hits: list[Hit], others: list[Quote]) -> Quote:
    """A quote ending in a question ("如何让来自不同地域的移民‘心往一处想’？") is read on to the answer that
    follows it: news and reports ask a question only to answer it next. Everyday answers held the gold
    0.42 → 0.47 and follow-ups 0.71 → 0.86 on cctv_rural's check half (where the case was found); no other
    half of any corpus moved."""
    return read_on(quote, hits, others) if _ASKS_BACK.search(quote.text(hits)) else quote


def _next_sentence(quote: Quote, hits: list[Hit]) -> tuple[int, int] | None:
    """The span of the sentence after the quote in its paragraph, if there is one."""
    following = _following(quote, hits)
    return following if following and "\n" not in hits[quote.hit].text[quote.end : following[0]] else None


def _following(quote: Quote, hits: list[Hit]) -> tuple[int, int] | None:
    """The span of the sentence after the quote in its passage, in whichever paragraph."""
    return next((s for s in paragraph_sentence_spans(hits[quote.hit].text) if s[0] >= quote.end), None)


def with_next_if_heading(quote: Quote, hits: list[Hit]) -> Quote:
    """A short heading sentence ("二是探索支部“四能一创”工作法。") says little alone: quote the sentence after it too."""
    if quote.end - quote.start >= SHORT_QUOTE:
        return quote
    following = _next_sentence(quote, hits)
    return Quote(quote.hit, quote.start, following[1], quote.score) if following else quote
