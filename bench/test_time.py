"""Wall-clock time of the test suite: an earlier commit's and this tree's, run one after the other on this machine.

Usage: python bench/test_time.py --base REV [--out bench/results]

The earlier commit is checked out in a temporary worktree and run with this tree's virtual environment
(its package shadowed by PYTHONPATH). Rows: the earlier bare ``pytest``, this tree's bare ``pytest``
(slow tests left out), and this tree's whole suite as ``make test`` runs it. Machines here are shared:
compare the rows of one run, not runs of different days.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(label: str, cwd: Path, args: list[str], env: dict[str, str]) -> tuple[str, float, str]:
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - start
    summary = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else proc.stderr.strip()[-200:]
    print(f"{label}: {seconds:.1f} s — {summary}", flush=True)
    return label, seconds, summary


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True, help="the earlier commit to compare with")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "old"
        subprocess.run(["git", "worktree", "add", "--detach", str(old), args.base], cwd=ROOT, check=True)
        try:
            rows.append(_run(f"{args.base[:7]}: pytest", old, [], {**env, "PYTHONPATH": str(old)}))
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(old)], cwd=ROOT, check=True)
    rows.append(_run("this tree: pytest (slow left out)", ROOT, [], env))
    rows.append(_run("this tree: make test's pytest (all)", ROOT, ["-m", "slow or not slow"], env))
    lines = [
        "# Test suite wall-clock time",
        "",
        f"Command: `python bench/test_time.py --base {args.base[:7]}` (one run, rows one after the other)",
        "",
        "| run | seconds | result |",
        "|---|---:|---|",
        *(f"| {label} | {seconds:.1f} | {summary} |" for label, seconds, summary in rows),
        "",
        f"Bare pytest: {rows[1][1] / rows[0][1]:.2f}× the earlier suite's time.",
    ]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "test_time.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
