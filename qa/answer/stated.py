"""Whether the passages state what a question asks: the middle of the three outcomes (较高 / 资料中没有直接说明 /
资料中未找到相关内容), for questions asking one thing: a figure, a time, a share, a person, or the thing or
place 什么/哪 asks for.

Passages can be on the topic and still not say what is asked: "村务监督委员会由几人组成？" finds passages about
村务监督 that count something else. What tells them apart is read from the sentences: how much of the question's
words (by idf) one sentence holds, with the sentences on either side of it and its article's place and title;
whether that sentence holds the sort of thing asked (a figure, a time, a person's or a place's name) or states
the figure in the unit asked; how well the reader (qa.answer.reading) finds words that answer; how much of the
question's character pairs the best sentence repeats. A linear model turns these into the probability that the
passages state the answer.

The weights (qa/data/stated_model.json) are fitted by bench/train_stated_model.py on DRCD's questions, each
against its article's paragraphs and against the same paragraphs with the sentences holding the answer taken
out (the SQuAD 2.0 recipe: the same topic, the answer gone).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from qa.answer.reading import best_span, candidate_sentences, sentence_words
from qa.search.question import Question, stated_answer
from qa.text import sentences

WEIGHTS = Path(__file__).resolve().parent.parent / "data" / "stated_model.json"
_NUMERAL = re.compile(r"[0-9０-９一二三四五六七八九十百千万亿两]")
_TIME = re.compile(r"\d{3,4}年|[一二〇零三四五六七八九]{4}年|\d{1,2}月|\d{1,2}日|世纪|年代|朝|时期|春|夏|秋|冬")
_NAME_TAGS = {"person": "nr", "place": "ns"}
_KINDS = ("quantity", "share", "time", "person", "definition", "list", "how", "why")
TYPED_LOOKS = 4  # the windows, best first, searched for a sentence holding the sort of thing asked


@dataclass(frozen=True)
class Evidence:
    """A passage as read for evidence: its article's place and title (where its subject is often named), its text."""

    head: str
    text: str


def holds_kind(asked: Question, sentence: str) -> bool:
    """Whether the sentence holds the sort of thing asked: a figure, a time, a person's or a place's name."""
    if asked.target == "number":
        return bool(_NUMERAL.search(sentence))
    if asked.target == "time":
        return bool(_TIME.search(sentence))
    if asked.target in _NAME_TAGS:
        return any(w.flag.startswith(_NAME_TAGS[asked.target]) for w in sentence_words(sentence))
    return True


def features(asked: Question, idf_of_words: dict[str, float], passages: list[Evidence]) -> dict[str, float]:
    """What the model reads (name → value)."""
    possible = sum(idf_of_words.values()) or 1.0

    def share(text: str) -> float:
        text = text.lower()
        return sum(idf for word, idf in idf_of_words.items() if word in text) / possible

    windows = []  # (share of the sentence with its neighbours, share of the sentence alone, sentence)
    for passage in passages:
        parts = sentences(passage.text, min_chars=4)
        for n, sentence in enumerate(parts):
            window = passage.head + "".join(parts[max(0, n - 1) : n + 2])
            windows.append((share(window), share(passage.head + sentence), sentence))
    windows.sort(key=lambda w: -w[0])
    best = windows[0][0] if windows else 0.0
    typed = next((w[0] for w in windows[:TYPED_LOOKS] if holds_kind(asked, w[2])), 0.0)
    stated = best
    if asked.asks_single_fact:
        stated = next((w[0] for w in windows if stated_answer(asked, w[2])), 0.0)
    texts = [p.text for p in passages]
    span = best_span(asked, texts)
    ranked = candidate_sentences(asked.text, texts)
    found = {
        "bias": 1.0,
        "win": best,
        "sent": max((w[1] for w in windows), default=0.0),
        "typed_win": typed,
        "stated_win": stated,
        "reader": max(-5.0, min(15.0, span.score)) / 10 if span else -0.5,
        "reader_typed": float(bool(span) and holds_kind(asked, span.text)),
        "pairs": ranked[0][1] if ranked else 0.0,
        "words": math.log(1 + len(idf_of_words)),
    }
    kind = asked.kind if asked.kind in _KINDS else "other"
    for name in ("win", "typed_win", "reader", "stated_win"):
        found[f"{kind}|{name}"] = found[name]
    found[f"kind={kind}"] = 1.0
    found[f"target={asked.target}"] = 1.0
    return found


@lru_cache(maxsize=1)
def _model() -> dict[str, float]:
    return json.loads(WEIGHTS.read_text(encoding="utf-8"))["weights"]


def probability_stated(asked: Question, idf_of_words: dict[str, float], passages: list[Evidence]) -> float:
    """The probability that one of the passages states what the question asks."""
    weights = _model()
    score = sum(weights.get(name, 0.0) * value for name, value in features(asked, idf_of_words, passages).items())
    return 1 / (1 + math.exp(-max(-30.0, min(30.0, score))))
