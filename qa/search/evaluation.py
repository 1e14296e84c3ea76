"""Retrieval metrics over a question file, and the standard recipes measured beside ours.

Question file: one JSON object per line,
``{"question": ..., "gold": [{"doc": <file name>, "contains": <substring>}], "kind": ..., "history": [...], "half": ...}``.
``kind`` is fact, paraphrase, how, everyday, similar, followup or negative (gold ``[]``); ``history`` holds the
earlier questions of a follow-up. A hit is relevant when it comes from a gold document and contains that
gold item's substring. Every set is split into a tuning half and a check half by document (``half_of``),
so that a change tuned on one half can be checked on the other.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.errors import UserError

KINDS = ("fact", "paraphrase", "how", "everyday", "similar", "followup", "negative")
HALVES = ("tune", "check")


@dataclass
class Ranked:
    """What a system returned for one question: (doc, text) pairs, and whether it says nothing is relevant."""

    hits: list[tuple[str, str]]
    nothing_relevant: bool = False


System = Callable[[str, Sequence[str]], Ranked]  # (question, earlier questions) → ranked passages


def half_of(item: dict) -> str:
    """The half a question belongs to: its ``half``, else decided by its first gold document (by the
    question itself for negatives), so that all questions on one document fall in the same half."""
    if item.get("half") in HALVES:
        return item["half"]
    key = item["gold"][0]["doc"] if item["gold"] else item["question"]
    return HALVES[zlib.crc32(key.encode()) % 2]


def load_questions(path: Path) -> list[dict]:
    questions = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            item = json.loads(line)
            if "question" not in item:
                raise UserError(f"{path.name} 第 {n} 行缺少 question 字段", "每行应为一个含 question 的 JSON 对象")
            item.setdefault("gold", [])
            item.setdefault("kind", "negative" if not item["gold"] else "fact")
            questions.append(item)
    return questions


def _matches(hit: tuple[str, str], gold: dict) -> bool:
    return hit[0] == gold["doc"] and gold["contains"] in hit[1]


def evaluate(system: System, questions: list[dict], k: int = 10) -> dict[str, dict[str, float]]:
    """Per kind and overall: hit@1, hit@5, MRR@k, gold recall@k; for negatives, the share rejected."""
    rows: dict[str, list[dict[str, float]]] = {kind: [] for kind in KINDS}
    for item in questions:
        ranked = system(item["question"], item.get("history") or [])
        hits = ranked.hits[:k]
        if not item["gold"]:
            rows["negative"].append({"rejected": float(ranked.nothing_relevant)})
            continue
        relevant = [any(_matches(h, g) for g in item["gold"]) for h in hits]
        first = next((i for i, r in enumerate(relevant) if r), None)
        rows.setdefault(item.get("kind", "fact"), []).append(
            {
                "hit@1": float(first == 0),
                "hit@5": float(first is not None and first < 5),
                f"mrr@{k}": 1.0 / (first + 1) if first is not None else 0.0,
                f"recall@{k}": float(np.mean([any(_matches(h, g) for h in hits) for g in item["gold"]])),
                "wrongly_rejected": float(ranked.nothing_relevant),
                # how much text a reader is shown: a larger passage holds the gold more easily
                "chars@5": float(np.mean([len(text) for _, text in hits[:5]])) if hits else 0.0,
            }
        )
    report: dict[str, dict[str, float]] = {}
    answerable: list[dict[str, float]] = []
    for kind, items in rows.items():
        if items:
            report[kind] = summarise(items)
            if kind != "negative":
                answerable.extend(items)
    if answerable:
        report["overall"] = summarise(answerable)
    return report


def summarise(items: list[dict[str, float]]) -> dict[str, float]:
    """The mean of each metric over per-question rows, with their count."""
    return {m: round(float(np.mean([i[m] for i in items])), 4) for m in items[0]} | {"n": len(items)}


def format_table(reports: dict[str, dict[str, dict[str, float]]], k: int = 10) -> str:
    """Systems side by side, one block per kind."""
    names = list(reports)
    width = max(12, *(len(n) for n in names)) + 2
    lines = []
    kinds = dict.fromkeys(kind for report in reports.values() for kind in report if kind != "overall")
    for kind in (*sorted(kinds, key=lambda k: KINDS.index(k) if k in KINDS else len(KINDS)), "overall"):
        metrics = ["rejected"] if kind == "negative" else ["hit@1", "hit@5", f"mrr@{k}", f"recall@{k}"]
        present = [n for n in names if kind in reports[n]]
        if not present:
            continue
        count = reports[present[0]][kind]["n"]
        lines.append(f"\n[{kind}] n={count}")
        lines.append("system".ljust(width) + "".join(m.rjust(11) for m in metrics))
        for name in present:
            lines.append(name.ljust(width) + "".join(f"{reports[name][kind][m]:11.3f}" for m in metrics))
    return "\n".join(lines)


# ------------------------------------------------------------------ baselines


class LangchainDenseBaseline:
    """The standard recipe: RecursiveCharacterTextSplitter(500, 50) + dense FAISS, same embedder.

    ``texts`` are (file name, text as loaded): what a standard recipe sees, no cleaning, no structure."""

    def __init__(self, texts: list[tuple[str, str]], embedder) -> None:
        import faiss
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        splitter = RecursiveCharacterTextSplitter(chunk_size=500, chunk_overlap=50)
        self.chunks = [(name, piece) for name, text in texts for piece in splitter.split_text(text)]
        self.embedder = embedder
        vectors = embedder.embed_documents([c[1] for c in self.chunks])
        self.index = faiss.IndexFlatIP(vectors.shape[1])
        self.index.add(vectors)

    def __call__(self, question: str, history: Sequence[str] = (), k: int = 10) -> Ranked:
        # the recipe has no follow-up rewriting: earlier questions are simply put in front
        query = " ".join([*history, question])
        _, ids = self.index.search(self.embedder.embed_query(query).reshape(1, -1), k)
        return Ranked([self.chunks[i] for i in ids[0] if i >= 0])


class FixedBM25Baseline:
    """jieba (default dictionary) BM25 over fixed 300-character chunks of (file name, text as loaded)."""

    def __init__(self, texts: list[tuple[str, str]], size: int = 300) -> None:
        import logging

        import bm25s
        import jieba

        jieba.setLogLevel(logging.WARNING)
        self._cut = jieba.lcut
        self.chunks = [(name, text[i : i + size]) for name, text in texts for i in range(0, len(text), size)]
        self.model = bm25s.BM25()
        self.model.index([self._tokens(c[1]) for c in self.chunks], show_progress=False)

    def _tokens(self, text: str) -> list[str]:
        return [t for t in self._cut(text) if t.strip()]

    def __call__(self, question: str, history: Sequence[str] = (), k: int = 10) -> Ranked:
        tokens = self._tokens(" ".join([*history, question]))
        if not tokens:  # nothing to match (bm25s refuses an empty query)
            return Ranked([])
        scores = self.model.get_scores(tokens)
        order = np.argsort(-scores, kind="stable")[:k]
        return Ranked([self.chunks[i] for i in order if scores[i] > 0])
