"""A langchain ``BaseRetriever`` over the hybrid search, for chains built with langchain.

Imported only by code that uses langchain, so ``import qa`` stays light.
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from qa.model import Filters
from qa.search.hybrid import HybridRetriever


class HybridLangchainRetriever(BaseRetriever):
    """Returns ``Document``s whose metadata carries chunk id, doc, title, place, section, offsets and scores."""

    retriever: Any  # HybridRetriever; Any keeps pydantic from inspecting it
    k: int = 10
    filters: Any = None  # Filters | None

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        searcher: HybridRetriever = self.retriever
        filters: Filters | None = self.filters
        return [
            Document(
                page_content=hit.text,
                metadata={
                    "chunk_id": hit.chunk_id,
                    "doc": hit.doc,
                    "title": hit.title,
                    "place": hit.place,
                    "section": hit.section,
                    "start": hit.start,
                    "end": hit.end,
                    "score": hit.score,
                    "dense_score": hit.dense_score,
                    "lexical_score": hit.lexical_score,
                },
            )
            for hit in searcher.search(query, self.k, filters)
        ]
