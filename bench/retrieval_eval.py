"""Retrieval measured on every development corpus, per half and per kind, beside the naive recipes.

Usage: python bench/retrieval_eval.py [--corpora seeds cctv_rural cmrc2018_trial] [--work DIR] [--out bench/results]

Corpora: the five seed reports with tests/data/dev_questions.jsonl; ../shared/devdata/cctv_rural (新闻联播
segments on rural revitalisation and grassroots governance) with tests/data/cctv_rural_questions.jsonl;
../shared/devdata/cmrc2018_trial (Wikipedia paragraphs, CMRC 2018 trial questions, and our negatives in
tests/data/cmrc2018_negatives.jsonl) as a general-text check.
Each is indexed with the configured embedder (default: use+e5) into --work (index/_eval/<embedder>), reused on
the next run when the files are unchanged. Every question set is split by document into a tuning half and a check
half (qa.search.evaluation.half_of); a retrieval change is kept only when it holds on the check halves.
Writes retrieval_eval.json and retrieval_eval.md.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEVDATA = ROOT.parent / "shared" / "devdata"
CORPORA = {
    "seeds": (ROOT / "seeds", [ROOT / "tests" / "data" / "dev_questions.jsonl"]),
    "cctv_rural": (DEVDATA / "cctv_rural", [ROOT / "tests" / "data" / "cctv_rural_questions.jsonl"]),
    # CMRC's questions all have answers; the negatives are ours (their telling words checked absent by a test)
    "cmrc2018_trial": (
        DEVDATA / "cmrc2018_trial" / "passages",
        [DEVDATA / "cmrc2018_trial" / "questions.jsonl", ROOT / "tests" / "data" / "cmrc2018_negatives.jsonl"],
    ),
}
SYSTEMS = ("bm25-300", "langchain-500", "hybrid")


def work_folder(model: str) -> Path:
    """Where the evaluation knowledge bases of one embedder live (reused while the files are unchanged); one
    folder per embedder, since a knowledge base keeps the model it was built with."""
    return ROOT / "index" / "_eval" / re.sub(r"[^\w.+-]", "_", model)


def run_corpus(name: str, work: Path, k: int) -> dict:
    from qa.answer.answerer import Answerer
    from qa.app.measure import measure, measure_answers
    from qa.embeddings import load_embedder
    from qa.ingest.pipeline import ingest_paths
    from qa.search.evaluation import load_questions
    from qa.settings import load_settings

    source, questions = CORPORA[name]
    settings = load_settings(ROOT / "config.yaml").replace(index_dir=str(work / name))
    folder = work / name / "default"
    embedder = load_embedder(settings.embedding)
    start = time.perf_counter()
    results = ingest_paths([source], folder, settings, embedder)
    failed = [r for r in results if r.status == "failed"]
    print(f"{name}: {len(results)} files ({len(failed)} failed) in {time.perf_counter() - start:.0f} s", flush=True)
    answerer = Answerer.from_settings(settings, folder, embedder)
    start = time.perf_counter()
    items = [item for path in questions for item in load_questions(path)]
    reports = measure(answerer, items, k, compare=True)
    print(f"{name}: retrieval measured in {time.perf_counter() - start:.0f} s", flush=True)
    start = time.perf_counter()
    answers = measure_answers(answerer, items)
    print(f"{name}: answers measured in {time.perf_counter() - start:.0f} s", flush=True)
    return {"retrieval": reports, "answers": answers}


def answer_table(answers: dict) -> list[str]:
    """One row per kind: answers holding the gold (negatives: abstained), refused, quotes from another place,
    answers shown at 可信度 较高, and the share of those holding the gold."""
    lines = [
        "",
        "| answers: kind | holds gold (tune / check) | refused | other-place quotes per answer "
        "| shown 较高 | 较高 holding gold | short answer overlaps gold |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for kind in answers["all"]:
        cells = []
        metrics = ("abstained" if kind == "negative" else "holds_gold", "refused", "other_place_quotes", "high")
        for metric in (*metrics, "short_answer_overlaps"):
            values = [answers[h].get(kind, {}).get(metric) for h in ("tune", "check")]
            cells.append(" / ".join("–" if v is None else f"{v:.3f}" for v in values))
        cells.insert(4, " / ".join(_high_precision(answers[h].get(kind, {})) for h in ("tune", "check")))
        label = "negative (abstained)" if kind == "negative" else kind
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return [*lines, ""]


def _high_precision(figures: dict) -> str:
    """Of the answers shown at 较高, the share holding the gold ("–" when none was, or for negatives)."""
    if not figures.get("high") or "high_holds_gold" not in figures:
        return "–"
    return f"{figures['high_holds_gold'] / figures['high']:.3f}"


def table(corpus: str, reports: dict, k: int) -> list[str]:
    """One row per kind; MRR@k of each system on the tuning and check halves (negatives: share abstained)."""
    mrr = f"mrr@{k}"
    head = " | ".join(f"{s} tune | {s} check" for s in SYSTEMS)
    lines = [f"### {corpus}", "", f"| kind (n tune/check) | {head} |", "|---|" + "---:|" * (2 * len(SYSTEMS))]
    kinds = list(dict.fromkeys(kind for r in reports["all"].values() for kind in r))
    for kind in [kk for kk in kinds if kk not in ("overall", "negative")] + ["overall", "negative"]:
        if kind not in reports["all"]["hybrid"]:
            continue
        metric = "rejected" if kind == "negative" else mrr
        counts = "/".join(str(reports[h]["hybrid"].get(kind, {}).get("n", 0)) for h in ("tune", "check"))
        cells = [
            f"{reports[h][s][kind][metric]:.3f}" if kind in reports.get(h, {}).get(s, {}) else "–"
            for s in SYSTEMS
            for h in ("tune", "check")
        ]
        label = "negative (abstained)" if kind == "negative" else kind
        lines.append(f"| {label} ({counts}) | " + " | ".join(cells) + " |")
    wrong = [reports[h]["hybrid"]["overall"]["wrongly_rejected"] for h in ("tune", "check")]
    hit5 = [reports[h]["hybrid"]["overall"]["hit@5"] for h in ("tune", "check")]
    chars = ", ".join(f"{s} {reports['all'][s]['overall']['chars@5']:.0f}" for s in SYSTEMS)
    lines += [
        "",
        f"hybrid: answerable questions wrongly refused {wrong[0]:.3f} / {wrong[1]:.3f}, "
        f"hit@5 {hit5[0]:.3f} / {hit5[1]:.3f} (tune / check)",
        f"characters per passage shown (mean of the top 5, both halves): {chars}",
        "",
    ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpora", nargs="+", default=list(CORPORA), choices=list(CORPORA))
    parser.add_argument("--work", type=Path, help="default: index/_eval/<embedder>")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument("-k", type=int, default=10)
    args = parser.parse_args()
    from qa.settings import load_settings

    settings = load_settings(ROOT / "config.yaml")
    work = args.work or work_folder(settings.embedding.model)
    figures = {name: run_corpus(name, work, args.k) for name in args.corpora}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "retrieval_eval.json").write_text(json.dumps(figures, ensure_ascii=False, indent=1), encoding="utf-8")
    command = "python bench/retrieval_eval.py" + (
        "" if args.corpora == list(CORPORA) else " --corpora " + " ".join(args.corpora)
    )
    lines = [
        "# Retrieval on every corpus, per half and kind",
        "",
        f"Command: `{command}` (k={args.k}; MRR@{args.k} unless marked; embedder {settings.embedding.model}, dense"
        f" weight {settings.retrieval.dense_weight}: config.yaml and QA_EMBEDDING_MODEL, QA_RETRIEVAL_DENSE_WEIGHT).",
        "bm25-300: jieba BM25 over fixed 300-character chunks; langchain-500: RecursiveCharacterTextSplitter(500, 50)",
        "+ dense FAISS with the same embedder; hybrid: this project. Halves are split by document.",
        "Answers: the offline extractive answer (qa ask); holds gold = the gold text is among the quoted sentences.",
        "",
    ]
    for name, figure in figures.items():
        lines += table(name, figure["retrieval"], args.k)
        lines += answer_table(figure["answers"])
    (args.out / "retrieval_eval.md").write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
