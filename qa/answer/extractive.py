"""The offline answerer: an answer made of sentences quoted from the retrieved passages.

No text is generated. Each sentence of the top passages is scored against the question
(word overlap, embedding similarity, the passage's rank, and what the question asks for:
a number for a how-many question, a list for "哪些", a definition for "是什么"); the best ones are quoted
without repetition, each with the number of its passage. Questions about how places do
something get one or two sentences per place, grouped under the place's name.
"""

from __future__ import annotations

import re
from dataclasses import replace

from qa.answer.quote_extent import (
    Quote,
    answered,
    merged,
    next_paragraph_opening,
    read_on,
    with_next_if_heading,
    with_previous,
    with_previous_if_pointing,
)
from qa.answer.reading import best_span
from qa.embeddings import Embedder
from qa.model import Hit
from qa.search.confidence import QUOTED
from qa.search.hybrid import EXPANSION_WEIGHT
from qa.search.query import is_survey, normalise_query
from qa.search.question import (
    ASKS_DEFINITION,
    ASKS_FIGURE,
    ASKS_HOW,
    ASKS_LIST,
    ASKS_TIME,
    Question,
    analyse,
    stated_answer,
)
from qa.text import char_pairs, expand, paragraph_sentence_spans, tokenize

HEADER = "以下为资料原文摘录（摘录模式，未使用大模型）："


def fallback_header(why: str) -> str:
    """The first line when a configured model did not answer: why, in a few words (a line without a claim
    of its own, so it stays under the 25 characters a heading may have)."""
    return f"大模型{why[:9]}，以下为资料原文摘录："


MAX_SENTENCES = 4
PER_PLACE = 2
MAX_PLACES = 5
# a sentence is quoted when it scores at least this share of the best one. 0.6 rather than 0.75: on the
# tuning halves answers held the gold text more often (cctv_rural everyday 0.37 → 0.42, how 0.74 → 0.79,
# CMRC 0.80 → 0.82) and no kind lost; on the check halves CMRC rose 0.79 → 0.83 and nothing fell
KEEP_SHARE = 0.6
# a question asking for a figure keeps the stricter share: every sentence nearly as good holds some number,
# and the figure asked for is in the best one
KEEP_SHARE_NUMBER = 0.75
UNIT_MATCH = 0.15  # beside the 0.15 any figure earns, for a figure in the measure word asked
# the weights of the sentence score; the rest of a sentence's score comes from what the question asks for
LEXICAL, DENSE, RANK = 0.45, 0.35, 0.2

# a question asking when wants a time, as a how-many question wants a figure: a sentence stating one is preferred (0.15, as a
# figure is). CMRC's answers holding the gold rose 0.858 / 0.854 → 0.860 / 0.856 (tune / check); nothing else moved
_HAS_TIME = re.compile(r"\d+年|\d+月|\d+日|[一二三四五六七八九十〇零]{2,4}年|世纪|年代")
# "how did X do Y": answered by the passage that describes the practice (its heading names it), not by
# the report's opening line, which restates the topic for every question about the report
HOW_HEADING = 0.3  # at most this much for a passage whose section heading shares the question's words
LEAD_PENALTY = 0.25  # taken from the opening paragraph of an article when the question asks how
# a sentence holding a term the user quoted (“烂泥洼”) is about what was asked. Added for one tuning-half
# question whose answer sat in an opening paragraph (cctv_rural everyday 0.47 → 0.53); nothing else moved
QUOTED_TERM = 0.15
_HAS_NUMBER = re.compile(r"\d")
_HAS_LIST = re.compile(r"、|一是|二是|；")
_HAS_DEFINITION = re.compile(r"即|是指|就是|包括|“[^”]+”")


