"""Whether anything in the corpus answers a query, from quantities that do not grow with the corpus.

Raw BM25 scores grow with the corpus (idf rises as it fills), so a fixed score threshold fit on five
reports calls nearly everything relevant on a few hundred. Instead:

- ``lexical share``: the best passage's BM25 score over the most any passage could score for the
  query's own words (each word's idf, the words the corpus lacks counted at the highest idf). A passage
  holding the question's rare words scores a large share, a passage sharing only common words a small one.
- the best dense cosine (the embedder's scale, not the corpus's);
- a term the user quoted (“红色物业”) must appear in one of the passages: asking about a named practice
  that no report names is not answered from reports about something else; when every quoted term is
  there, the passages are relevant whatever the scores ("“2+1”是怎么做的？" has almost no words to score);
- a question asking for a number or a time (ASKS_FOR_NUMBER in qa.search.question) is answered only where one sentence that holds a
  number also holds enough of the question's words (their idf share): "村务监督委员会由几人组成？" is not
  answered from a passage about 村务监督 that counts something else. Passages on the topic are easy to find;
  a sentence that states the number asked for is the evidence an answer needs.
- a question naming the thing it asks for ("黑龙江省博物馆的首任馆长是谁？", "…的认定标准是什么？") is
  answered only where one passage mentions that thing (half of its two-character pieces, so that 人口数
  finds 人口 and 树叶 finds 叶子 no more than it should): a museum's passages that never speak of its first
  curator do not answer who that was. A slot a passage answers without naming it (全称, 成书时间, 故事情节)
  is not looked for.

The thresholds were chosen on the tuning halves of the development sets (seeds, cctv_rural,
cmrc2018_trial) and are reported on their check halves in bench/results/retrieval_eval.md.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

from qa.model import Hit
from qa.search.question import ASKED_AFTER_IS, ASKED_SLOT, ASKS_FOR_NUMBER, FRAMING_WORDS
from qa.text import sentences, words

MIN_DENSE_COSINE = 0.30  # on USE's scale (use-multilingual-v3); other embedders: DENSE_THRESHOLDS
MIN_LEXICAL_SHARE = 0.25
CONFIDENT_DENSE_COSINE = 0.40  # 可信度 较高 above either of these
# Each embedder's cosines have their own scale (an unrelated pair: USE 0.07, e5 0.83), so the two dense
# thresholds above are carried over to another embedder by bench/calibrate_dense.py: the cosine that as many
# unrelated question–paragraph pairs reach. A model missing from the file is read on USE's scale.
DENSE_THRESHOLDS = Path(__file__).resolve().parent.parent / "data" / "dense_thresholds.json"
CONFIDENT_LEXICAL_SHARE = 0.40
# ...and the passages an answer cites hold at least this share of the question's words (by idf). Without it
# nearly every answer showed 较高 (cctv_rural everyday 90%, of which half held the answer). On the tuning
# halves 较高 answers then held the gold 0.97 (seeds) and 0.89 (cctv_rural) against 0.58 and 0.67 for the
# others (before: 0.91 against 0.57, 0.85 against 0.73); CMRC's, nearly all covered, did not move.
CONFIDENT_COVERAGE = 0.40
QUOTED = re.compile(r"[“\"]([^”\"]{2,15})[”\"]")  # a term the user quoted

NUMERAL = re.compile(r"[0-9０-９一二三四五六七八九十百千万亿两]")
# On the tuning halves: 0.3 took cctv_rural's abstained negatives from 0.33 to 0.67 for 0.8% of its
# answerable questions refused (0.35-0.5 abstained no more and refused up to 7%).
MIN_NUMBER_SENTENCE_SHARE = 0.30
NUMBER_EVIDENCE_DEPTH = 5  # passages searched for the sentence that states the number
_SLOT_FILLER = re.compile(r"分别|大约|累计|大概|主要|具体|现在|目前|一般|通常|名字|名称")
# On the tuning halves (bench/retrieval_eval.py): cmrc2018's negatives abstained 0.25 → 0.50 and
# cctv_rural's as many as before (0.71), for answerable questions refused 0.6% → 2.0% (CMRC) and
# 0.8% → 1.6% (cctv_rural). Requiring every piece refused 8% of CMRC's; how-questions included, 5%.
MIN_SLOT_PIECES = 0.5
# Slots a passage answers without naming them: a name (“千万工程”的全称 — the text says "即“千村示范、万村整治”
# 工程"), a time (成书时间 — it gives a date), a plot or a stance (故事情节, 艺术主张 — it tells them). Taken
# from the tuning halves' refused questions, with the other words for a name and a time beside them:
# answerable refused cctv_rural 0.016 → 0.008 and CMRC 0.020 → 0.014 (tune), CMRC check 0.028 → 0.024;
# no negative of any half answered more.
_SLOT_NOT_NAMED = re.compile(r"(?:全称|简称|别名|别称|原名|英文名|时间|日期|年代|情节|主张)$")
SLOT_DEPTH = 5  # passages searched for the slot
_CONTENT = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")
CJK_WORD = re.compile(r"^[\u4e00-\u9fff]{2,}$")  # a word of two Chinese characters or more


def question_words(cleaned_query: str) -> list[str]:
    """The words a question asks about: precise-mode words of two characters or more, framing dropped."""
    found = [w for w in words(cleaned_query) if len(w) > 1 and _CONTENT.search(w) and w not in FRAMING_WORDS]
    return list(dict.fromkeys(found))


def lexical_share(best_lexical: float, idf_of_words: dict[str, float]) -> float:
    """The best BM25 score as a share of the query words' summed idf (what a perfect passage nears)."""
    possible = sum(idf_of_words.values())
    return min(1.0, best_lexical / possible) if possible > 0 else 0.0


