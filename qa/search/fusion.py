"""Weighted reciprocal-rank fusion: the one way rankings are joined (the dense and keyword legs of a
query, the wordings of one question). An item's score is the sum over rankings of
weight / (RRF_K + rank + 1); equal scores within a ranking share a rank, so ties do not follow storage
order."""

from __future__ import annotations

from collections.abc import Hashable, Sequence

# On the dev set (bench/results/retrieval_eval.md) the USE dense leg is weaker than BM25 on fact questions
# and stronger on paraphrases; a small k with dense at half weight kept BM25's fact ranking best while adding
# dense's paraphrase recall (grid over k 5–60, weight 0.2–0.7).
RRF_K = 5


def tied_ranks(ranking: Sequence[tuple[Hashable, float]]) -> list[tuple[Hashable, int]]:
    """(item, rank) for a ranking of (item, score), best first; equal scores share a rank."""
    ranks: list[tuple[Hashable, int]] = []
    for position, (item, score) in enumerate(ranking):
        if position and score == ranking[position - 1][1]:
            ranks.append((item, ranks[-1][1]))
        else:
            ranks.append((item, position))
    return ranks


def fuse(rankings: Sequence[tuple[Sequence[tuple[Hashable, int]], float]], k: int = RRF_K) -> dict[Hashable, float]:
    """Each ranking as (item, rank) pairs with its weight → every item's fused score, in first-seen order."""
    fused: dict[Hashable, float] = {}
    for ranked, weight in rankings:
        for item, rank in ranked:
            fused[item] = fused.get(item, 0.0) + weight / (k + rank + 1)
    return fused
