"""BM25 over jieba tokens: one segment's postings, and the formula's parts shared with the Milvus backend.

Scores are computed at query time from corpus-wide statistics (kept in SQLite, see ``qa.index.writer``),
so segments written at different times score exactly as one index over the whole corpus would.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

K1, B = 1.5, 0.75  # the usual BM25 constants (Lucene's, and bm25s's defaults)


class Postings:
    """One segment's inverted index over term ids: for each term, the rows holding it and how often.

    Stored column-wise (``starts`` [T+1], ``rows``, ``counts``) with each row's token count in
    ``lengths``; all four memory-mapped on open. Scores are computed at query time from the
    corpus-wide document frequencies and average length (``qa.index.store`` keeps them), so segments
    written at different times score exactly as one index over the whole corpus would.
    """

    FILES = ("starts", "rows", "counts", "lengths")

    def __init__(self, starts: np.ndarray, rows: np.ndarray, counts: np.ndarray, lengths: np.ndarray) -> None:
        self.starts, self.rows, self.counts, self.lengths = starts, rows, counts, lengths
        self._norm: tuple[float, np.ndarray] | None = None  # length normalisation for one average length

    @classmethod
    def build(cls, token_lists: list[list[str]], term_ids: dict[str, int]) -> Postings:
        lengths = np.fromiter((len(t) for t in token_lists), dtype=np.int64, count=len(token_lists))
        # numpy arrays rather than Python lists: a 100k-chunk write has tens of millions of tokens
        terms = np.fromiter(
            (term_ids[t] for tokens in token_lists for t in tokens), dtype=np.int64, count=int(lengths.sum())
        )
        rows = np.repeat(np.arange(len(token_lists), dtype=np.int64), lengths)
        size = int(terms.max()) + 1 if terms.size else 0
        # one key per (term, row), sorted by term then row; repeats are the term frequency
        keys, counts = np.unique(terms * len(token_lists) + rows, return_counts=True)
        del terms, rows
        key_terms = keys // max(len(token_lists), 1)
        starts = np.zeros(size + 1, dtype=np.int64)
        np.cumsum(np.bincount(key_terms, minlength=size), out=starts[1:])
        return cls(
            starts,
            (keys - key_terms * len(token_lists)).astype(np.int32),
            np.minimum(counts, 65535).astype(np.uint16),
            lengths.astype(np.int32),
        )

    @classmethod
    def load(cls, folder: Path) -> Postings:
        return cls(*(np.load(folder / f"{name}.npy", mmap_mode="r", allow_pickle=False) for name in cls.FILES))

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for name in self.FILES:
            np.save(folder / f"{name}.npy", np.ascontiguousarray(getattr(self, name)), allow_pickle=False)

    @property
    def row_count(self) -> int:
        return int(self.lengths.shape[0])

    def scores(self, weights: dict[int, float], average_length: float) -> np.ndarray:
        """BM25 score of every row: Σ weight(term) · tf / (tf + k1·(1 − b + b·|d|/avgdl)).

        ``weights`` maps term ids to the query-side weight (idf, times the thesaurus weight)."""
        scores = np.zeros(self.row_count, dtype=np.float32)
        if self._norm is None or self._norm[0] != average_length:
            norm = length_norm(np.asarray(self.lengths, dtype=np.float32), average_length)
            self._norm = (average_length, norm.astype(np.float32))
        norm = self._norm[1]
        size = self.starts.shape[0] - 1
        for term, weight in weights.items():
            if term >= size:
                continue  # a term first seen after this segment was written
            lo, hi = int(self.starts[term]), int(self.starts[term + 1])
            if lo == hi:
                continue
            rows = self.rows[lo:hi]
            tf = self.counts[lo:hi].astype(np.float32)
            scores[rows] += np.float32(weight) * tf / (tf + norm[rows])  # rows are unique within a term
        return scores

    @staticmethod
    def merge(parts: list[tuple[Postings, np.ndarray]], folder: Path) -> None:
        """Write to ``folder`` the postings of ``parts`` (each with a boolean mask of the rows to keep),
        rows renumbered in order; one part's arrays in memory at a time besides the output."""
        size = max((p.starts.shape[0] - 1 for p, _ in parts), default=0)
        kept_per_part = []
        for postings, keep in parts:
            terms = np.repeat(np.arange(postings.starts.shape[0] - 1), np.diff(postings.starts))
            kept = keep[postings.rows]
            kept_per_part.append(np.bincount(terms[kept], minlength=size))
        total_per_term = np.sum(kept_per_part, axis=0) if kept_per_part else np.zeros(size, dtype=np.int64)
        starts = np.zeros(size + 1, dtype=np.int64)
        np.cumsum(total_per_term, out=starts[1:])
        folder.mkdir(parents=True, exist_ok=True)
        total = int(starts[-1])
        rows_out = np.empty(total, dtype=np.int32)  # 6 bytes a posting: the size of the BM25 index itself
        counts_out = np.empty(total, dtype=np.uint16)
        before = np.zeros(size, dtype=np.int64)  # postings of each term written by earlier parts
        row_offset = 0
        lengths = []
        for (postings, keep), kept_counts in zip(parts, kept_per_part, strict=True):
            terms = np.repeat(np.arange(postings.starts.shape[0] - 1), np.diff(postings.starts))
            kept = keep[postings.rows]
            terms = terms[kept]
            new_row = np.cumsum(keep) - 1 + row_offset
            part_starts = np.concatenate([[0], np.cumsum(kept_counts)[:-1]]) if size else np.zeros(0, dtype=np.int64)
            rank = np.arange(terms.size) - part_starts[terms]
            position = starts[terms] + before[terms] + rank
            rows_out[position] = new_row[postings.rows[kept]]
            counts_out[position] = postings.counts[kept]
            before += kept_counts
            row_offset += int(keep.sum())
            lengths.append(np.asarray(postings.lengths)[keep])
        np.save(folder / "rows.npy", rows_out, allow_pickle=False)
        np.save(folder / "counts.npy", counts_out, allow_pickle=False)
        np.save(folder / "starts.npy", starts, allow_pickle=False)
        np.save(folder / "lengths.npy", np.concatenate([np.zeros(0, dtype=np.int32), *lengths]), allow_pickle=False)


def bm25_document_weights(tokens: list[str], term_ids: dict[str, int], average_length: float) -> dict[int, float]:
    """Doc-side BM25 weights (tf / (k1·(1 − b + b·|d|/avgdl) + tf)), as bm25s's Lucene variant computes them."""
    counts: dict[str, int] = {}
    for t in tokens:
        counts[t] = counts.get(t, 0) + 1
    norm = length_norm(len(tokens), average_length)
    return {term_ids[t]: tf / (norm + tf) for t, tf in counts.items()}


def length_norm(length, average_length: float):
    """BM25's length normalisation k1·(1 − b + b·|d|/avgdl), for one length or an array of them."""
    return K1 * ((1 - B) + B * length / max(average_length, 1e-9))


def bm25_idf(df: int, n_docs: int) -> float:
    return float(np.log(1 + (n_docs - df + 0.5) / (df + 0.5)))
