"""The words that answer, marked inside the quote ("7882支", "2015年3月", "越南革命家潘佩珠"): every run of
one to five jieba words, every title in 《》, clause, pair of clauses and sentence of the sentences that repeat
the question most is a candidate. Each is described by what sort of words it is (a figure, a time, jieba's
part of speech for a name or a place), how much of it the question already says, and how the question's words
stand around it ("…的作者是" just before it, "出任…" just after). A linear model scores them; the best is the
short answer. Where the question asks a figure in a unit and the best candidate holds one, the figure alone.

The weights (qa/data/span_reader.json) are fitted by bench/train_span_reader.py, a softmax over each
question's candidates, on DRCD's 7,017 questions (CC BY-SA 3.0) and the tuning half of CMRC 2018's trial
questions (CC BY-SA 4.0). Measured on CMRC's check half as the answers quote it: the marked words overlap the
gold (character F1 ≥ 0.5) on 0.45 of questions, against 0.26 for the rule it replaced (bench/results).
"""

from __future__ import annotations

import json
import re
from bisect import bisect_left
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from qa.search.question import QUESTION_WORD, Question, analyse, stated_answer, stated_spans
from qa.text import char_pairs, tagged

WEIGHTS = Path(__file__).resolve().parent.parent / "data" / "span_reader.json"
_SENTENCE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]?")
_BREAKS = set('，,。！？!?；;：:（）()“”"「」')
_EDGE = set("的了是在和与及或而也都就被把将对从于为着过之其")
_NUMERAL = re.compile(r"[\d一二三四五六七八九十百千万亿两〇零]")
_TIME = re.compile(r"\d{3,4}年|[一二〇零三四五六七八九]{4}年|\d{1,2}月|\d{1,2}日|世纪|年代|朝|时期")
_RATIO = re.compile(r"\d+(?:[:：]\d+)+")
_CLAUSE = re.compile(r"[^，,；;。！？!?]+[，,；;。！？!?]?")
_STRIP = "，,；;。！？!? "
MAX_WORDS = 5
MAX_CHARS = 24
# the answer quotes its best sentence first: a candidate loses this much for each quote before its own. Chosen
# on the tuning halves (0.5, 1, 2 tried): CMRC 0.529 → 0.533, cctv_rural facts 0.292 → 0.308, seeds 0.316 → 0.368
LATER_QUOTE = 1.0
SENTENCES = 3  # the sentences sharing most character pairs with the question


@dataclass(frozen=True)
class Word:
    text: str
    flag: str
    start: int
    end: int


@lru_cache(maxsize=4096)
def sentence_words(sentence: str) -> tuple[Word, ...]:
    """jieba's words of a sentence with their parts of speech and places, tagged once per sentence."""
    words, at = [], 0
    for word, flag in tagged(sentence):
        words.append(Word(word, flag, at, at + len(word)))
        at += len(word)
    return tuple(words)


def candidate_sentences(question: str, texts: list[str]) -> list[tuple[str, float, int, int]]:
    """(sentence, share of the question's character pairs it holds, rank, the first of ``texts`` holding it)
    for the best few sentences."""
    asked = char_pairs(question)
    seen: dict[str, tuple[int, int]] = {}
    for n, text in enumerate(texts):
        for sentence in _SENTENCE.findall(text):
            seen.setdefault(sentence, (len(char_pairs(sentence) & asked), n))
    ranked = sorted(seen.items(), key=lambda item: -item[1][0])[:SENTENCES]
    total = max(len(asked), 1)
    return [(sentence, min(shared / total, 1.0), rank, n) for rank, (sentence, (shared, n)) in enumerate(ranked)]


def candidates(sentence: str) -> list[tuple[int, int, int, int, str]]:
    """(start, end, first word, last word, unit) of every stretch that could answer: runs of words, a title
    in 《》, a clause, two clauses, the sentence."""
    words = sentence_words(sentence)
    found = []
    for i, first in enumerate(words):
        if first.text in _BREAKS or first.text in _EDGE or not first.text.strip():
            continue
        for j in range(i, min(i + MAX_WORDS, len(words))):
            last = words[j]
            if last.text in _BREAKS or not last.text.strip():
                break
            if last.end - first.start > MAX_CHARS:
                break
            if last.text in _EDGE:
                continue
            found.append((first.start, last.end, i, j, "words"))
    starts = {w.start: i for i, w in enumerate(words)}
    ends = {w.end: i for i, w in enumerate(words)}
    for match in _RATIO.finditer(sentence):  # "1:2" is one figure, though jieba cuts it at the colon
        if match.start() in starts and match.end() in ends:
            found.append((match.start(), match.end(), starts[match.start()], ends[match.end()], "words"))
    for match in re.finditer(r"《[^》]{1,30}》", sentence):
        found.append((match.start(), match.end(), -1, -1, "book"))
    clauses = [m.span() for m in _CLAUSE.finditer(sentence) if m.group().strip(_STRIP)]
    for n, (start, end) in enumerate(clauses):
        found.append((start, end, -1, -1, "clause"))
        if n + 1 < len(clauses):
            found.append((start, clauses[n + 1][1], -1, -1, "clauses"))
    if len(clauses) > 2:
        found.append((clauses[0][0], clauses[-1][1], -1, -1, "sentence"))
    return found


