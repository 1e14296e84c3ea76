"""Rebuild qa/data/stated_model.json: the linear model saying whether passages state what a question asks
(qa.answer.stated).

Usage: python bench/train_stated_model.py [--seed 13] [--check]   (needs `pip install -e '.[train]'`)

Data: DRCD (Delta Reading Comprehension Dataset, Traditional Chinese Wikipedia paragraphs; CC BY-SA 3.0; Shao et
al. 2018), dev and test files as published in ../shared/devdata/drcd, converted to Simplified characters with
OpenCC. Each question (7,017) gives two examples, the SQuAD 2.0 recipe:
- stated: its paragraph and the two other paragraphs of its article sharing most of its character pairs;
- not stated, its twin: the same three paragraphs with every sentence holding the answer taken out — the same
  topic and mostly the same words, the answer gone.
The question's words are weighed by their idf over DRCD's paragraphs, as the knowledge base weighs them at
run time. A logistic regression (scikit-learn, L2, C=1) is fitted to all of it; with --check a fifth of the
articles (chosen by the seed) is held out and the held-out AUC printed beside each feature's own.
None of the project's question sets is trained on: the threshold in qa.answer.answerer was chosen on their
tuning halves and is reported on their check halves (bench/results/decisions.md).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

OTHER_PARAGRAPHS = 2


def load_articles(folder: Path) -> list[dict]:
    from opencc import OpenCC

    simplified = OpenCC("t2s").convert
    articles = []
    for name in ("DRCD_dev.json", "DRCD_test.json"):
        for article in json.loads((folder / name).read_text(encoding="utf-8"))["data"]:
            paragraphs = []
            for paragraph in article["paragraphs"]:
                questions = [
                    (simplified(qa["question"]), sorted({simplified(a["text"]) for a in qa["answers"]}))
                    for qa in paragraph["qas"]
                ]
                paragraphs.append((simplified(paragraph["context"]), questions))
            articles.append(
                {"id": f"{name}:{article['id']}", "title": simplified(article["title"]), "paragraphs": paragraphs}
            )
    return articles


def examples(articles: list[dict]) -> list[tuple[str, dict, int]]:
    """(article id, features, 1 stated / 0 not) for every question and its twin."""
    from qa.answer.stated import Evidence, features
    from qa.index.bm25 import bm25_idf
    from qa.search.confidence import question_words
    from qa.search.query import normalise_query
    from qa.search.question import analyse
    from qa.text import char_pairs, sentences, words

    contexts = [context for article in articles for context, _ in article["paragraphs"]]
    frequency: dict[str, int] = {}
    for context in contexts:
        for word in set(words(context)):
            frequency[word] = frequency.get(word, 0) + 1
    rows = []
    for article in articles:
        for n, (context, questions) in enumerate(article["paragraphs"]):
            for question, answers in questions:
                idf = {
                    w: bm25_idf(frequency.get(w, 0), len(contexts)) for w in question_words(normalise_query(question))
                }
                if not idf or not any(answer in context for answer in answers):
                    continue
                asked, pairs = analyse(question), char_pairs(question)
                others = [c for m, (c, _) in enumerate(article["paragraphs"]) if m != n]
                others.sort(key=lambda c: -len(char_pairs(c) & pairs))
                texts = [context, *others[:OTHER_PARAGRAPHS]]
                without = [
                    "".join(s for s in sentences(t, min_chars=1) if not any(a in s for a in answers)) for t in texts
                ]
                rows.append((article["id"], features(asked, idf, [Evidence(article["title"], t) for t in texts]), 1))
                rows.append((article["id"], features(asked, idf, [Evidence(article["title"], t) for t in without]), 0))
    return rows


def fit(rows: list[tuple[str, dict, int]]):
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = DictVectorizer()
    matrix = vectorizer.fit_transform([r[1] for r in rows])
    # the bias is a feature of its own, so the fitted intercept is left at zero
    model = LogisticRegression(C=1.0, max_iter=3000, fit_intercept=False).fit(matrix, [r[2] for r in rows])
    return dict(zip(vectorizer.feature_names_, (float(w) for w in model.coef_[0]), strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drcd", type=Path, default=ROOT.parent / "shared" / "devdata" / "drcd")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    rows = examples(load_articles(args.drcd))
    print(f"{len(rows) // 2} questions, each with its twin", flush=True)
    if args.check:
        from sklearn.metrics import roc_auc_score

        articles = sorted({r[0] for r in rows})
        held = set(random.Random(args.seed).sample(articles, len(articles) // 5))
        weights = fit([r for r in rows if r[0] not in held])
        test = [r for r in rows if r[0] in held]
        labels = [r[2] for r in test]
        scores = [sum(weights.get(k, 0.0) * v for k, v in r[1].items()) for r in test]
        print(f"held-out articles: AUC {roc_auc_score(labels, scores):.3f} over {len(test)} examples")
        for name in ("win", "sent", "typed_win", "stated_win", "reader", "pairs"):
            print(f"  {name} alone: AUC {roc_auc_score(labels, [r[1][name] for r in test]):.3f}")
        return
    weights = fit(rows)
    out = ROOT / "qa" / "data" / "stated_model.json"
    out.write_text(
        json.dumps(
            {
                "model": "logistic regression over qa.answer.stated features",
                "trained_on": "DRCD dev+test (CC BY-SA 3.0, Shao et al. 2018), converted to Simplified with OpenCC, each question with its twin whose answer sentences are taken out",
                "rebuild": f"python bench/train_stated_model.py --seed {args.seed}",
                "weights": {k: round(v, 5) for k, v in sorted(weights.items()) if abs(v) >= 1e-5},
            },
            ensure_ascii=False,
            indent=1,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
