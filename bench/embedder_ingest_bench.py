"""Ingest speed and memory of each embedder on the same slice of real text, side by side in one run.

Usage: python bench/embedder_ingest_bench.py [--files 40] [--models use-multilingual-v3 e5-small] [--out bench/results]

The first --files broadcasts of ../shared/devdata/cctv_full (《新闻联播》 transcripts, sorted by date) are
ingested once per model, each in a process of its own (so that its peak memory is its alone), into a
temporary folder. Prints characters and passages per second, seconds spent embedding and peak RSS, and
writes embedder_ingest.json and .md. Machines are shared: compare the ratio of a run's two rows, not a
row with an earlier run's.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT.parent / "shared" / "devdata" / "cctv_full"


def one(model: str, files: int) -> dict:
    """Ingest in this process (run by main in a child process)."""
    sys.path.insert(0, str(ROOT))
    from qa.embeddings import load_embedder
    from qa.ingest.pipeline import ingest_paths
    from qa.settings import Settings

    settings = Settings().replace(embedding={"model": model})
    work = Path(tempfile.mkdtemp(prefix="qa-embench-"))
    try:
        picked = sorted(SOURCE.glob("*.md"))[:files]
        folder = work / "src"
        folder.mkdir()
        for path in picked:
            shutil.copy(path, folder / path.name)
        chars = sum(len(p.read_text(encoding="utf-8")) for p in picked)
        embedder = load_embedder(settings.embedding)
        start = time.perf_counter()
        results = ingest_paths(
            [folder], work / "index" / "default", settings.replace(index_dir=str(work / "index")), embedder
        )
        seconds = time.perf_counter() - start
        chunks = sum(r.chunks or 0 for r in results)
        return {
            "model": model,
            "files": len(picked),
            "indexed": sum(r.status == "indexed" for r in results),
            "characters": chars,
            "passages": chunks,
            "seconds": round(seconds, 1),
            "characters_per_second": round(chars / seconds),
            "passages_per_second": round(chunks / seconds, 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--models", nargs="+", default=["use-multilingual-v3", "e5-small"])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.files)))
        return
    rows = []
    for model in args.models:
        run = subprocess.run(
            [sys.executable, __file__, "--one", model, "--files", str(args.files)],
            capture_output=True,
            text=True,
            check=True,
        )
        rows.append(json.loads(run.stdout.strip().splitlines()[-1]))
        print(rows[-1], flush=True)
    keys = list(rows[0])
    lines = [
        "# Embedders: ingest speed and memory on real text",
        "",
        f"Command: `python bench/embedder_ingest_bench.py --files {args.files}` — the first {args.files} broadcasts of "
        "cctv_full, each model in a process of its own, in one run on this machine (2 cores).",
        "",
        "| " + " | ".join(keys) + " |",
        "|" + "---|" * len(keys),
        *("| " + " | ".join(str(r[k]) for k in keys) + " |" for r in rows),
    ]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "embedder_ingest.json").write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    (args.out / "embedder_ingest.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
