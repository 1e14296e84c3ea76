"""Answers with verified citations: retrieve → (LLM or extractive) → verify → renumber.

``Answerer.stream`` yields the answer as it is produced and then the finished ``Answer``;
``Answerer.ask`` returns only the finished one. When retrieval finds nothing relevant the
answer says so and lists the closest passages as "可能相关". When the LLM fails (timeout,
429, no connection) the answer falls back to the extractive mode and says why.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from qa.answer.assembly import ABSENT_NOTICE, abstain, build, confidence, not_stated, quoted_words
from qa.answer.citations import DEFAULT_TEMPLATE, NO_ANSWER, Passage, VerifiedPrefix, split_sentences
from qa.answer.extractive import choose_quotes, compose, covering, fallback_header, passages_about_place
from qa.answer.followup import Followups
from qa.answer.llm import OFFICIAL_WORDING_PROMPT, SYSTEM_PROMPT, ChatClient, official_variants, passages_block
from qa.answer.reading import best_span, short_answer
from qa.answer.scope import PlaceScope, names_of
from qa.answer.stated import Evidence, probability_stated
from qa.embeddings import Embedder, sentence_scorer
from qa.errors import LLMError
from qa.index.knowledge_base import KnowledgeBase
from qa.model import Answer, Filters, Hit
from qa.search.confidence import CJK_WORD, CONFIDENT_COVERAGE, coverage, question_words
from qa.search.hybrid import HybridRetriever, SearchResult
from qa.search.query import normalise_query
from qa.search.question import QUESTION_WORD, Question, analyse, stated_answer
from qa.settings import Settings
from qa.text import in_dictionary, names_a_thing

# 较高 only where one quoted sentence (with its article's place, title and section) holds half the question's
# words by idf: negatives shown 较高 cctv_rural 0.14 → 0.05, CMRC 0.13 → 0.00 (tune); bench/results/decisions.md
STATED_COVERAGE = 0.5
# A question asking one thing (a figure, time, share, person, or the thing or place 什么/哪 asks for) is said not
# to be stated (资料中没有直接说明) below this probability (qa.answer.stated). Chosen on the tuning halves among
# 0.2-0.4, the kinds of question it reads and a rule on the best sentence's share of the question's words alone
# (bench/results/decisions.md)
MIN_STATED_PROBABILITY = 0.3
# A question asking why, a list or what something is, is 较高 only where the reader (qa.answer.reading) finds
# words in a quote that read as its answer, scoring at least this. 较高 answers holding the gold, tune / check:
# CMRC 0.871 / 0.881 → 0.906 / 0.905, seeds 1.000 / 0.875 → 1.000 / 1.000, cctv_rural 0.907 / 0.960 → 0.925 / 0.957.
# Not for how a practice is done: the reader, trained on questions of one fact, reads its quotes poorly (cctv_rural
# how 较高 0.26 → 0.05 of tuning-half answers, the four it took all right). 2 and 4 tried (bench/results/decisions.md)
READER_STATES = 3.0
ABSENT_NAMED = 3


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
        llm_problem: LLMError | None = None,
    ) -> None:
        self.retriever = retriever
        self.llm = llm
        self.llm_problem = llm_problem  # why a configured LLM is not in use, told with every answer
        self.passages = settings.answer.passages
        self.template = settings.citation.template or DEFAULT_TEMPLATE
        self.kb = retriever.kb  # the knowledge base it answers from, read through its own methods
        self.scope = PlaceScope(self.kb)
        self.followups = Followups(self.scope, llm)

    @classmethod
    def from_settings(
        cls, settings: Settings, folder: Path, embedder: Embedder | None = None, kb: KnowledgeBase | None = None
    ) -> Answerer:
        """The answerer for a knowledge base (``kb`` when it is open already): its retriever, and the LLM
        when one is configured and usable."""
        retriever = HybridRetriever.from_settings(settings, folder, embedder, kb)
        llm, problem = None, None
        if settings.llm.enabled:
            try:
                llm = ChatClient(settings.llm)
            except LLMError as exc:
                problem = exc
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
        # one deadline for every call to the model this answer makes (rewriting, rewording, answering)
        deadline = self.llm.deadline() if self.llm is not None else None
        standalone = self.standalone(question, history, deadline)
        followup = question if history else None
        result, place, failure = self.retrieve(standalone, filters, followup=followup, deadline=deadline)
        hits = result.hits
        if not hits or not result.relevant:
            if place:  # the place asked about has nothing: say so, and show the closest passages elsewhere
                elsewhere = self.retriever.retrieve(standalone, self.passages, filters)
                answer = abstain(question, standalone, elsewhere.hits, self.mode, place)
            else:
                answer = abstain(question, standalone, hits, self.mode, absent=self.absent_words(standalone))
            answer.notice = _notice(self.llm_problem)
            yield AnswerEvent("delta", answer.text)
            yield AnswerEvent("done", answer=answer)
            return
        failed = self.llm_problem
        stated = self._states_asked(standalone, hits)  # decided before any model is asked
        if failure is not None:  # the endpoint just failed: asking again would cost another timeout
            failed = failure
        elif self.llm is not None and stated:
            try:
                for event in self._stream_llm(question, standalone, hits, result.confident, names_of(place), deadline):
                    if event.answer is not None:
                        self._name_absent(event.answer)
                    yield event
                return
            except LLMError as exc:
                failed = exc
                yield AnswerEvent("reset", _notice(exc))
        # sentences are chosen among the ranked chunks and quoted from the passages that hold them
        chunks = result.chunks or hits
        hits = covering(hits, chunks)
        quotes = choose_quotes(standalone, chunks, sentence_scorer(self.retriever.embedder), names_of(place), hits)
        lines = compose(standalone, quotes, hits)
        if failed is not None:  # the first line says why the model did not answer
            lines[0] = fallback_header(failed.why)
        quoted = {q.hit + 1: q for q in quotes}
        answer = build(question, standalone, lines, hits, "extractive", self.scope.places, self.template, quoted)
        answer.notice, answer.confidence = (
            _notice(failed),
            confidence(answer, result.confident and self._covered(answer)),
        )
        # read in the answer's order: one citation may quote several sentences of its passage
        said = [q.text(hits) for q in quotes]
        answer.short_answer = short_answer(standalone, said, [c.passage for c in answer.citations])
        self._name_absent(answer)
        if not stated:
            not_stated(answer)
        yield AnswerEvent("delta", answer.text)
        yield AnswerEvent("done", answer=answer)

    def _stream_llm(
        self,
        question: str,
        standalone: str,
        hits: list[Hit],
        confident: bool,
        place_names: tuple[str, ...] = (),
        deadline: float | None = None,
    ) -> Iterator[AnswerEvent]:
        """The LLM's answer, shown sentence by sentence as each is verified and numbered as the finished
        answer numbers it; raises LLMError when the model fails (nothing shown is kept then).
        ``place_names``: the place a question is scoped to; round-up passages reach the model cut to it."""
        passages = {n: Passage(h.text, h.title, h.place) for n, h in enumerate(hits, 1)}
        shown = VerifiedPrefix(passages, self.scope.places)
        text = ""
        prompt = f"{passages_block(passages_about_place(hits, place_names))}\n\n问题：{standalone}"
        for piece in self.llm.stream(SYSTEM_PROMPT, prompt, deadline):
            text += piece
            new = shown.feed(text)
            if new:
                yield AnswerEvent("delta", new)
        answer = self._from_llm(question, standalone, text, hits)
        answer.confidence = confidence(answer, confident and self._covered(answer))
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
        self,
        standalone: str,
        filters: Filters | None = None,
        k: int | None = None,
        followup: str | None = None,
        deadline: float | None = None,
    ) -> tuple[SearchResult, str | None, LLMError | None]:
        """The passages for a question, the place it is scoped to, and the LLM's failure if rewording the
        question into official wording failed (then the answer need not ask the endpoint again).

        A question naming one known place is answered from that place's articles only: those whose
        place, county or city is it, and those that name it (place metadata is often missing in news).
        ``followup`` is the user's own words when ``standalone`` was rewritten from a follow-up."""
        k = k or self.passages
        place = self.scope.asked(standalone, followup) if not filters else None
        if place is None and not filters:
            missing = self.scope.not_in_corpus(standalone)
            if missing:  # nothing is about it: the closest passages elsewhere are shown, labelled so
                return SearchResult([], relevant=False), missing, None
        scope = Filters(mentions=place) if place else filters
        variants, failure = self.official_wording(standalone, deadline)
        if variants:
            return self.retriever.retrieve_variants(standalone, variants, k, scope), place, failure
        return self.retriever.retrieve(standalone, k, scope), place, failure

    def absent_words(self, standalone: str) -> list[str]:
        """The question's words naming a thing (two Chinese characters or more) that no report uses, at most
        ABSENT_NAMED: such a word says what is asked about, where a verb (操作, 留住) mostly says how."""
        asked = [w for w in question_words(normalise_query(standalone)) if _names_a_word_for_a_thing(w)]
        return self.kb.missing(asked)[:ABSENT_NAMED]

    def _name_absent(self, answer: Answer) -> None:
        """An answer that is not 较高, to a question naming things no report mentions, says so first. A 较高
        answer keeps its badge: its quote states what is asked (on the development sets the notice took 较高
        from answers that held the gold as often as the others)."""
        if answer.abstained or answer.confidence == "high":
            return
        if absent := self.absent_words(answer.standalone_question):
            answer.notice = " ".join(filter(None, [ABSENT_NOTICE.format(words=quoted_words(absent)), answer.notice]))

    def _states_asked(self, standalone: str, hits: list[Hit]) -> bool:
        """Whether the passages may state what a question asking one thing asks (MIN_STATED_PROBABILITY);
        questions asking how, why or what a practice is are left to the answer and its confidence."""
        asked = analyse(standalone)
        if not asked.asks_one_thing:
            return True
        idf = self.kb.idf(question_words(normalise_query(standalone)))
        passages = [Evidence(f"{h.place or ''}{h.title}", h.text) for h in hits]
        return probability_stated(asked, idf, passages) >= MIN_STATED_PROBABILITY

    def _covered(self, answer: Answer) -> bool:
        """较高 needs the cited passages to hold enough of the question's words, and one quoted sentence, with
        its article's title and section, to state what is asked: the figure or time a single-fact question
        asks for, and STATED_COVERAGE of the question's words. A question asking why, a list or what something is
        needs words of a quote the reader reads as its answer (READER_STATES)."""
        idf = self.kb.idf(question_words(normalise_query(answer.standalone_question)))
        texts = [f"{c.title}{''.join(c.section)}{c.passage}" for c in answer.citations]
        if coverage(idf, texts) < CONFIDENT_COVERAGE:
            return False
        asked = analyse(answer.standalone_question)
        stating = [c for c in answer.citations if not asked.asks_single_fact or stated_answer(asked, c.quote)]
        covered = any(
            coverage(idf, [f"{c.place or ''}{c.title}{''.join(c.section)}{c.quote}"]) >= STATED_COVERAGE
            for c in stating
        )
        # the reader last: it costs the most, and only a covered answer needs it
        return covered and reads_as_answered(asked, [c.quote for c in answer.citations])

    def official_wording(self, question: str, deadline: float | None = None) -> tuple[list[str], LLMError | None]:
        """With an LLM: the question reworded as the reports would put it (searched beside the user's own
        words, so that everyday wording finds official text). Without one: none. When the endpoint
        fails: none, and the failure (the user's own wording is still searched)."""
        if self.llm is None:
            return [], None
        try:
            return official_variants(self.llm.complete(OFFICIAL_WORDING_PROMPT, question, deadline)), None
        except LLMError as exc:
            return [], exc

    # ------------------------------------------------------------------ follow-up questions

    def standalone(self, question: str, history: Sequence[str], deadline: float | None = None) -> str:
        """The question with the conversation's context filled in ("那开平市呢？" → the topic for 开平市)."""
        return self.followups.standalone(question, history, deadline)

    def _from_llm(self, question: str, standalone: str, text: str, hits: list[Hit]) -> Answer:
        answer = build(question, standalone, split_sentences(text), hits, "llm", self.scope.places, self.template)
        if NO_ANSWER in text and not answer.citations:
            return abstain(question, standalone, hits, "llm")
        return answer


def reads_as_answered(asked: Question, quotes: list[str]) -> bool:
    """For a question asking why, a list or what something is: whether words of the quotes read as its answer to
    the reader (READER_STATES). Questions asking one thing, or how, are judged by what they ask alone."""
    if asked.asks_one_thing or asked.kind == "how":
        return True
    read = best_span(asked, quotes)
    return read is not None and read.score >= READER_STATES


def _names_a_word_for_a_thing(word: str) -> bool:
    """A word worth naming as absent: Chinese, naming a thing, a word of the dictionary, and not holding the
    question word (几名, 多大, 由谁来 are how it is asked). These last two took the notice from 85 of CMRC's 1,002
    answerable questions to 39, and from 18 of cctv_rural's 38 everyday ones to 12 ("资料中没有出现“多大”")."""
    return bool(CJK_WORD.match(word)) and not QUESTION_WORD.search(word) and in_dictionary(word) and names_a_thing(word)


def _notice(failed: LLMError | None) -> str:
    return f"{failed}。本次改用摘录模式回答。" if failed else ""
