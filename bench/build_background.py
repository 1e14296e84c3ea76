"""Rebuild qa/data/background_df.tsv: in how many news segments of ../shared/devdata/cctv_full each word
occurs — the background that tells a specific term (宅基地, 护林员) from an everyday one (年轻人, 发展).

Usage: python bench/build_background.py [--source ../shared/devdata/cctv_full] [--min-df 2]

Each 《新闻联播》 segment (a ``###`` heading and its text) is one document; words are jieba's precise-mode
words (qa.text.words, the same the question analysis uses), two characters or more, with at least one
Chinese character. Only counts are written, no text: the transcripts belong to their publishers (public
repository yuekcc/cctv_news) and stay outside the project. Deterministic: the same source gives the
same file.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TARGET = ROOT / "qa" / "data" / "background_df.tsv"
_CJK = re.compile(r"[\u4e00-\u9fff]")


def segments(folder: Path):
    for path in sorted(folder.glob("*.md")):
        for part in re.split(r"^###\s", path.read_text(encoding="utf-8"), flags=re.M)[1:]:
            if part.strip():
                yield part


def main() -> None:
    from qa.text import words

    parser = argparse.ArgumentParser()
    parser.add_argument("--source", type=Path, default=ROOT.parent / "shared" / "devdata" / "cctv_full")
    parser.add_argument("--min-df", type=int, default=2)
    args = parser.parse_args()
    df: Counter[str] = Counter()
    count = 0
    for count, text in enumerate(segments(args.source), 1):
        df.update({w for w in words(text) if len(w) > 1 and _CJK.search(w)})
        if count % 5000 == 0:
            print(f"{count} segments, {len(df)} words", flush=True)
    kept = sorted((w, n) for w, n in df.items() if n >= args.min_df)
    lines = [f"# segments\t{count}", *(f"{w}\t{n}" for w, n in kept)]
    TARGET.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(
        f"{count} segments; {len(kept)} words with df ≥ {args.min_df} → {TARGET} ({TARGET.stat().st_size // 1024} KB)"
    )


if __name__ == "__main__":
    main()
