"""Hostile and malformed files ingested in batches beside good ones (tests/hostile_files.py), as figures.

Usage: python bench/hostile_bench.py [--out bench/results]
Writes hostile.md: batches aborted, good files indexed, files without exactly one result row, peak memory.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        run = subprocess.run(
            [sys.executable, "-m", "tests.hostile_files", work], cwd=ROOT, capture_output=True, text=True, check=True
        )
    report = json.loads(run.stdout.splitlines()[-1])
    good = report["good"]
    lines = [
        "# Hostile files beside good ones",
        "",
        "Command: `python bench/hostile_bench.py` (tests/hostile_files.py in a process of its own: bit flips,",
        "truncations, random bytes, empty and NUL files, a 300 MB zip bomb, ZIPs whose directory lies about a",
        "member's size (docx, odt, OFD), 12,000-member archives, a 30,000² PNG, XML entity bombs, YAML alias",
        "bombs, a name that is not UTF-8, links to /dev/zero, a FIFO, a missing file, hostile names).",
        "",
        "| figure | value |",
        "|---|---:|",
        f"| files | {report['files']} |",
        f"| batches aborted (an exception out of ingest_paths) | {len(report['errors'])} |",
        f"| good files indexed | {good - len(report['good_not_indexed'])} / {good} |",
        f"| result rows / files | {report['rows']} / {report['files']} |",
        f"| files without a row | {len(report['without_row'])} |",
        f"| refusals without a Chinese reason | {len(report['reasons_not_chinese'])} |",
        f"| peak resident memory (MB) | {report['peak_rss_mb']:.0f} |",
        "",
        "Results by status: " + ", ".join(f"{k} {v}" for k, v in sorted(report["statuses"].items())),
        "",
    ]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "hostile.md").write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
