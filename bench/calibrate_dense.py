"""The dense cosines that mean "relevant" and "confident" for an embedder, matched to USE's.

Usage: python bench/calibrate_dense.py --model e5-small [--write]

Each embedder has its own scale of cosines: USE puts an unrelated question and passage near 0.1, e5 near 0.75.
The relevance gate's dense thresholds (qa.search.confidence, chosen with USE on the tuning halves) are carried
over to another embedder by quantile: the project's own questions (tests/data/*questions.jsonl) are each
paired with 300 paragraphs of ../shared/devdata/cctv_full picked by the seed (news on every topic: nearly all
pairs unrelated), and a threshold maps to the cosine that the same share of those pairs reaches with the other
embedder. With --write the pair is stored in qa/data/dense_thresholds.json under the model's name, where the
retriever looks it up, with a few such matched cosines ("scale") that put the Dify API's scores on USE's
scale, so that one score_threshold means the same with any model.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PARAGRAPHS = 300
SCALE_SHARES = (0.5, 0.9, 0.99, 0.999, 0.9999)


def background(seed: int) -> tuple[list[str], list[str]]:
    questions = [
        json.loads(line)["question"]
        for path in sorted((ROOT / "tests" / "data").glob("*questions.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    paragraphs = [
        line.strip()
        for path in sorted((ROOT.parent / "shared" / "devdata" / "cctv_full").glob("*.md"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if len(line.strip()) >= 60 and not line.startswith("#")
    ]
    return questions, random.Random(seed).sample(paragraphs, PARAGRAPHS)


def cosines(model: str, questions: list[str], paragraphs: list[str]):
    import numpy as np

    from qa.embeddings import load_embedder
    from qa.settings import EmbeddingSettings

    embedder = load_embedder(EmbeddingSettings(model=model))
    asked = np.vstack([embedder.embed_query(q) for q in questions])
    return np.sort((asked @ embedder.embed_documents(paragraphs).T).ravel())


def main() -> None:
    from qa.embeddings import USE_MODEL
    from qa.search.confidence import CONFIDENT_DENSE_COSINE, MIN_DENSE_COSINE

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    questions, paragraphs = background(args.seed)
    reference, other = cosines(USE_MODEL, questions, paragraphs), cosines(args.model, questions, paragraphs)
    mapped = {}
    for name, threshold in (("relevant", MIN_DENSE_COSINE), ("confident", CONFIDENT_DENSE_COSINE)):
        share_below = (reference < threshold).mean()
        mapped[name] = round(float(other[min(int(share_below * len(other)), len(other) - 1)]), 3)
        print(
            f"{name}: {USE_MODEL} {threshold:.2f} (reached by {1 - share_below:.2%} of {len(reference)} unrelated "
            f"pairs) → {args.model} {mapped[name]:.3f}"
        )
    # the scale map read by the Dify API's scores: the cosines both embedders reach at the same shares of pairs,
    # anchored at -1 and 1 so that a relevant pair above the unrelated ones maps between the top share and 1
    points = [(-1.0, -1.0)]
    for share in SCALE_SHARES:
        at = min(int(share * len(reference)), len(reference) - 1)
        points.append((round(float(other[at]), 4), round(float(reference[at]), 4)))
    mapped["scale"] = [*points, (1.0, 1.0)]
    print(
        f"median unrelated cosine: {USE_MODEL} {reference[len(reference) // 2]:.3f}, {args.model} {other[len(other) // 2]:.3f}"
    )
    if args.write:
        path = ROOT / "qa" / "data" / "dense_thresholds.json"
        table = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        table[args.model] = mapped
        path.write_text(json.dumps(table, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
