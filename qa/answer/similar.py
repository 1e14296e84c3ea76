"""Similar experience from other places: a practice or a whole draft in, other places' passages out,
grouped by place.

A long input is split into passages of about two sentences; each is searched on its own and a
chunk's score is the sum of its fused scores over the input's passages, so chunks that match many
parts of the input rise. Practices named in quotes in the input (“积分超市”) are strong evidence:
a chunk naming the same practice gets a bonus. Excluding a place happens after scoring, so
removing one place never reorders the others.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from qa.answer.extractive import place_label
from qa.model import Filters, Hit
from qa.search.hybrid import HybridRetriever
from qa.text import sentence_spans

PIECE_CHARS = 120  # input passages of about two sentences
HEADING_CHARS = 30  # shorter lines are headings
PER_QUERY = 30  # chunks fetched for each input passage
PER_PLACE = 3
NAMED_PRACTICE_BONUS = 0.1  # about one top rank in one leg (RRF: 1 / (5 + 1) ≈ 0.17 at full weight)
_QUOTED = re.compile(r"[“\"]([^”\"]{2,15})[”\"]")


@dataclass
class PlaceGroup:
    place: str
    province: str | None
    hits: list[Hit] = field(default_factory=list)

    @property
    def score(self) -> float:
        return max(h.score for h in self.hits)

    def to_dict(self) -> dict[str, Any]:
        return {
            "place": self.place,
            "province": self.province,
            "hits": [
                {
                    "doc": h.doc,
                    "title": h.title,
                    "section": h.section,
                    "text": h.text,
                    "start": h.start,
                    "end": h.end,
                    "score": round(h.score, 6),
                }
                for h in self.hits
            ],
        }


def input_pieces(text: str) -> list[str]:
    """The input as passages: its paragraphs (a short heading joins the paragraph after it), long
    paragraphs cut at sentence ends into pieces of about PIECE_CHARS."""
    pieces: list[str] = []
    heading = ""
    for line in (line.strip() for line in text.splitlines()):
        if not line:
            continue
        if len(line) < HEADING_CHARS:
            heading = f"{heading}{line} "
            continue
        line, heading = heading + line, ""
        own: list[str] = []
        current = ""
        for start, end in sentence_spans(line):
            current += line[start:end]
            if len(current) >= PIECE_CHARS:
                own.append(current)
                current = ""
        if current and own and len(current) < HEADING_CHARS:
            own[-1] += current  # a short tail belongs to the piece before it
        elif current:
            own.append(current)
        pieces.extend(own)
    if heading:
        pieces.append(heading)
    return [p.strip() for p in pieces]


def named_practices(text: str) -> list[str]:
    return list(dict.fromkeys(_QUOTED.findall(text)))


def find_similar(
    retriever: HybridRetriever,
    text: str,
    k: int = 8,
    exclude_place: str | None = None,
    province: str | None = None,
) -> list[PlaceGroup]:
    """Up to ``k`` place groups, best first, each with its best passages."""
    filters = Filters(province=province) if province else None
    scores: dict[int, float] = {}
    hits: dict[int, Hit] = {}
    for piece in input_pieces(text):
        for hit in retriever.retrieve(piece, PER_QUERY, filters).chunks:
            scores[hit.chunk_id] = scores.get(hit.chunk_id, 0.0) + hit.score
            hits.setdefault(hit.chunk_id, hit)
    practices = named_practices(text)
    for chunk_id, hit in hits.items():
        if any(p in hit.text for p in practices):
            scores[chunk_id] += NAMED_PRACTICE_BONUS
        hit.score = scores[chunk_id]
    # chunks are fused across the pieces, then neighbours joined into the passages shown
    ranked = retriever.joined(sorted(hits.values(), key=lambda h: (-round(h.score, 9), h.doc, h.start)))
    groups: dict[str, PlaceGroup] = {}
    for hit in ranked:
        if exclude_place and in_place(hit, exclude_place):
            continue
        label = place_label(hit)
        group = groups.setdefault(label, PlaceGroup(label, hit.province))
        if len(group.hits) < PER_PLACE:
            group.hits.append(hit)
    return sorted(groups.values(), key=lambda g: -g.score)[:k]


def in_place(hit: Hit, place: str) -> bool:
    """The hit's article is in ``place`` (its own place or its county/city, e.g. 思南 or 思南县)."""
    names = [hit.place, hit.county, hit.city]
    return any(n and (place in n or n in place) for n in names)