def _searchable(hit: Hit) -> str:
    """A passage as a term is looked for in it: its title, section headings and text."""
    return f"{hit.title}{''.join(hit.section)}{hit.text}"


def quoted_terms_missing(query: str, hits: list[Hit]) -> list[str]:
    """The terms the user quoted that none of the passages contains."""
    texts = [_unquoted(_searchable(h)) for h in hits]
    return [term for term in QUOTED.findall(query) if not any(_unquoted(term) in text for text in texts)]


def _unquoted(text: str) -> str:
    """Quotation marks left out: a term quoted inside a quoted term (“精准‘选’在配强力量上求实效”) matches
    the text however its inner marks are written."""
    return text.translate(_QUOTE_MARKS)


_QUOTE_MARKS = str.maketrans("", "", "“”‘’\"'「」『』")


def number_sentence_share(idf_of_words: dict[str, float], hits: list[Hit]) -> float:
    """The largest idf share of the question's words held by a sentence with a number in it (read with
    the sentence after it and the article's title, where the subject is often named)."""
    possible = sum(idf_of_words.values())
    if possible <= 0:
        return 0.0
    best = 0.0
    for hit in hits[:NUMBER_EVIDENCE_DEPTH]:
        parts = sentences(hit.text, min_chars=4)
        for n, sentence in enumerate(parts):
            if NUMERAL.search(sentence):
                window = "".join(parts[n : n + 2]) + hit.title
                held = sum(idf for word, idf in idf_of_words.items() if word in window)
                best = max(best, held / possible)
    return best


def asked_slot(query: str) -> str | None:
    """What the question asks for, when it names it: "黑龙江省博物馆的首任馆长是谁？" → 首任馆长."""
    match = ASKED_SLOT.search(query)
    if match:
        slot = _SLOT_FILLER.sub("", match.group(1)).rsplit("的", 1)[-1]
    elif match := ASKED_AFTER_IS.search(query):
        before = [w for w in words(query[: match.start()]) if not _SLOT_FILLER.fullmatch(w)]
        slot = before[-1] if before and CJK_WORD.match(before[-1]) else ""
    else:
        return None
    return slot if len(slot) >= 2 and not _SLOT_NOT_NAMED.search(slot) else None


def slot_mentioned(slot: str, hits: list[Hit]) -> bool:
    """One of the top passages holds at least half of the slot's two-character pieces."""
    pieces = {slot[i : i + 2] for i in range(len(slot) - 1)}
    for hit in hits[:SLOT_DEPTH]:
        text = _searchable(hit)
        if sum(piece in text for piece in pieces) >= MIN_SLOT_PIECES * len(pieces):
            return True
    return False


@lru_cache(maxsize=8)
def _calibration(model: str) -> dict:
    """What bench/calibrate_dense.py recorded for the embedder named ``model`` ({} when nothing)."""
    return json.loads(DENSE_THRESHOLDS.read_text(encoding="utf-8")).get(model) or {}


def dense_thresholds(model: str) -> tuple[float, float]:
    """(relevant, confident) dense cosines for the embedder named ``model``."""
    found = _calibration(model)
    return (found["relevant"], found["confident"]) if found else (MIN_DENSE_COSINE, CONFIDENT_DENSE_COSINE)


def on_use_scale(model: str, cosine: float) -> float:
    """A cosine of the embedder named ``model`` as USE would score a pair that as many unrelated pairs reach
    (bench/calibrate_dense.py): the one scale the API's scores are given on; unchanged for USE and
    uncalibrated models."""
    points = _calibration(model).get("scale")
    if not points:
        return cosine
    import numpy as np

    return float(np.interp(cosine, [p[0] for p in points], [p[1] for p in points]))


def is_relevant(
    query: str,
    hits: list[Hit],
    best_dense: float,
    share: float,
    number_share: float = 1.0,
    min_dense: float = MIN_DENSE_COSINE,
) -> bool:
    """``number_share``: see number_sentence_share; pass it for questions that ask for a number.
    ``min_dense``: the embedder's relevant cosine (dense_thresholds)."""
    if not hits or quoted_terms_missing(query, hits):
        return False
    if (slot := asked_slot(query)) and not slot_mentioned(slot, hits):
        return False
    if ASKS_FOR_NUMBER.search(query) and number_share < MIN_NUMBER_SENTENCE_SHARE:
        return False
    if QUOTED.search(query):  # every term the user quoted is in the passages
        return True
    return best_dense >= min_dense or share >= MIN_LEXICAL_SHARE


def coverage(idf_of_words: dict[str, float], texts: list[str]) -> float:
    """The idf share of the question's words that the texts, together, hold."""
    possible = sum(idf_of_words.values())
    joined = "".join(texts).lower()
    return sum(idf for word, idf in idf_of_words.items() if word in joined) / possible if possible > 0 else 0.0


def is_confident(best_dense: float, share: float, confident_dense: float = CONFIDENT_DENSE_COSINE) -> bool:
    return best_dense >= confident_dense or share >= CONFIDENT_LEXICAL_SHARE
