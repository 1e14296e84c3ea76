"""Citation help for a draft: for each paragraph, the corpus passages that back it.

The draft is read like any report (so .docx/.txt/.md, any encoding, broken lines joined), cut
into paragraphs, and each paragraph long enough to make a claim is searched on its own. Short
lines (headings, salutations) are kept in place without suggestions. The first suggestion of
each paragraph is accepted by default; an interface may accept or reject each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qa.answer.citations import DEFAULT_TEMPLATE, citation_from_hit, supporting_span
from qa.answer.similar import in_place
from qa.ingest.clean import GAP, clean_lines
from qa.model import Citation
from qa.search.hybrid import HybridRetriever

MIN_PARAGRAPH_CHARS = 30  # shorter lines are headings or transitions
PER_PARAGRAPH = 3


@dataclass
class DraftParagraph:
    text: str
    suggestions: list[Citation] = field(default_factory=list)  # n is the position in this list, from 1
    accepted: list[int] = field(default_factory=list)  # indices into suggestions

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "accepted": self.accepted,
            "suggestions": [s.to_dict() for s in self.suggestions],
        }


def read_draft(path: Path) -> str:
    """A draft file's text, read under the same limits as a report (50 MB, no binary, no bombs)."""
    from qa.ingest.loaders import load_file

    loaded, _ = load_file(path)
    return loaded.text


def draft_paragraphs(text: str) -> list[str]:
    return [line for line in clean_lines(text) if line != GAP]


def suggest_citations(
    retriever: HybridRetriever,
    text: str,
    exclude_place: str | None = None,
    per_paragraph: int = PER_PARAGRAPH,
    template: str = DEFAULT_TEMPLATE,
) -> list[DraftParagraph]:
    paragraphs = []
    for paragraph in draft_paragraphs(text):
        draft = DraftParagraph(paragraph)
        if len(paragraph) >= MIN_PARAGRAPH_CHARS:
            result = retriever.retrieve(paragraph, per_paragraph * 3)
            if result.relevant:
                hits = [h for h in result.hits if not (exclude_place and in_place(h, exclude_place))]
                for n, hit in enumerate(hits[:per_paragraph], 1):
                    start, end = supporting_span(hit, [paragraph])
                    draft.suggestions.append(citation_from_hit(n, hit, start, end, template))
                draft.accepted = [0] if draft.suggestions else []
        paragraphs.append(draft)
    return paragraphs
