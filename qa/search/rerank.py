"""An optional cross-encoder that reorders the top fused passages (``retrieval.reranker``)."""

from __future__ import annotations

from typing import Protocol

from qa.errors import EmbedderError
from qa.settings import RetrievalSettings


class Reranker(Protocol):
    """Scores (query, passage) pairs; higher is more relevant."""

    def score(self, query: str, passages: list[str]) -> list[float]: ...


class CrossEncoderReranker:
    """A sentence-transformers CrossEncoder, by model name or local folder."""

    def __init__(self, model: str) -> None:
        from sentence_transformers import CrossEncoder

        try:
            self.model = CrossEncoder(model, device="cpu")
        except (OSError, ValueError) as exc:
            raise EmbedderError(
                f"无法加载重排序模型 “{model}”：请把 config.yaml 的 retrieval.reranker 设为本机已有的"
                f" CrossEncoder 模型文件夹，或删去该项关闭重排序。原因：{exc}"
            ) from exc
        self.name = model

    def score(self, query: str, passages: list[str]) -> list[float]:
        return [float(s) for s in self.model.predict([(query, p) for p in passages], show_progress_bar=False)]


def load_reranker(settings: RetrievalSettings) -> Reranker | None:
    """The reranker named by ``retrieval.reranker``, or None (the default: no weights ship offline)."""
    return CrossEncoderReranker(settings.reranker) if settings.reranker else None
