"""A ranked list of hits arranged for reading: neighbouring chunks of one article joined into one passage,
a passage said twice (a report reprinted in two files) dropped, and at most a few passages of one
article on top. Pure functions of the hits (and, for joining, the articles' texts)."""

from __future__ import annotations

import re
from dataclasses import replace

from qa.model import Hit

# Passages sharing this share of 4-character shingles are one passage said twice.
NEAR_DUPLICATE = 0.8


def join_neighbours(hits: list[Hit], article_texts: dict[int, str], max_chars: int) -> list[Hit]:
    """Hits in their order, each chunk that adjoins a better one of the same article (only white space
    between them) joined to it while the whole stays within ``max_chars``: the passage keeps the better
    one's place and score, its text is the article's over the whole span, its ``joined`` the chunks."""
    kept: list[Hit] = []
    for hit in hits:
        text = article_texts.get(hit.article_id) if hit.article_id is not None else None
        at = None if text is None else next((n for n, k in enumerate(kept) if _adjoins(k, hit, text, max_chars)), None)
        if at is None:
            kept.append(hit)
            continue
        host = kept[at]
        parts = sorted([*host.parts(), *hit.parts()], key=lambda p: p.start)
        start, end = parts[0].start, parts[-1].end
        kept[at] = replace(
            host, start=start, end=end, text=text[start:end], section=parts[0].section, page=parts[0].page, joined=parts
        )
    return kept


def _adjoins(host: Hit, hit: Hit, text: str, max_chars: int) -> bool:
    if host.article_id != hit.article_id or max(host.end, hit.end) - min(host.start, hit.start) > max_chars:
        return False
    if host.end <= hit.start:
        return not text[host.end : hit.start].strip()
    return hit.end <= host.start and not text[hit.end : host.start].strip()


def overlaps(a: Hit, b: Hit) -> bool:
    return a.doc == b.doc and a.article_id == b.article_id and a.start < b.end and b.start < a.end


def _shingles(text: str, n: int = 4) -> set[str]:
    compact = re.sub(r"[\W_]+", "", text)
    return {compact[i : i + n] for i in range(max(1, len(compact) - n + 1))}


def drop_near_duplicates(hits: list[Hit], limit: int, threshold: float = NEAR_DUPLICATE) -> list[Hit]:
    """The first ``limit`` hits that do not repeat a better one (a report reprinted in two files)."""
    kept: list[tuple[Hit, set[str]]] = []
    for hit in hits:
        if len(kept) == limit:
            break
        shingles = _shingles(hit.text)
        if all(len(shingles & other) / len(shingles | other) < threshold for _, other in kept):
            kept.append((hit, shingles))
    return [hit for hit, _ in kept]


def spread_over_articles(hits: list[Hit], cap: int) -> list[Hit]:
    """At most ``cap`` passages per article on top, the rest after in their order: the best stays first."""
    seen: dict[int | None, int] = {}
    first, later = [], []
    for hit in hits:
        seen[hit.article_id] = seen.get(hit.article_id, 0) + 1
        (first if seen[hit.article_id] <= cap else later).append(hit)
    return first + later