def _bucket(n: int, edges: tuple[int, ...]) -> str:
    return str(bisect_left(edges, n))  # the first edge at least n


@lru_cache(maxsize=4096)
def _matches(sentence: str, part: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """For each position of ``sentence``: how many characters of ``part`` (at most 10) end there, and how many
    begin there. A longer match holds every shorter one, so the longest is counted; only where the last (first)
    character matches can any match end (begin), which spares looking at every position."""
    most = min(len(part), 10)
    ending, beginning = [0] * (len(sentence) + 1), [0] * (len(sentence) + 1)
    for at, char in enumerate(sentence):
        if most and char == part[-1]:
            ending[at + 1] = max(n for n in range(1, most + 1) if sentence.endswith(part[-n:], 0, at + 1))
        if most and char == part[0]:
            beginning[at] = max(n for n in range(1, most + 1) if sentence.startswith(part[:n], at))
    return tuple(ending), tuple(beginning)


@lru_cache(maxsize=4096)
def _pairs_near(sentence: str, asked_pairs: frozenset[str]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """For each position of ``sentence``: how many of the question's character pairs the 8 characters before
    it hold, and the 8 after it (each pair counted once, as char_pairs counts them)."""
    asked_at = [sentence[i : i + 2] if sentence[i : i + 2] in asked_pairs else "" for i in range(len(sentence) - 1)]

    def held(first: int, stop: int) -> int:  # the distinct asked pairs starting at first … stop - 1
        return len({pair for pair in asked_at[max(0, first) : max(0, stop)] if pair})

    positions = range(len(sentence) + 1)
    return tuple(held(at - 8, at - 1) for at in positions), tuple(held(at, at + 7) for at in positions)


def _near(sentence: str, asked_pairs: frozenset[str], start: int, end: int) -> tuple[int, int]:
    before, after = _pairs_near(sentence, asked_pairs)
    return before[start], after[end]


def _adjacent(sentence: str, start: int, end: int, part: str) -> tuple[int, int]:
    """How many characters of ``part`` end just before the candidate, and how many begin just after it."""
    ending, beginning = _matches(sentence, part)
    return ending[start], beginning[end]


@dataclass(frozen=True)
class Asked:
    """What the features read of the question, worked out once: its words before and after the question
    word, the word right after it (哪一地区 → 地区: what the answer is), its characters and their pairs."""

    question: Question
    pre: str
    post: str
    noun: str
    chars: frozenset[str]
    pairs: frozenset[str]


def asked_of(question: Question) -> Asked:
    match = QUESTION_WORD.search(question.text)
    text = question.text.rstrip("？?。！! ")
    pre, post = (text[: match.start()].strip("，,：: "), text[match.end() :].strip("，,：: ")) if match else (text, "")
    noun = sentence_words(post)[0].text if post else ""
    return Asked(question, pre, post, noun, frozenset(question.text), frozenset(char_pairs(question.text)))


def features(
    reading: Asked, sentence: str, share: float, rank: int, span: tuple[int, int, int, int, str], stated: str = ""
) -> dict[str, float]:
    """What describes one candidate (sparse: name → value). ``stated``: the figure or time the sentence states
    in answer to a single-fact question (qa.search.question.stated_answer)."""
    asked = reading.question
    start, end, first, last, unit = span
    text = sentence[start:end].rstrip(_STRIP) or sentence[start:end]
    words = sentence_words(sentence)
    target = asked.target
    head = unit if first < 0 else words[last].flag[:2]
    lead = unit if first < 0 else words[first].flag[:2]
    in_question = sum(ch in reading.chars for ch in text) / len(text)
    asked_pairs = reading.pairs
    near_left, near_right = _near(sentence, asked_pairs, start, end)
    pre, post, noun = reading.pre, reading.post, reading.noun
    pre_before, pre_after = _adjacent(sentence, start, end, pre)
    post_before, post_after = _adjacent(sentence, start, end, post)
    found = {
        "bias": 1.0,
        f"t={target}|head={head}": 1.0,
        f"t={target}|lead={lead}": 1.0,
        f"t={target}|len={_bucket(len(text), (1, 2, 4, 8, 14, 24, 40))}": 1.0,
        f"t={target}|k={asked.kind}|unit={unit}": 1.0,
        f"unit={unit}|inside": len(char_pairs(text) & asked_pairs) / max(len(asked_pairs), 1),
        f"t={target}|words={_bucket(last - first + 1 if first >= 0 else 0, (0, 1, 2, 3))}": 1.0,
        f"t={target}|in_q": in_question,
        f"t={target}|all_in_q": float(in_question == 1.0),
        "near_left": min(near_left, 6) / 6,
        "near_right": min(near_right, 6) / 6,
        "none_near": float(near_left + near_right == 0),
        "pre_before": pre_before / 10,
        "pre_after": pre_after / 10,
        "post_before": post_before / 10,
        "post_after": post_after / 10,
        "pre_before_2": float(pre_before >= 2),
        "post_after_2": float(post_after >= 2),
        f"t={target}|end={text[-1]}": 1.0,
        f"t={target}|pre_before={min(pre_before, 4)}": 1.0,
        f"t={target}|post_after={min(post_after, 4)}": 1.0,
        "noun_in": float(bool(noun) and text[-1] in noun),
        "noun_after": float(bool(noun) and sentence[end : end + len(noun)] == noun),
        f"noun={noun}|head={head}": 1.0,
        f"head={head}|lead={lead}": 1.0,
        "both_sides": float(pre_before + post_after + pre_after + post_before >= 2 and near_left and near_right),
        "touch_left": float(sentence[max(0, start - 2) : start] in asked_pairs),
        "touch_right": float(sentence[end : end + 2] in asked_pairs),
        "share": share,
        f"rank={rank}": 1.0,
        "position": start / max(len(sentence), 1),
    }
    if _NUMERAL.search(text):
        found[f"t={target}|numeral"] = 1.0
    if _TIME.search(text):
        found[f"t={target}|time"] = 1.0
    if stated:
        found["stated"] = _overlap(text, stated)
    return found


def _overlap(a: str, b: str) -> float:
    common = len(set(a) & set(b))
    return 2 * common / (len(set(a)) + len(set(b))) if common else 0.0


@lru_cache(maxsize=1)
def _weights() -> dict[str, float]:
    return json.loads(WEIGHTS.read_text(encoding="utf-8"))["weights"]


@dataclass(frozen=True)
class Span:
    sentence: str
    start: int
    end: int
    score: float

    @property
    def text(self) -> str:
        return self.sentence[self.start : self.end].strip(_STRIP)


def short_answer(question: str, quotes: list[str], passages: list[str] = ()) -> str:
    """The words that answer ``question`` in the quotes (or, when no quoted sentence repeats it, in the
    passages they come from); "" when no sentence repeats the question, and for a request for what other
    places did (quoted place by place, no one stretch of words answers it)."""
    asked = analyse(question)
    if asked.asks_practice_elsewhere:
        return ""
    span = best_span(asked, quotes, LATER_QUOTE) or best_span(asked, list(passages))
    if span is None:
        return ""
    stated = [(a, b) for a, b in stated_spans(asked, span.sentence) if a < span.end and span.start < b]
    if asked.unit and stated:  # "累计化解纠纷1800余件" → "1800余件"; "92" → "92%"
        start, end = max(stated, key=lambda ab: _near_question(asked, span.sentence, ab[0]))
        return span.sentence[start:end]
    return span.text


def _near_question(asked: Question, sentence: str, start: int) -> int:
    """How many of the question's character pairs stand in the few characters before ``start``."""
    return len(char_pairs(sentence[max(0, start - 8) : start]) & char_pairs(asked.text))


def best_span(asked: Question, texts: list[str], later_text: float = 0.0) -> Span | None:
    """The best-scoring candidate in ``texts``, None when no sentence shares the question's words.
    ``later_text``: taken off the score of a candidate for each text before its own (quotes come best first)."""
    weights = _weights()
    best: Span | None = None
    for sentence, share, rank, text_no in candidate_sentences(asked.text, texts):
        if share <= 0:
            continue
        placed = weights.get("share", 0.0) * share + weights.get(f"rank={rank}", 0.0) - later_text * text_no
        for start, end, score in _scored_candidates(asked, sentence):
            if best is None or score + placed > best.score:
                best = Span(sentence, start, end, score + placed)
    return best if best and best.text else None


@lru_cache(maxsize=2048)
def _scored_candidates(asked: Question, sentence: str) -> tuple[tuple[int, int, float], ...]:
    """Each candidate of ``sentence`` with its score but for the two terms that depend on where the sentence
    ranks in one call (its share and rank, added by best_span): an answer reads the same sentence up to three
    times (whether the passages state the answer, the sentence to add, the words that answer)."""
    weights = _weights()
    reading = asked_of(asked)
    stated = stated_answer(asked, sentence) if asked.asks_single_fact else ""
    scored = []
    for candidate in candidates(sentence):
        described = features(reading, sentence, 0.0, -1, candidate, stated)  # rank=-1 has no weight
        scored.append((candidate[0], candidate[1], sum(weights.get(n, 0.0) * v for n, v in described.items())))
    return tuple(scored)


def forget_sentences() -> None:
    """Empty the caches of tagged and scored sentences (for timing the reader from cold)."""
    sentence_words.cache_clear()
    _scored_candidates.cache_clear()
    _matches.cache_clear()
    _pairs_near.cache_clear()
