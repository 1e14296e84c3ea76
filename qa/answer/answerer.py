"""Answers with verified citations: retrieve → (LLM or extractive) → verify → renumber.

``Answerer.stream`` yields the answer as it is produced and then the finished ``Answer``;
``Answerer.ask`` returns only the finished one. When retrieval finds nothing relevant the
answer says so and lists the closest passages as "可能相关". When the LLM fails (timeout,
429, no connection) the answer falls back to the extractive mode and says why.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from qa.answer.citations import (
    DEFAULT_TEMPLATE,
    NO_ANSWER,
    Passage,
    VerifiedPrefix,
    check_sentence,
    citation_from_hit,
    render,
    renumber,
    split_sentences,
    supporting_span,
)
from qa.answer.extractive import choose_quotes, compose, covering, passages_about_place
from qa.answer.llm import (
    OFFICIAL_WORDING_PROMPT,
    REWRITE_PROMPT,
    SYSTEM_PROMPT,
    ChatClient,
    official_variants,
    passages_block,
)
from qa.embeddings import Embedder
from qa.errors import LLMError
from qa.index import catalog
from qa.ingest.places import divisions_named, named_places, short_name
from qa.model import Answer, AnswerSentence, Filters, Hit
from qa.search.confidence import CONFIDENT_COVERAGE, coverage, question_words
from qa.search.hybrid import HybridRetriever, SearchResult
from qa.search.query import normalise_query, wants_other_places
from qa.search.question import short_answer
from qa.settings import Settings
from qa.text import place_words, words

ABSTAIN_TEXT = f"{NO_ANSWER}。知识库中没有直接回答这个问题的材料；下面是最接近的段落，仅供参考（可能相关）。"
PLACE_ABSTAIN_TEXT = (
    f"{NO_ANSWER}：资料中没有{{place}}的相关内容。下面是其他地方最接近的段落，仅供参考（可能相关，注意出处地点）。"
)
RELATED = 3  # closest passages shown when abstaining


@dataclass
class AnswerEvent:
    kind: str  # "delta": more answer text | "reset": discard the text so far (notice says why) | "done"
    text: str = ""
    answer: Answer | None = None


class Answerer:
    def __init__(
        self,
        retriever: HybridRetriever,
        settings: Settings,
        llm: ChatClient | None = None,
        llm_problem: str = "",
    ) -> None:
        self.retriever = retriever
        self.llm = llm
        self.llm_problem = llm_problem  # why a configured LLM is not in use, told with every answer
        self.passages = settings.answer.passages
        self.template = settings.citation.template or DEFAULT_TEMPLATE
        self.places = known_places(retriever)

    @classmethod
    def from_settings(cls, settings: Settings, folder: Path, embedder: Embedder | None = None) -> Answerer:
        """The answerer for a knowledge base: its retriever, and the LLM when one is configured and usable."""
        retriever = HybridRetriever.from_settings(settings, folder, embedder)
        llm, problem = None, ""
        if settings.llm.enabled:
            try:
                llm = ChatClient(settings.llm)
            except LLMError as exc:
                problem = f"{exc}。现用摘录模式回答。"
        return cls(retriever, settings, llm, problem)

    @property
    def mode(self) -> str:
        return "llm" if self.llm is not None else "extractive"

    def ask(self, question: str, history: Sequence[str] = (), filters: Filters | None = None) -> Answer:
        for event in self.stream(question, history, filters):
            if event.kind == "done":
                assert event.answer is not None
                return event.answer
        raise RuntimeError("answer stream ended without an answer")

    def stream(
        self, question: str, history: Sequence[str] = (), filters: Filters | None = None
    ) -> Iterator[AnswerEvent]:
        standalone = self.standalone(question, history)
        result, place, failure = self.retrieve(standalone, filters, followup=question if history else None)
        hits = result.hits
        if not hits or not result.relevant:
            if place:  # the place asked about has nothing: say so, and show the closest passages elsewhere
                elsewhere = self.retriever.retrieve(standalone, self.passages, filters)
                answer = self._abstain(question, standalone, elsewhere.hits, self.mode, place)
            else:
                answer = self._abstain(question, standalone, hits, self.mode)
            answer.notice = self.llm_problem
            yield AnswerEvent("delta", answer.text)
            yield AnswerEvent("done", answer=answer)
            return
        notice = self.llm_problem
        if failure is not None:  # the endpoint just failed: asking again would cost another timeout
            notice = f"{failure}。本次改用摘录模式回答。"
        elif self.llm is not None:
            try:
                yield from self._stream_llm(question, standalone, hits, result.confident, _names_of(place))
                return
            except LLMError as exc:
                notice = f"{exc}。本次改用摘录模式回答。"
                yield AnswerEvent("reset", notice)
        # sentences are chosen among the ranked chunks and quoted from the passages that hold them
        chunks = result.chunks or hits
        hits = covering(hits, chunks)
        quotes = choose_quotes(standalone, chunks, self.retriever.embedder, _names_of(place), hits)
        lines = compose(standalone, quotes, hits)
        answer = self._build(question, standalone, lines, hits, "extractive", {q.hit + 1: q for q in quotes})
        answer.notice, answer.confidence = notice, _confidence(answer, result.confident and self._covered(answer))
        answer.short_answer = short_answer(standalone, [c.quote for c in answer.citations])
        yield AnswerEvent("delta", answer.text)
        yield AnswerEvent("done", answer=answer)

    def _stream_llm(
        self, question: str, standalone: str, hits: list[Hit], confident: bool, place_names: tuple[str, ...] = ()
    ) -> Iterator[AnswerEvent]:
        """The LLM's answer, shown sentence by sentence as each is verified and numbered as the finished
        answer numbers it; raises LLMError when the model fails (nothing shown is kept then).
        ``place_names``: the place a question is scoped to; round-up passages reach the model cut to it."""
        passages = {n: Passage(h.text, h.title, h.place) for n, h in enumerate(hits, 1)}
        shown = VerifiedPrefix(passages, self.places)
        text = ""
        prompt = f"{passages_block(passages_about_place(hits, place_names))}\n\n问题：{standalone}"
        for piece in self.llm.stream(SYSTEM_PROMPT, prompt):
            text += piece
            new = shown.feed(text)
            if new:
                yield AnswerEvent("delta", new)
        answer = self._from_llm(question, standalone, text, hits)
        answer.confidence = _confidence(answer, confident and self._covered(answer))
        # the model's words that answer, when a verified sentence states them and a cited passage holds them
        said = [s.text for s in answer.sentences if s.supported and s.citations]
        found = short_answer(standalone, said)
        if any(found in c.passage for c in answer.citations):
            answer.short_answer = found
        if answer.text.startswith(shown.shown):
            rest = answer.text[len(shown.shown) :]
            if rest:
                yield AnswerEvent("delta", rest)
        else:  # it became an abstention: what was shown does not stand
            yield AnswerEvent("reset", "")
            yield AnswerEvent("delta", answer.text)
        yield AnswerEvent("done", answer=answer)

    def retrieve(
        self, standalone: str, filters: Filters | None = None, k: int | None = None, followup: str | None = None
    ) -> tuple[SearchResult, str | None, LLMError | None]:
        """The passages for a question, the place it is scoped to, and the LLM's failure if rewording the
        question into official wording failed (then the answer need not ask the endpoint again).

        A question naming one known place is answered from that place's articles only: those whose
        place, county or city is it, and those that name it (place metadata is often missing in news).
        ``followup`` is the user's own words when ``standalone`` was rewritten from a follow-up."""
        k = k or self.passages
        place = self.place_asked(standalone, followup) if not filters else None
        if place is None and not filters:
            missing = self.place_not_in_corpus(standalone)
            if missing:  # nothing is about it: the closest passages elsewhere are shown, labelled so
                return SearchResult([], relevant=False), missing, None
        scope = Filters(mentions=place) if place else filters
        variants, failure = self.official_wording(standalone)
        if variants:
            return self.retriever.retrieve_variants(standalone, variants, k, scope), place, failure
        return self.retriever.retrieve(standalone, k, scope), place, failure

    def _covered(self, answer: Answer) -> bool:
        """Whether the passages the answer cites hold enough of its question's words for 可信度 较高."""
        idf = self.retriever.kb.idf(question_words(normalise_query(answer.standalone_question)))
        texts = [f"{c.title}{''.join(c.section)}{c.passage}" for c in answer.citations]
        return coverage(idf, texts) >= CONFIDENT_COVERAGE

    def place_not_in_corpus(self, question: str) -> str | None:
        """A county, city or province the question asks about that no passage mentions (黑龙江抚远市 in a
        corpus without 抚远), or a lake or mountain jieba knows by name (鄱阳湖, 珠穆朗玛峰): the answer is that the
        reports say nothing about it, not another place's quotes. Requests for similar practice elsewhere
        are exempt: there the place is the user's own. Beside the division table, the names of lakes and
        mountains took CMRC's tuning-half negatives abstained 0.50 → 0.75 and refused no answerable question
        of any development set."""
        if wants_other_places(question):
            return None
        for name in [*divisions_named(question), *place_words(question)]:
            if not catalog.mentions(self.retriever.kb.conn, short_name(name)):  # 鄱阳湖 is its own short name
                return name
        return None

    def official_wording(self, question: str) -> tuple[list[str], LLMError | None]:
        """With an LLM: the question reworded as the reports would put it (searched beside the user's own
        words, so that everyday wording finds official text). Without one: none. When the endpoint
        fails: none, and the failure (the user's own wording is still searched)."""
        if self.llm is None:
            return [], None
        try:
            return official_variants(self.llm.complete(OFFICIAL_WORDING_PROMPT, question)), None
        except LLMError as exc:
            return [], exc

    def place_asked(self, question: str, followup: str | None = None) -> str | None:
        """The one place a question names, if it names exactly one: a place of the knowledge base, or a
        place-shaped name the user brought in with a follow-up ("那锦屏社区呢？")."""
        places = _places_in(question, self.places)
        if not places and followup:
            places = [p for p in _places_in(followup, self.places, shaped=True) if p in question]
        return places[0] if len(places) == 1 else None

    # ------------------------------------------------------------------ follow-up questions

    def standalone(self, question: str, history: Sequence[str]) -> str:
        """The question with the conversation's context filled in ("那开平市呢？" → the topic for 开平市)."""
        if not history or not is_followup(question):
            return question
        if self.llm is not None:
            asked = "\n".join(f"之前的问题：{h}" for h in history[-3:]) + f"\n最新的问题：{question}"
            try:
                rewritten = self.llm.complete(REWRITE_PROMPT, asked).strip()
                if rewritten:
                    return rewritten.splitlines()[0]
            except LLMError:
                pass  # the rule below still gives a usable question
        rewritten = rewrite_followup(question, history[-1], self.places)
        own = _FOLLOWUP_LEAD.sub("", question.strip())
        return own if self._left_the_place(own, rewritten) else rewritten

    def _left_the_place(self, own: str, rewritten: str) -> bool:
        """Whether a follow-up asking a whole question of its own, naming no place, has a subject the
        previous question's place never mentions: "那闽宁协作是怎么帮扶的？" after "安吉县给哪些地方捐了茶苗？"
        asks about 闽宁, which no article on 安吉县 names, so it is not searched in 安吉县's articles only.
        "那产业是怎么发展的？" stays with 安吉县: its articles speak of 产业. Only the subject (the words before
        the question word) counts: what is asked of it ("怎么带头") may well be worded otherwise there."""
        asks = _ASKS.search(own)
        if not asks or _REFERS_BACK.search(own) or _places_in(own, self.places, shaped=True):
            return False
        carried = self.place_asked(rewritten)
        if carried is None:
            return False
        conn = self.retriever.kb.conn
        return any(
            catalog.mentions(conn, word) and not catalog.mentions_within(conn, word, carried)
            for word in question_words(own[: asks.start()])
        )

    # ------------------------------------------------------------------ building answers

    def _from_llm(self, question: str, standalone: str, text: str, hits: list[Hit]) -> Answer:
        lines = split_sentences(text)
        answer = self._build(question, standalone, lines, hits, "llm", {})
        if NO_ANSWER in text and not answer.citations:
            return self._abstain(question, standalone, hits, "llm")
        return answer

    def _build(
        self, question: str, standalone: str, lines: list[str], hits: list[Hit], mode: str, quotes: dict
    ) -> Answer:
        passages = {n: Passage(h.text, h.title, h.place) for n, h in enumerate(hits, 1)}
        checked = [check_sentence(line, passages, self.places) for line in lines]
        checked, used = renumber(checked)
        citations = []
        for new, old in enumerate(used, 1):
            hit = hits[old - 1]
            cited_by = [s.text for s in checked if new in s.citations]
            start, end = (quotes[old].start, quotes[old].end) if old in quotes else supporting_span(hit, cited_by)
            citations.append(citation_from_hit(new, hit, start, end, self.template))
        return Answer(
            question=question,
            standalone_question=standalone,
            text=render(checked),
            sentences=checked,
            citations=citations,
            mode=mode,
            abstained=False,
            confidence="low",  # set by the caller, which knows how well the passages cover the question
        )

    def _abstain(self, question: str, standalone: str, hits: list[Hit], mode: str, place: str | None = None) -> Answer:
        text = PLACE_ABSTAIN_TEXT.format(place=place) if place else ABSTAIN_TEXT
        return Answer(
            question=question,
            standalone_question=standalone,
            text=text,
            sentences=[AnswerSentence(text, [])],
            citations=[],
            mode=mode,
            abstained=True,
            confidence="none",
            related=hits[:RELATED],
        )


