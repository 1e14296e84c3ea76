"""The two seams of the index: what a search reads (``SearchIndex``) and what a write hands to the
backend that holds the vectors (``BackendWriter``). Two backends fill both: FAISS segments on disk
(``qa.index.faiss_backend``) and Milvus (``qa.index.milvus``)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from qa.model import PreparedDocument, Scope


@runtime_checkable
class SearchIndex(Protocol):
    """Chunk vectors, sentence vectors and the BM25 leg, searched by chunk id."""

    @property
    def kind(self) -> str: ...  # "flat", "ivf", "mixed" or "milvus", shown to users

    @property
    def count(self) -> int: ...

    @property
    def sentence_count(self) -> int: ...

    def search(self, query: np.ndarray, n: int, allowed: Scope | None = None) -> list[tuple[int, float]]: ...

    def lexical(self, weights: dict[int, float], n: int, allowed: Scope | None = None) -> list[tuple[int, float]]: ...

    def chunk_cosines(self, chunk_ids: list[int], query: np.ndarray) -> dict[int, float]: ...

    def best_sentence(self, chunk_ids: list[int], query: np.ndarray) -> dict[int, float]: ...


@dataclass
class WritePlan:
    """One write, decided before anything is written: what goes, what comes and under which ids."""

    folder: Path
    manifest: dict[str, str]  # as before the write
    fresh: bool  # a new knowledge base, or one of an older layout whose documents all go
    additions: list[PreparedDocument]
    removals: list[int]  # document ids
    removed_chunks: np.ndarray  # their chunk ids
    chunk_ids: list[np.ndarray]  # per addition, the ids of its chunks
    article_ids: list[list[int]]  # per addition, the ids of its articles
    next_chunk_id: int  # after this write
    next_article_id: int
    df_change: dict[str, int]  # BM25 document-frequency change per term
    bm25_docs: int  # chunks after the write
    bm25_length: int  # their total token count
    purge: bool  # removed vectors leave the disk in this write

    @property
    def generation(self) -> int:
        return int(self.manifest.get("generation", 0))


class BackendWriter(Protocol):
    """A backend's own part of a write: ``stage`` writes everything outside SQLite that readers do not
    see yet and returns its manifest entries; ``commit`` adds its rows inside the switch transaction;
    ``after_commit`` removes what the switch made obsolete."""

    def stage(self, conn: sqlite3.Connection, plan: WritePlan) -> dict[str, object]: ...

    def commit(self, conn: sqlite3.Connection, plan: WritePlan) -> None: ...

    def after_commit(self, conn: sqlite3.Connection, plan: WritePlan) -> None: ...
