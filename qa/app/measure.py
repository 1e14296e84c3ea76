"""Measuring a knowledge base with a question set: our hybrid retrieval (with follow-up rewriting, as
answers use it), its two legs alone, and the two standard recipes, per half and per kind of question.
Used by ``qa eval`` and by ``bench/retrieval_eval.py``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from qa.answer.answerer import Answerer
from qa.search.evaluation import (
    HALVES,
    FixedBM25Baseline,
    LangchainDenseBaseline,
    Ranked,
    System,
    evaluate,
    half_of,
)

Reports = dict[str, dict[str, dict[str, float]]]  # system → kind → metric → value


def our_system(answerer: Answerer, k: int, mode: str = "hybrid") -> System:
    """Retrieval as an answer sees it: a follow-up is first rewritten into a standalone question."""

    def run(question: str, history: Sequence[str]) -> Ranked:
        standalone = answerer.standalone(question, history) if history else question
        if mode == "hybrid":  # as answers retrieve: a question naming one place is scoped to it
            result, _ = answerer.retrieve(standalone, k=k)
        else:
            result = answerer.retriever.retrieve(standalone, k, mode=mode)
        return Ranked([(h.doc, h.text) for h in result.hits], nothing_relevant=not result.relevant)

    return run


def source_texts(answerer: Answerer) -> list[tuple[str, str]]:
    """(file name, text as loaded) of every document: what the standard recipes index."""
    from qa.ingest.loaders import load_file

    documents = answerer.retriever.kb.documents()
    return [(Path(d["path"]).name, load_file(Path(d["path"]))[0].text) for d in documents]


def measure(answerer: Answerer, questions: list[dict], k: int = 10, compare: bool = False) -> dict[str, Reports]:
    """Reports for all questions ("all") and for each half, system by system."""
    systems: dict[str, System] = {}
    if compare:
        texts = source_texts(answerer)
        systems["bm25-300"] = FixedBM25Baseline(texts)
        systems["langchain-500"] = LangchainDenseBaseline(texts, answerer.retriever.embedder)
        systems["dense"] = our_system(answerer, k, "dense")
        systems["bm25"] = our_system(answerer, k, "lexical")
    systems["hybrid"] = our_system(answerer, k)
    groups = {"all": questions, **{h: [q for q in questions if half_of(q) == h] for h in HALVES}}
    return {
        group: {name: evaluate(system, items, k) for name, system in systems.items()}
        for group, items in groups.items()
        if items
    }
