"""The words that answer: in the sentence of the cited passages that repeats most of the question, the
figure or time asked for, else the words standing where the question has its question word
("…在哪部电影中首度担当女主角" → the words between "在" and "电影中首度担当女主角" in the sentence), else
the longest run of the sentence's best clause that the question does not already say.

Measured on CMRC 2018's trial questions (tests/data and bench/retrieval_eval.py): the marked words
overlap the gold answer (character F1 ≥ 0.5) on 0.27 / 0.23 of questions (tune / check halves) against
0.05 / 0.04 when only figures and times were marked. How, why and list questions get none.
"""

from __future__ import annotations

import re

from qa.search.question import QUESTION_WORD, analyse, stated_answer
from qa.text import char_pairs

_SENTENCE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]?")
_CLAUSE_END = "，,；;。！？!?"
_PUNCTUATION = "，,；;：:。！？!?、“”\"'（）()《》「」『』 "
_EDGE_WORDS = "的是在有为于了和及与也都就而被把将对从则即约共"
MAX_CHARS = 30
MIN_SHARED_PAIRS = 2  # a sentence sharing fewer of the question's character pairs answers nothing


def short_answer(question: str, quotes: list[str], passages: list[str] = ()) -> str:
    """The words that answer ``question`` in the quotes (or, failing them, the passages they come from);
    "" for how, why and list questions and when no sentence repeats the question."""
    asked = analyse(question)
    if asked.kind in ("how", "why", "list"):
        return ""
    if asked.asks_single_fact:  # the reader already quoted the sentence stating the figure asked for
        found = next((f for quote in quotes if (f := stated_answer(asked, quote))), "")
        if found:
            return found
    sentence = _repeating_sentence(question, quotes, passages)
    if not sentence:
        return ""
    return _between_contexts(question, sentence) or _not_in_question(question, sentence)


def _repeating_sentence(question: str, quotes: list[str], passages: list[str]) -> str:
    asked = char_pairs(question)
    scored = [(len(char_pairs(s) & asked) + 0.5, s) for quote in quotes for s in _SENTENCE.findall(quote)]
    scored += [(len(char_pairs(s) & asked), s) for passage in passages for s in _SENTENCE.findall(passage)]
    shared, sentence = max(scored, default=(0, ""))
    return sentence if shared >= MIN_SHARED_PAIRS else ""


def _between_contexts(question: str, sentence: str) -> str:
    """The words after the last pair the sentence shares with the question before its question word, up to
    the first pair it shares with what follows it (or the clause's end)."""
    word = QUESTION_WORD.search(question)
    if not word:
        return ""
    context = question[: word.start()].strip(_PUNCTUATION)
    before, after = char_pairs(context), char_pairs(question[word.end() :])
    left = [i for i in range(len(sentence) - 1) if sentence[i : i + 2] in before]
    if not left and not after:
        return ""
    start = max(left) + 2 if left else 0
    # where the words just before the question word are repeated whole, the answer follows them
    for n in range(min(len(context), 12), 2, -1):
        if (at := sentence.find(context[-n:])) >= 0:
            start = at + n
            break
    right = [i for i in range(start, len(sentence) - 1) if sentence[i : i + 2] in after]
    end = min(right) if right else len(sentence)
    if not left and right:  # no context before it: from the clause's start
        start = max((i + 1 for i, ch in enumerate(sentence[:end]) if ch in _CLAUSE_END), default=0)
    span = sentence[start:end]
    cut = next((i for i, ch in enumerate(span) if ch in _CLAUSE_END and i >= 1), len(span))
    return _trimmed(span[:cut])


def _not_in_question(question: str, sentence: str) -> str:
    """The longest run of characters the question does not share, in the clause that shares most with it."""
    asked = char_pairs(question)
    covered = [False] * len(sentence)
    for i in range(len(sentence) - 1):
        if sentence[i : i + 2] in asked:
            covered[i] = covered[i + 1] = True
    best: tuple[int, str] = (0, "")
    start = 0
    for clause in re.split(f"(?<=[{_CLAUSE_END}：:])", sentence):
        end = start + len(clause)
        marked = "".join(
            "\x00" if covered[i] or sentence[i] in _PUNCTUATION else sentence[i] for i in range(start, end)
        )
        runs = re.finditer(r"[^\x00]+", marked)
        longest = max((m.group() for m in runs), key=len, default="")
        shared = sum(covered[start:end])
        if len(_trimmed(longest)) >= 2 and shared > best[0]:
            best = (shared, longest)
        start = end
    return _trimmed(best[1])


def _trimmed(span: str) -> str:
    span = span.strip(_PUNCTUATION).strip(_EDGE_WORDS).strip(_PUNCTUATION)
    return span if 0 < len(span) <= MAX_CHARS else ""
