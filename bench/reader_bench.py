"""What the reader costs an answer: the words that answer (qa.answer.reading.short_answer), the sentence it
would add to the quotes (best_span over the first passage, as extractive.with_reader_sentence reads it where
the answer adds one), the
check that a quote states what is asked (Answerer._covered), the judgement that the passages state what a
one-fact question asks (Answerer._states_asked, qa.answer.stated) and the question's words no report uses
(Answerer.absent_words, looked up only where an answer is neither 较高 nor abstained, as Answerer does), timed
per question beside the whole answer.

Usage: python bench/reader_bench.py [--corpus seeds|cctv_rural] [--work DIR] [--out bench/results]

Indexes the corpus with the default embedder into --work (reused when unchanged), answers every answerable
question of its set offline, and times the reader's steps again on each finished answer (their inputs are
the answer's quotes and passages, and the passages retrieved for it). Prints and writes
reader_<corpus>.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


REPEATS = 3  # each question's steps are timed this often from cold, and the fastest run kept (as timeit does)


def cold_run(steps: list) -> list[float]:
    """Each step's time, in the answer's order, from cold caches: an answer reads a sentence once, then from
    the cache."""
    from qa.answer.reading import forget_sentences

    forget_sentences()
    took = []
    for step in steps:
        start = time.perf_counter()
        step()
        took.append(time.perf_counter() - start)
    return took


def reader_steps(answerer, answer, hits) -> list:
    """The reader's five steps on a finished answer, as the answer takes them (a step it does not take does
    nothing): their inputs are its quotes and passages, and the passages retrieved for it (``hits``)."""
    from qa.answer.extractive import adds_reader_sentence
    from qa.answer.reading import best_span, short_answer
    from qa.search.question import analyse

    question = answer.standalone_question
    quotes, passages = [c.quote for c in answer.citations], [c.passage for c in answer.citations]
    return [
        lambda: answerer._states_asked(question, hits),
        # not for a survey of places nor for how a practice is done
        lambda: adds_reader_sentence(question) and best_span(analyse(question), passages[:1]),
        lambda: short_answer(question, quotes, passages),
        lambda: answerer._covered(answer),
        # looked up where an answer is neither 较高 nor abstained
        lambda: not answer.abstained and answer.confidence != "high" and answerer.absent_words(question),
    ]


def main() -> None:
    from bench.retrieval_eval import CORPORA, work_folder
    from qa.answer.answerer import Answerer
    from qa.embeddings import load_embedder
    from qa.ingest.pipeline import ingest_paths
    from qa.search.evaluation import load_questions
    from qa.settings import load_settings

    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", default="seeds", choices=["seeds", "cctv_rural"])
    parser.add_argument("--work", type=Path, help="default: index/_eval/<embedder>, as bench/retrieval_eval.py")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()
    source, question_files = CORPORA[args.corpus]
    settings = load_settings(ROOT / "config.yaml")
    work = args.work or work_folder(settings.embedding.model)
    settings = settings.replace(index_dir=str(work / args.corpus))
    folder = work / args.corpus / "default"
    embedder = load_embedder(settings.embedding)
    ingest_paths([source], folder, settings, embedder)
    answerer = Answerer.from_settings(settings, folder, embedder)
    items = [i for path in question_files for i in load_questions(path) if i["gold"] and not i.get("history")]
    whole, reading, sentence, stated, judged, absent = [], [], [], [], [], []
    for item in items:
        start = time.perf_counter()
        answer = answerer.ask(item["question"])
        whole.append(time.perf_counter() - start)
        hits = answerer.retrieve(answer.standalone_question)[0].hits
        steps = reader_steps(answerer, answer, hits)
        fastest = [min(runs) for runs in zip(*(cold_run(steps) for _ in range(REPEATS)), strict=True)]
        for times, took in zip((judged, sentence, reading, stated, absent), fastest, strict=True):
            times.append(took)

    def ms(values: list[float], q: float = 0.5) -> str:
        ordered = sorted(values)
        return f"{ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000:.1f}"

    together = [sum(steps) for steps in zip(reading, sentence, stated, judged, absent, strict=True)]
    lines = [
        "# The reader's cost per answer",
        "",
        f"Command: `python bench/reader_bench.py --corpus {args.corpus}` — {len(items)} answerable questions, offline"
        " answers with the default embedder, on this machine (2 cores). The reader's steps are timed from cold"
        f" caches, each question's {REPEATS} times, the fastest kept; a step the answer does not take costs 0.",
        "",
        "| step | median ms | p95 ms | max ms |",
        "|---|---:|---:|---:|",
        f"| whole answer (qa ask) | {ms(whole)} | {ms(whole, 0.95)} | {max(whole) * 1000:.1f} |",
        f"| the passages state what is asked (stated model) | {ms(judged)} | {ms(judged, 0.95)} |"
        f" {max(judged) * 1000:.1f} |",
        f"| the sentence the reader adds (best_span, first passage) | {ms(sentence)} | {ms(sentence, 0.95)} |"
        f" {max(sentence) * 1000:.1f} |",
        f"| the words that answer (short_answer) | {ms(reading)} | {ms(reading, 0.95)} | {max(reading) * 1000:.1f} |",
        f"| a quote states what is asked (较高 check) | {ms(stated)} | {ms(stated, 0.95)} | {max(stated) * 1000:.1f} |",
        f"| words no report uses (absent_words) | {ms(absent)} | {ms(absent, 0.95)} | {max(absent) * 1000:.1f} |",
        f"| the five together | {ms(together)} | {ms(together, 0.95)} | {max(together) * 1000:.1f} |",
    ]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"reader_{args.corpus}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
