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
    summarise,
)
from qa.text import char_f1

Reports = dict[str, dict[str, dict[str, float]]]  # system → kind → metric → value


def our_system(answerer: Answerer, k: int, mode: str = "hybrid") -> System:
    """Retrieval as an answer sees it: a follow-up is first rewritten into a standalone question."""

    def run(question: str, history: Sequence[str]) -> Ranked:
        standalone = answerer.standalone(question, history) if history else question
        if mode == "hybrid":  # as answers retrieve: a question naming one place is scoped to it
            result, _, _ = answerer.retrieve(standalone, k=k, followup=question if history else None)
        else:
            result = answerer.retriever.retrieve(standalone, k, mode=mode)
        return Ranked([(h.doc, h.text) for h in result.hits], nothing_relevant=not result.relevant)

    return run


def source_texts(answerer: Answerer) -> list[tuple[str, str]]:
    """(file name, text as loaded) of every document: what the standard recipes index."""
    from qa.ingest.loaders import load_file

    documents = answerer.kb.documents()
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


def measure_answers(answerer: Answerer, questions: list[dict]) -> dict[str, dict[str, dict[str, float]]]:
    """Per half and kind: answers holding the gold text, negatives abstained, answerable questions refused,
    citations from another place inside an answer to a question about one place (should be 0), and how
    often an answer is shown at 可信度 较高 (``high``; ``high_holds_gold``:较高 and holding the gold, so that
    high_holds_gold / high says how far 较高 can be trusted)."""
    rows: dict[str, dict[str, list[dict[str, float]]]] = {"all": {}, **{h: {} for h in HALVES}}
    for item in questions:
        answer = answerer.ask(item["question"], item.get("history") or [])
        followup = item["question"] if item.get("history") else None
        place = answerer.scope.asked(answer.standalone_question, followup)
        elsewhere = [c for c in answer.citations if place and c.place and place not in f"{c.place}{c.quote}"]
        if item["gold"]:
            quoted = "".join(c.quote for c in answer.citations) + answer.text
            row = {
                "holds_gold": float(any(g["contains"] in quoted for g in item["gold"])),
                "refused": float(answer.abstained),
                # the marked words that answer overlap the gold (character F1 ≥ 0.5), as reading benchmarks count
                "short_answer_overlaps": float(
                    max(char_f1(answer.short_answer, g["contains"]) for g in item["gold"]) >= 0.5
                ),
                "short_answer_given": float(bool(answer.short_answer)),
            }
        else:
            row = {"abstained": float(answer.abstained)}
        row["other_place_quotes"] = float(len(elsewhere))
        row["high"] = float(answer.confidence == "high")
        if item["gold"]:
            row["high_holds_gold"] = row["high"] * row["holds_gold"]
        for group in ("all", half_of(item)):
            rows[group].setdefault(item.get("kind", "fact"), []).append(row)
    return {group: {kind: summarise(items) for kind, items in kinds.items()} for group, kinds in rows.items() if kinds}
