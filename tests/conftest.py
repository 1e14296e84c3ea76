from __future__ import annotations

import shutil
import socket
from pathlib import Path

import numpy as np
import pytest

from qa.embeddings import HashEmbedder, load_embedder
from qa.settings import EmbeddingSettings, Settings

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


def free_port() -> int:
    """A port on 127.0.0.1 nothing listens on, for the servers the tests start."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def embedder() -> HashEmbedder:
    """A deterministic model-free embedder: fast, for everything but measuring quality."""
    return HashEmbedder()


@pytest.fixture(scope="session")
def real_embedder():
    """The real offline default model (USE and e5-small together), loaded once per test session (tests using
    it are marked slow)."""
    return load_embedder(EmbeddingSettings())


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


def _seed_knowledge_base(folder: Path, embedder):
    from qa.index.knowledge_base import KnowledgeBase
    from qa.ingest.pipeline import ingest_paths

    results = ingest_paths([SEEDS], folder, Settings(index_dir=str(folder.parent)), embedder)
    assert all(r.status == "indexed" for r in results), results
    return KnowledgeBase(folder)


@pytest.fixture(scope="session")
def seed_kb(tmp_path_factory, embedder):
    """A knowledge base built once from the seeds with the test embedder, shared read-only."""
    kb = _seed_knowledge_base(tmp_path_factory.mktemp("seed-index") / "default", embedder)
    yield kb
    kb.close()


@pytest.fixture(scope="session")
def real_seed_kb(tmp_path_factory, real_embedder):
    """The seeds indexed with the real default model, as `make run` serves them (slow tests only)."""
    kb = _seed_knowledge_base(tmp_path_factory.mktemp("real-seed-index") / "default", real_embedder)
    yield kb
    kb.close()