def _confidence(answer: Answer, passages_cover_question: bool) -> str:
    """ "high" only when the passages cover the question and every sentence of the answer checks out."""
    if answer.abstained:
        return answer.confidence
    return "high" if passages_cover_question and not answer.unsupported else "low"


# ------------------------------------------------------------------ rule-based follow-up rewriting

_FOLLOWUP_CUE = re.compile(
    r"^(?:那|那么|还有|另外|再|又)|呢[？?。]?$|[它其该这那](?:个|些|里|种)?(?:的|呢|是)|同样|上述|其中"
)
_FOLLOWUP_LEAD = re.compile(r"^(?:那么|那|还有|另外|再|又)")
_FOLLOWUP_STRIP = re.compile(r"^(?:那么|那|还有|另外|再|又)|呢?[？?。！!]*$")


def is_followup(question: str) -> bool:
    return bool(_FOLLOWUP_CUE.search(question.strip())) or len(question.strip()) <= 6


_ASKS = re.compile(r"什么|怎么|怎样|如何|多少|几|哪|谁|吗|是否|为什么|为何")
_REFERS_BACK = re.compile(r"[它其该这]")


def rewrite_followup(question: str, previous: str, places: set[str]) -> str:
    """Put the new question's place (or topic) into the previous question.

    "那开平市呢？" after "思南县怎样培育村级骨干？" → "开平市怎样培育村级骨干？";
    "那积分超市呢？" after "思南县怎样培育村级骨干？" → "思南县积分超市";
    "那大悟县的茶园呢？" after "百色的芒果种了多大面积？" → "大悟县的茶园种了多大面积？";
    "那许家冲村是怎么团结群众的？" asks a whole question of its own: it stands as it is.
    """
    new_places = _places_in(question, places, shaped=True)
    old_places = _places_in(previous, places, shaped=True)
    own = _FOLLOWUP_LEAD.sub("", question.strip())
    if new_places and _ASKS.search(own.replace(new_places[0], "")) and not _REFERS_BACK.search(own):
        return own
    topic = _FOLLOWUP_STRIP.sub("", question.strip())
    if new_places and "的" in topic and (subject := _subject(previous)):
        return topic + previous[len(subject) :]  # "X的Y" takes the place of the previous "A的B"
    if new_places:
        # the follow-up's own words all come along: "那英山村台风时呢？" keeps 台风时
        named = topic if topic.startswith(new_places[0]) else new_places[0]
        if old_places:
            rewritten = previous.replace(old_places[0], named, 1)
            for extra in old_places[1:]:
                rewritten = rewritten.replace(extra, "")
            return rewritten
        return f"{named}{previous}"
    return f"{''.join(old_places[:1])}{topic}" if topic else previous