def choose_quotes(
    question: str,
    hits: list[Hit],
    embedder: Embedder,
    place_names: tuple[str, ...] = (),
    passages: list[Hit] | None = None,
) -> list[Quote]:
    """The sentences to quote, in reading order of the answer. ``place_names``: the place the question is
    scoped to (with its short form), when it is; see _about_place.

    ``passages``: the passages as the search shows them, neighbouring chunks joined, holding every one of
    ``hits`` (see covering). Sentences are then scored among the chunks, each by its own chunk's rank, and
    quoted from the passages (the quotes index them): a quote reads on, back to what it points to or on to
    what follows, within the passage, into a neighbouring chunk that also ranked."""
    candidates = _sentences(hits)
    if place_names:
        candidates = _about_place(candidates, hits, place_names)
    if not candidates:
        return []
    texts = [c.text(hits) for c in candidates]
    cleaned = normalise_query(question)
    lexical = _overlap(cleaned, texts, expand(cleaned))
    dense = embedder.embed_documents(texts) @ embedder.embed_query(cleaned)
    placing = _how_bonus(cleaned, hits) if ASKS_HOW.search(question) else [0.0] * len(hits)
    asked = analyse(question)
    # a sentence stating the figure in the unit asked ("全市已组建起7882支这样的队伍") is read with its passage,
    # which names the subject: it need not repeat the question's words to answer it
    subject = _overlap(cleaned, [h.text for h in hits], expand(cleaned)) if asked.unit else []
    for c, lex, cos, text in zip(candidates, lexical, dense, texts, strict=True):
        if asked.unit and stated_answer(asked, text):
            lex = max(lex, subject[c.hit]) + UNIT_MATCH / LEXICAL
        c.score = LEXICAL * lex + DENSE * float(cos) + RANK / (c.hit + 1) + _asks_bonus(question, text) + placing[c.hit]
    ranked = sorted(candidates, key=lambda c: (-c.score, c.hit, c.start))
    if is_survey(question):
        chosen = _per_place(ranked, hits)
        if passages is not None:
            chosen, hits = _onto(chosen, hits, passages), passages
        return merged([with_next_if_heading(q, hits) for q in chosen])
    best = ranked[0].score
    keep = KEEP_SHARE
    if ASKS_FIGURE.search(question) and _HAS_NUMBER.search(ranked[0].text(hits)):
        # the question wants a figure and the best sentence has one: other sentences must have one too
        ranked = [c for c in ranked if _HAS_NUMBER.search(c.text(hits))]
        keep = KEEP_SHARE_NUMBER
    chosen: list[Quote] = []
    for c in ranked:
        if len(chosen) == MAX_SENTENCES or c.score < keep * best:
            break
        if not _repeats(c.text(hits), [q.text(hits) for q in chosen]):
            chosen.append(c)
    if passages is not None:
        chosen, hits = _onto(chosen, hits, passages), passages
    chosen = [with_previous_if_pointing(with_next_if_heading(q, hits), hits) for q in chosen]
    chosen[0] = read_on(chosen[0], hits, chosen[1:])
    if asked.kind == "why":  # the sentence that restates what is asked often follows its reason
        chosen[0] = with_previous(chosen[0], hits)
    if (after := next_paragraph_opening(chosen[0], hits, chosen[1:])) is not None:
        chosen.insert(1, after)  # what was done, told in the next paragraph: a quote of its own
    chosen = merged([answered(q, hits, chosen[:n] + chosen[n + 1 :]) for n, q in enumerate(chosen)])
    # a how-question is answered by the passage describing the practice (HOW_HEADING), which the reader,
    # trained on questions of one fact, does not know: it takes the report's opening line that repeats them
    return with_reader_sentence(asked, chosen, hits, place_names) if adds_reader_sentence(question) else chosen


def adds_reader_sentence(question: str) -> bool:
    """Whether the quotes get the sentence where the reader finds the answer (with_reader_sentence): not for a
    survey of places, quoted place by place, nor for how a practice is done (see choose_quotes)."""
    return not is_survey(question) and not ASKS_HOW.search(question)


