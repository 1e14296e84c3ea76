"""Whether anything in the corpus answers a query, from quantities that do not grow with the corpus.

Raw BM25 scores grow with the corpus (idf rises as it fills), so a fixed score threshold fit on five
reports calls nearly everything relevant on a few hundred. Instead:

- ``lexical share``: the best passage's BM25 score over the most any passage could score for the
  query's own words (each word's idf, the words the corpus lacks counted at the highest idf). A passage
  holding the question's rare words scores a large share, a passage sharing only common words a small one.
- the best dense cosine (the embedder's scale, not the corpus's);
- a term the user quoted (“红色物业”) must appear in one of the passages: asking about a named practice
  that no report names is not answered from reports about something else; when every quoted term is
  there, the passages are relevant whatever the scores ("“2+1”是怎么做的？" has almost no words to score).

The thresholds were chosen on the tuning halves of the development sets (seeds, cctv_rural,
cmrc2018_trial) and are reported on their check halves in bench/results/retrieval_eval.md.
"""

from __future__ import annotations

import re

from qa.model import Hit

MIN_DENSE_COSINE = 0.30
MIN_LEXICAL_SHARE = 0.25
CONFIDENT_DENSE_COSINE = 0.40  # 可信度 较高 above either of these
CONFIDENT_LEXICAL_SHARE = 0.40
QUOTED = re.compile(r"[“\"]([^”\"]{2,15})[”\"]")  # a term the user quoted


def lexical_share(best_lexical: float, idf_of_words: dict[str, float]) -> float:
    """The best BM25 score as a share of the query words' summed idf (what a perfect passage nears)."""
    possible = sum(idf_of_words.values())
    return min(1.0, best_lexical / possible) if possible > 0 else 0.0


def quoted_terms_missing(query: str, hits: list[Hit]) -> list[str]:
    """The terms the user quoted that none of the passages contains."""
    texts = [f"{h.title}{''.join(h.section)}{h.text}" for h in hits]
    return [term for term in QUOTED.findall(query) if not any(term in text for text in texts)]


def is_relevant(query: str, hits: list[Hit], best_dense: float, share: float) -> bool:
    if not hits or quoted_terms_missing(query, hits):
        return False
    if QUOTED.search(query):  # every term the user quoted is in the passages
        return True
    return best_dense >= MIN_DENSE_COSINE or share >= MIN_LEXICAL_SHARE


def is_confident(best_dense: float, share: float) -> bool:
    return best_dense >= CONFIDENT_DENSE_COSINE or share >= CONFIDENT_LEXICAL_SHARE
