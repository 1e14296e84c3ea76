"""An ``Answer`` put together from its lines: each sentence checked against the passages it cites, the
citations renumbered in order of use with the span each quotes; and the answer that abstains."""

from __future__ import annotations

from qa.answer.citations import (
    NO_ANSWER,
    Passage,
    check_sentence,
    citation_from_hit,
    render,
    renumber,
    supporting_span,
)
from qa.model import Answer, AnswerSentence, Hit

ABSTAIN_TEXT = f"{NO_ANSWER}。知识库中没有直接回答这个问题的材料；下面是最接近的段落，仅供参考（可能相关）。"
PLACE_ABSTAIN_TEXT = (
    f"{NO_ANSWER}：资料中没有{{place}}的相关内容。下面是其他地方最接近的段落，仅供参考（可能相关，注意出处地点）。"
)
# the question's own words no report uses, named: "资料中没有出现“宅基地”" says why better than scores can
ABSENT_ABSTAIN_TEXT = f"{NO_ANSWER}：资料中没有出现{{words}}。下面是最接近的段落，仅供参考（可能相关）。"
ABSENT_NOTICE = "提示：资料中没有出现{words}，以下摘录未必直接回答问题，请对照原文。"
# the passages are on the topic but no sentence states what was asked: said first, the quotes shown under it
NOT_STATED_TEXT = "资料中没有直接说明“{asked}”；以下材料可能相关，仅供参考，请对照原文。"
RELATED = 3  # closest passages shown when abstaining


def build(
    question: str,
    standalone: str,
    lines: list[str],
    hits: list[Hit],
    mode: str,
    places: set[str],
    template: str,
    quotes: dict | None = None,
) -> Answer:
    """``quotes``: the extractive mode's chosen spans by passage number; otherwise each citation quotes the
    span of its passage that best supports the sentences citing it."""
    quotes = quotes or {}
    passages = {n: Passage(h.text, h.title, h.place) for n, h in enumerate(hits, 1)}
    checked = [check_sentence(line, passages, places) for line in lines]
    checked, used = renumber(checked)
    citations = []
    for new, old in enumerate(used, 1):
        hit = hits[old - 1]
        cited_by = [s.text for s in checked if new in s.citations]
        start, end = (quotes[old].start, quotes[old].end) if old in quotes else supporting_span(hit, cited_by)
        citations.append(citation_from_hit(new, hit, start, end, template))
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


def quoted_words(words: list[str]) -> str:
    return "".join(f"“{w}”" for w in words)


def abstain(
    question: str, standalone: str, hits: list[Hit], mode: str, place: str | None = None, absent: list[str] = ()
) -> Answer:
    """The answer saying the reports do not answer: naming the place asked about, or the question's words that
    no report uses, when there are such."""
    if place:
        text = PLACE_ABSTAIN_TEXT.format(place=place)
    elif absent:
        text = ABSENT_ABSTAIN_TEXT.format(words=quoted_words(absent))
    else:
        text = ABSTAIN_TEXT
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


def not_stated(answer: Answer) -> Answer:
    """The answer said to be not stated by the reports: the label first, its quotes kept under it, abstained (as
    the API and JSON report it), and no words marked as answering."""
    label = NOT_STATED_TEXT.format(asked=answer.standalone_question.rstrip("？?。！!． "))
    answer.sentences.insert(0, AnswerSentence(label, []))
    answer.text = f"{label}\n{answer.text}"
    answer.abstained, answer.confidence, answer.short_answer = True, "low", ""
    return answer


def confidence(answer: Answer, passages_cover_question: bool) -> str:
    """ "high" only when the passages cover the question and every sentence of the answer checks out."""
    if answer.abstained:
        return answer.confidence
    return "high" if passages_cover_question and not answer.unsupported else "low"