def with_reader_sentence(
    asked: Question, quotes: list[Quote], hits: list[Hit], place_names: tuple[str, ...] = ()
) -> list[Quote]:
    """The quotes, and after them the sentence of the first passage where the reader finds the answer when they
    leave it out (for a question about one place, only from that place's article or naming it). Answers holding the gold, tuning / check halves: CMRC 0.862 / 0.856 → 0.870 / 0.858, cctv_rural
    facts 0.939 / 0.980 → 0.954 / 0.980 (quoting it first where the reader scores it above the quotes: the same,
    short answers one question better on cctv_rural and two worse on CMRC; decisions.md)."""
    found = best_span(asked, [hits[0].text]) if quotes and hits else None
    if found is None:
        return quotes
    at = hits[0].text.find(found.sentence)
    spans = [(s, e) for s, e in paragraph_sentence_spans(hits[0].text, min_chars=1) if s <= at < e]
    if not spans or any(q.hit == 0 and q.start < spans[0][1] and spans[0][0] < q.end for q in quotes):
        return quotes
    if place_names and not _of_place(hits[0], place_names) and not any(n in found.sentence for n in place_names):
        return quotes  # a round-up's sentence about another place does not answer for the one asked
    return [*quotes, with_previous_if_pointing(Quote(0, *spans[0], found.score), hits)]


def covering(passages: list[Hit], chunks: list[Hit]) -> list[Hit]:
    """The passages, and after them any of the chunks that none of them holds (the two rankings are cut
    and thinned separately, so a chunk may rank where its passage does not)."""
    return passages + [c for c in chunks if not any(_holds(p, c) for p in passages)]


def _onto(quotes: list[Quote], chunks: list[Hit], passages: list[Hit]) -> list[Quote]:
    """Quotes of the chunks as quotes of the passages that hold them."""
    moved = []
    for quote in quotes:
        chunk = chunks[quote.hit]
        n = next(i for i, p in enumerate(passages) if _holds(p, chunk))
        shift = chunk.start - passages[n].start
        moved.append(Quote(n, quote.start + shift, quote.end + shift, quote.score))
    return moved


def _holds(passage: Hit, chunk: Hit) -> bool:
    return (passage.doc, passage.article_id) == (chunk.doc, chunk.article_id) and (
        passage.start <= chunk.start and chunk.end <= passage.end
    )


def _sentences(hits: list[Hit]) -> list[Quote]:
    """Every sentence of the passages, unscored, in reading order."""
    return [Quote(i, s, e, 0.0) for i, hit in enumerate(hits) for s, e in paragraph_sentence_spans(hit.text)]


def _about_place(candidates: list[Quote], hits: list[Hit], names: tuple[str, ...]) -> list[Quote]:
    """Sentences about the place asked: all of an article that is that place's, and from a round-up that
    names several places (潭头村, 庄子峁村, 振兴村 in one passage) those naming it and the sentence after each
    ("这个彝族村落的282户村民…" follows the one naming 悬崖村). If none does, all."""
    own = {i for i, hit in enumerate(hits) if _of_place(hit, names)}
    kept: list[Quote] = []
    naming = False
    for n, c in enumerate(candidates):
        follows = naming and candidates[n - 1].hit == c.hit
        naming = any(name in c.text(hits) for name in names)
        if c.hit in own or naming or follows:
            kept.append(c)
    return kept or candidates


def _of_place(hit: Hit, names: tuple[str, ...]) -> bool:
    """The passage's article is the place's own (its place, county, city, province or title names it)."""
    own = f"{hit.place or ''}{hit.county or ''}{hit.city or ''}{hit.province or ''}{hit.title}"
    return any(name in own for name in names)


def passages_about_place(hits: list[Hit], names: tuple[str, ...]) -> list[Hit]:
    """The passages as the LLM reads them for a place-scoped question: a round-up passage cut to its
    sentences about the place (see _about_place), one that says nothing of it reduced to a note, so the
    model is not handed other places' practice to retell. Numbering and the rest are unchanged."""
    if not names:
        return hits
    candidates = _sentences(hits)
    kept = _about_place(candidates, hits, names)
    cut = []
    for i, hit in enumerate(hits):
        mine = [c for c in kept if c.hit == i]
        if len(mine) == sum(c.hit == i for c in candidates):
            cut.append(hit)  # all of it is about the place: as it stands, line breaks and all
        else:
            cut.append(replace(hit, text="".join(c.text(hits) for c in mine) or f"（本段未提及{names[0]}，从略）"))
    return cut


