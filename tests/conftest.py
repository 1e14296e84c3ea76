from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from qa.embeddings import UseEmbedder
from qa.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


@pytest.fixture(scope="session")
def embedder() -> UseEmbedder:
    """The real offline default model, loaded once per test session."""
    return UseEmbedder()


class CountingEmbedder:
    """Wraps a real embedder and counts how many texts it was asked to embed."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.name = inner.name
        self.embedded = 0

    @property
    def dim(self) -> int:
        return self.inner.dim

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        self.embedded += len(texts)
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> np.ndarray:
        return self.inner.embed_query(text)


@pytest.fixture
def counting_embedder(embedder) -> CountingEmbedder:
    return CountingEmbedder(embedder)


@pytest.fixture
def settings(tmp_path) -> dict:
    s = Settings(index_dir=str(tmp_path / "index"))
    return s


@pytest.fixture
def seed_copy(tmp_path) -> Path:
    """A private copy of the seed reports, safe to modify."""
    folder = tmp_path / "seeds"
    shutil.copytree(SEEDS, folder)
    return folder


@pytest.fixture(scope="session")
def seed_kb(tmp_path_factory, embedder):
    """A knowledge base built once from the seeds, shared read-only by search tests."""
    from qa.index.knowledge_base import KnowledgeBase
    from qa.ingest.pipeline import ingest_paths

    s = Settings(index_dir=str(tmp_path_factory.mktemp("seed-index")))
    folder = Path(s.index_dir) / "default"
    results = ingest_paths([SEEDS], folder, s, embedder)
    assert all(r.status == "indexed" for r in results), results
    kb = KnowledgeBase(folder)
    yield kb
    kb.close()
