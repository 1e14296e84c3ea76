"""jieba tokenisation with the domain dictionary, and BM25 (bm25s) over the tokens.

There is no stopword list: words like 加强 and 坚持 carry meaning in this genre.
Only whitespace and punctuation are dropped.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from pathlib import Path

import numpy as np

DOMAIN_DICT = Path(__file__).parent / "data" / "domain_dict.txt"
_NOT_A_WORD = re.compile(r"^[\W_]+$")


@lru_cache(maxsize=1)
def _tokenizer():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.load_userdict(str(DOMAIN_DICT))
    return tokenizer


def tokenize(text: str) -> list[str]:
    """Search-mode jieba tokens (words and their sub-words), lower-cased, punctuation dropped."""
    return [t.lower() for t in _tokenizer().lcut_for_search(text) if t.strip() and not _NOT_A_WORD.match(t)]


def char_pairs(text: str) -> set[str]:
    """The text's adjacent character pairs: a cheap overlap measure for Chinese without tokenising."""
    return {text[i : i + 2] for i in range(len(text) - 1)}


class BM25Index:
    """BM25 over pre-tokenised chunks; rows are positions in the ``ids`` array of the store."""

    def __init__(self, model) -> None:
        self._model = model

    @classmethod
    def build(cls, corpus_tokens: list[list[str]]) -> BM25Index:
        import bm25s

        model = bm25s.BM25()
        # an empty corpus still needs a valid (empty) index on disk
        model.index(corpus_tokens or [[""]], show_progress=False)
        return cls(model)

    @classmethod
    def load(cls, folder: Path) -> BM25Index:
        import bm25s

        return cls(bm25s.BM25.load(str(folder), mmap=True))

    def save(self, folder: Path) -> None:
        self._model.save(str(folder))

    def scores(self, query_tokens: list[str]) -> np.ndarray:
        """BM25 score of every row for the query."""
        if not query_tokens:
            return np.zeros(self._model.scores["num_docs"], dtype=np.float32)
        return np.asarray(self._model.get_scores(query_tokens), dtype=np.float32)


THESAURUS = Path(__file__).parent / "data" / "thesaurus.txt"


@lru_cache(maxsize=1)
def _thesaurus() -> dict[str, list[str]]:
    entries: dict[str, list[str]] = {}
    for line in THESAURUS.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            everyday, official = line.split("\t")
            entries[everyday] = [t.strip() for t in official.split(",") if t.strip()]
    return entries


def expand(query: str) -> list[str]:
    """Tokens of the official terms for the everyday words in ``query`` (the thesaurus), minus the query's own."""
    own = set(tokenize(query))
    terms = [term for everyday, official in _thesaurus().items() if everyday in query for term in official]
    return [t for t in dict.fromkeys(tokenize(" ".join(terms))) if t not in own]


# ------------------------------------------------------------------ BM25 as sparse vectors (Milvus backend)

K1, B = 1.5, 0.75  # bm25s defaults, so both backends score alike


def bm25_document_weights(tokens: list[str], term_ids: dict[str, int], average_length: float) -> dict[int, float]:
    """Doc-side BM25 weights (tf / (k1·(1 − b + b·|d|/avgdl) + tf)), as bm25s's Lucene variant computes them."""
    counts: dict[str, int] = {}
    for t in tokens:
        counts[t] = counts.get(t, 0) + 1
    norm = K1 * ((1 - B) + B * len(tokens) / max(average_length, 1e-9))
    return {term_ids[t]: tf / (norm + tf) for t, tf in counts.items()}


def bm25_idf(df: int, n_docs: int) -> float:
    return float(np.log(1 + (n_docs - df + 0.5) / (df + 0.5)))