def _per_place(ranked: list[Quote], hits: list[Hit]) -> list[Quote]:
    """Up to PER_PLACE sentences for each of the best MAX_PLACES places, places in order of their best sentence."""
    by_place: dict[str, list[Quote]] = {}
    best = ranked[0].score
    for c in ranked:
        if c.score < 0.5 * best:
            break
        place = place_label(hits[c.hit])
        group = by_place.get(place)
        if group is None:
            if len(by_place) == MAX_PLACES:
                continue
            group = by_place[place] = []
        if len(group) < PER_PLACE and not _repeats(c.text(hits), [q.text(hits) for q in group]):
            group.append(c)
    return [q for group in by_place.values() for q in group]


def place_label(hit: Hit) -> str:
    """How a place group is headed: the place, or the report's title when the place is unknown."""
    return hit.place or f"《{hit.title}》"


def _overlap(query: str, texts: list[str], official: list[str] | None = None) -> list[float]:
    """Share of the query's words (weighted by length: longer words say more) found in each text, at most 1.

    ``official``: the thesaurus's official terms for the query's everyday words, counted at the weight the
    search gives them, so that "怎样给村班子物色接班人" quotes the sentence on 后备力量 in the passage it found.
    Answers holding the gold: seeds tuning-half paraphrases 0.53 → 0.60, cctv_rural check-half everyday
    0.47 → 0.53; no other half of any corpus moved (weight 0.5 the same on the tuning halves, 1.0 lower)."""
    words = {t for t in tokenize(query) if len(t) > 1} or set(tokenize(query))
    total = sum(len(w) for w in words) or 1
    extra = [t for t in official or [] if len(t) > 1]
    shares = []
    for text in texts:
        lowered = text.lower()
        own = sum(len(w) for w in words if w in lowered)
        official_held = sum(len(t) for t in extra if t in lowered)
        shares.append(min(1.0, (own + EXPANSION_WEIGHT * official_held) / total))
    return shares


def _how_bonus(question: str, hits: list[Hit]) -> list[float]:
    """Per passage: a bonus when its section heading names what is asked, a penalty for an opening paragraph."""
    headings = _overlap(question, [" ".join(h.section[1:]) for h in hits])
    return [
        HOW_HEADING * share - (LEAD_PENALTY if len(h.section) == 1 and h.start == 0 else 0.0)
        for h, share in zip(hits, headings, strict=True)
    ]


def _asks_bonus(question: str, sentence: str) -> float:
    bonus = QUOTED_TERM if any(term in sentence for term in QUOTED.findall(question)) else 0.0
    if ASKS_FIGURE.search(question) and _HAS_NUMBER.search(sentence):
        bonus += 0.15
    if ASKS_TIME.search(question) and _HAS_TIME.search(sentence):
        bonus += 0.15
    if ASKS_LIST.search(question) and _HAS_LIST.search(sentence):
        bonus += 0.1
    if ASKS_DEFINITION.search(question) and _HAS_DEFINITION.search(sentence):
        bonus += 0.1
    return bonus


def _repeats(text: str, chosen: list[str], threshold: float = 0.6) -> bool:
    grams = char_pairs(text)
    for other in chosen:
        other_grams = char_pairs(other)
        if grams and len(grams & other_grams) / min(len(grams), len(other_grams) or 1) >= threshold:
            return True
    return False


def compose(question: str, quotes: list[Quote], hits: list[Hit]) -> list[str]:
    """The answer's lines, each quote with [n] (n = position of its passage in ``hits`` + 1)."""
    lines = [HEADER]
    if is_survey(question):
        current = None
        for q in quotes:
            place = place_label(hits[q.hit])
            if place != current:
                lines.append(f"{place}：")
                current = place
            lines.append(f"- {q.text(hits)}[{q.hit + 1}]")
    else:
        lines.extend(f"- {q.text(hits)}[{q.hit + 1}]" for q in quotes)
    return lines
