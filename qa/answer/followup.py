"""Follow-up questions made whole: "那开平市呢？" after "思南县怎样培育村级骨干？" is asked as
"开平市怎样培育村级骨干？". With an LLM the model rewrites it (within the answer's deadline); without one,
or when it fails, the rules below do.
"""

from __future__ import annotations

from collections.abc import Sequence

from qa.answer.llm import REWRITE_PROMPT, ChatClient
from qa.answer.scope import PlaceScope, places_in
from qa.errors import LLMError
from qa.search.confidence import question_words
from qa.search.question import ASKS_ANYTHING, FOLLOWUP_CUE, FOLLOWUP_LEAD, FOLLOWUP_STRIP, REFERS_BACK
from qa.text import words


class Followups:
    def __init__(self, scope: PlaceScope, llm: ChatClient | None) -> None:
        self.scope = scope
        self.llm = llm

    def standalone(self, question: str, history: Sequence[str], deadline: float | None = None) -> str:
        """The question with the conversation's context filled in ("那开平市呢？" → the topic for 开平市)."""
        if not history or not is_followup(question):
            return question
        if self.llm is not None:
            asked = "\n".join(f"之前的问题：{h}" for h in history[-3:]) + f"\n最新的问题：{question}"
            try:
                rewritten = self.llm.complete(REWRITE_PROMPT, asked, deadline).strip()
                if rewritten:
                    return rewritten.splitlines()[0]
            except LLMError:
                pass  # the rule below still gives a usable question
        rewritten = rewrite_followup(question, history[-1], self.scope.places)
        own = FOLLOWUP_LEAD.sub("", question.strip())
        return own if self._left_the_place(own, rewritten) else rewritten

    def _left_the_place(self, own: str, rewritten: str) -> bool:
        """Whether a follow-up asking a whole question of its own, naming no place, has a subject the
        previous question's place never mentions: "那闽宁协作是怎么帮扶的？" after "安吉县给哪些地方捐了茶苗？"
        asks about 闽宁, which no article on 安吉县 names, so it is not searched in 安吉县's articles only.
        "那产业是怎么发展的？" stays with 安吉县: its articles speak of 产业. Only the subject (the words before
        the question word) counts: what is asked of it ("怎么带头") may well be worded otherwise there."""
        asks = ASKS_ANYTHING.search(own)
        if not asks or REFERS_BACK.search(own) or places_in(own, self.scope.places, shaped=True):
            return False
        carried = self.scope.asked(rewritten)
        if carried is None:
            return False
        kb = self.scope.kb
        return any(
            kb.mentions(word) and not kb.mentions_within(word, carried) for word in question_words(own[: asks.start()])
        )


def is_followup(question: str) -> bool:
    return bool(FOLLOWUP_CUE.search(question.strip())) or len(question.strip()) <= 6


def rewrite_followup(question: str, previous: str, places: set[str]) -> str:
    """Put the new question's place (or topic) into the previous question.

    "那开平市呢？" after "思南县怎样培育村级骨干？" → "开平市怎样培育村级骨干？";
    "那积分超市呢？" after "思南县怎样培育村级骨干？" → "思南县积分超市";
    "那大悟县的茶园呢？" after "百色的芒果种了多大面积？" → "大悟县的茶园种了多大面积？";
    "那许家冲村是怎么团结群众的？" asks a whole question of its own: it stands as it is.
    """
    new_places = places_in(question, places, shaped=True)
    old_places = places_in(previous, places, shaped=True)
    own = FOLLOWUP_LEAD.sub("", question.strip())
    if new_places and ASKS_ANYTHING.search(own.replace(new_places[0], "")) and not REFERS_BACK.search(own):
        return own
    topic = FOLLOWUP_STRIP.sub("", question.strip())
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
