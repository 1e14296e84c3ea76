"""kill -9 at random moments of incremental ingests: the knowledge base always opens consistent and
searchable, holds either the state before or after the interrupted ingest, and the next ingest completes."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from qa.index.knowledge_base import KnowledgeBase
from qa.ingest.pipeline import ingest_paths
from qa.search.hybrid import HybridRetriever
from qa.settings import EmbeddingSettings, Settings

ROOT = Path(__file__).resolve().parent.parent
TRIALS = 30
INGEST = (
    "import sys; from pathlib import Path; from qa.embeddings import HashEmbedder;"
    "from qa.ingest.pipeline import ingest_paths; from qa.settings import EmbeddingSettings, Settings;"
    "ingest_paths([Path(sys.argv[1])], Path(sys.argv[2]), Settings(embedding=EmbeddingSettings(model='hash-test')),"
    " HashEmbedder())"
)


def _documents(folder: Path, embedder) -> tuple[int, list]:
    kb = KnowledgeBase(folder)  # raises unless SQLite, segments and manifest agree
    try:
        hits = HybridRetriever(kb, embedder).search("村集体经济", k=3)
        return len(kb.documents()), hits
    finally:
        kb.close()


@pytest.mark.slow
def test_kill_9_at_random_moments_never_leaves_a_broken_knowledge_base(tmp_path, embedder):
    source, folder = tmp_path / "reports", tmp_path / "kb" / "default"
    source.mkdir()
    seeds = sorted((ROOT / "seeds").glob("*.txt"))
    for n in range(40):  # enough work that a kill lands in parsing, embedding or writing
        text = seeds[n % len(seeds)].read_text(encoding="utf-8")
        (source / f"r{n:02d}.txt").write_text(f"{text}\n第{n}份材料。", encoding="utf-8")
    settings = Settings(embedding=EmbeddingSettings(model="hash-test"))
    ingest_paths([source], folder, settings, embedder)

    def run_ingest() -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-c", INGEST, str(source), str(folder)], cwd=ROOT)

    def change(trial: int) -> None:
        """One report edited, one added: the ingest replaces one document and adds another."""
        edited = source / f"r{trial % 40:02d}.txt"
        edited.write_text(edited.read_text(encoding="utf-8") + f"\n第{trial}次修改。", encoding="utf-8")
        (source / f"new{trial:02d}.txt").write_text(
            seeds[trial % len(seeds)].read_text(encoding="utf-8") + f"\n新增{trial}", encoding="utf-8"
        )

    change(100)
    start = time.perf_counter()
    assert run_ingest().wait(timeout=300) == 0
    full = time.perf_counter() - start  # one whole incremental ingest, interpreter start included
    rng = random.Random(29)
    killed_during = 0
    for trial in range(TRIALS):
        before, _ = _documents(folder, embedder)
        change(trial)
        proc = run_ingest()
        time.sleep(rng.uniform(0.3, 1.1) * full)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            killed_during += 1
        proc.wait(timeout=300)
        after, hits = _documents(folder, embedder)
        # all or nothing: the new files (this trial's, and those of earlier killed ones) are in only if
        # the whole write committed
        on_disk = len(list(source.glob("*.txt")))
        assert after in (before, on_disk) and hits, (trial, before, after, on_disk)
    assert killed_during >= TRIALS * 2 // 3  # most kills landed inside an ingest, not after it
    results = ingest_paths([source], folder, settings, embedder)  # the next ingest completes
    assert all(r.status in ("indexed", "replaced", "unchanged") for r in results)
    count, _ = _documents(folder, embedder)
    assert count == 40 + 1 + TRIALS  # every report, the calibration one and one per trial
    kb = KnowledgeBase(folder)
    listed = {f"seg-{n}" for (n,) in kb.conn.execute("SELECT number FROM segments")}
    kb.close()
    assert {p.name for p in (folder / "segments").iterdir()} == listed  # nothing half-written left behind