def _subject(question: str) -> str | None:
    """The "A的B" a question opens with ("百色的芒果种了多大面积？" → 百色的芒果), if it opens with one."""
    found = words(question)
    if "的" not in found[:4]:
        return None
    at = found.index("的")
    subject = "".join(found[: at + 2])
    return subject if question.startswith(subject) and at + 1 < len(found) else None


def _places_in(text: str, places: set[str], shaped: bool = False) -> list[str]:
    """Places named in the text, in order of appearance, longest first where they overlap: the knowledge
    base's places (with short forms: 思南), and with ``shaped`` also names shaped like a place (…村, …镇,
    …社区) that are no article's place — for follow-ups, where the user names the place on purpose."""
    text = _FOLLOWUP_LEAD.sub("", text)
    found: list[tuple[int, str]] = []
    for place in sorted({*places, *(named_places(text) if shaped else [])}, key=len, reverse=True):
        at = text.find(place)
        if at >= 0 and not any(s <= at < s + len(p) for s, p in found):
            found.append((at, place))
    return [p for _, p in sorted(found)]


def _names_of(place: str | None) -> tuple[str, ...]:
    """How a sentence may name the place: in full, and a county or city by its short form (思南 for 思南县);
    a village's or town's short form is too often a word of its own (振兴 of 振兴村)."""
    if not place:
        return ()
    short = short_name(place)
    return (place, short) if short != place and place[-1] in "省市县区旗州" else (place,)


def known_places(retriever: HybridRetriever) -> set[str]:
    """Places of the knowledge base's articles and their counties and cities, with short forms (思南 for 思南县)."""
    names = catalog.place_names(retriever.kb.conn)
    short = {n[:-1] for n in names if len(n) >= 3 and n[-1] in "县市区乡镇村"}
    return names | {s for s in short if len(s) >= 2}
