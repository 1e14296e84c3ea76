"""The dense vectors of one knowledge-base generation: one vector per chunk in a FAISS index, and
one per sentence in a memory-mapped float16 matrix.

Search runs over the chunk vectors only; sentence vectors re-score the candidates (a chunk's dense
score is the mean of its own cosine and its best sentence's), so a query costs one chunk search
plus a few hundred small dot products whatever the corpus size.

The chunk index is exact (flat inner product) up to ``approximate_above`` chunks and IVF above it
(lists = 4·√N, ``nprobe`` lists searched per query); the kind is recorded in the generation's
meta.json and the manifest.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

APPROXIMATE_ABOVE = 200_000
NPROBE = 32


def _random_access(array: np.ndarray) -> None:
    """Queries read a few hundred scattered rows: without this hint the kernel's read-ahead pulls in
    (and keeps resident) far more of the file than is ever used."""
    import mmap

    handle = getattr(array, "_mmap", None)
    if handle is not None and hasattr(mmap, "MADV_RANDOM"):
        handle.madvise(mmap.MADV_RANDOM)


class DenseVectors:
    def __init__(self, index, sentence_vectors: np.ndarray, sentence_ids: np.ndarray, kind: str) -> None:
        self.index = index  # chunk vectors under chunk ids
        self.sentence_vectors = sentence_vectors  # float16 [S, d], rows grouped by chunk id, ids ascending
        self.sentence_ids = sentence_ids  # int64 [S]: the chunk id of each row
        self.kind = kind  # "flat" | "ivf"

    @classmethod
    def empty(cls, dim: int) -> DenseVectors:
        import faiss

        return cls(
            faiss.IndexIDMap2(faiss.IndexFlatIP(dim)),
            np.zeros((0, dim), dtype=np.float16),
            np.zeros(0, dtype=np.int64),
            "flat",
        )

    @classmethod
    def load(cls, folder: Path, kind: str, nprobe: int = NPROBE) -> DenseVectors:
        import faiss

        index = faiss.read_index(str(folder / "dense.faiss"))
        if kind == "ivf":
            index.nprobe = nprobe
        sentences = np.load(folder / "sentences.npy", mmap_mode="r", allow_pickle=False)
        _random_access(sentences)
        return cls(index, sentences, np.load(folder / "sentence_ids.npy", mmap_mode="r", allow_pickle=False), kind)

    def save(self, folder: Path) -> None:
        import faiss

        faiss.write_index(self.index, str(folder / "dense.faiss"))
        np.save(folder / "sentences.npy", np.ascontiguousarray(self.sentence_vectors), allow_pickle=False)
        np.save(folder / "sentence_ids.npy", np.ascontiguousarray(self.sentence_ids), allow_pickle=False)

    @property
    def count(self) -> int:
        return int(self.index.ntotal)

    @property
    def sentence_count(self) -> int:
        return int(self.sentence_ids.shape[0])

    # ------------------------------------------------------------------ writes

    def changed(
        self,
        removed: np.ndarray,
        ids: np.ndarray,
        vectors: np.ndarray,
        sentence_vectors: np.ndarray,
        sentence_ids: np.ndarray,
        approximate_above: int = APPROXIMATE_ABOVE,
    ) -> DenseVectors:
        """A new DenseVectors with chunk ids ``removed`` gone and the new chunks added (ids above all existing)."""
        if removed.size:
            self.index.remove_ids(removed)
        if ids.size:
            self.index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids)
        keep = ~np.isin(self.sentence_ids, removed) if removed.size else slice(None)
        sentences = np.concatenate([self.sentence_vectors[keep], sentence_vectors.astype(np.float16)])
        owners = np.concatenate([self.sentence_ids[keep], sentence_ids.astype(np.int64)])
        updated = DenseVectors(self.index, sentences, owners, self.kind)
        if self.kind == "flat" and updated.count > approximate_above:
            updated = updated.as_ivf()
        return updated

    def as_ivf(self) -> DenseVectors:
        """The same vectors in an IVF index (trained on a sample of them)."""
        import faiss

        ids = faiss.vector_to_array(self.index.id_map)
        vectors = self.index.index.reconstruct_n(0, self.count)  # by position; the id map holds the ids
        dim = vectors.shape[1]
        lists = max(1, int(4 * math.sqrt(len(ids))))
        quantizer = faiss.IndexFlatIP(dim)
        index = faiss.IndexIVFFlat(quantizer, dim, lists, faiss.METRIC_INNER_PRODUCT)
        sample = vectors[np.random.default_rng(0).choice(len(vectors), min(len(vectors), 64 * lists), replace=False)]
        index.train(sample)
        index.set_direct_map_type(faiss.DirectMap.Hashtable)  # reconstruct and remove by chunk id
        index.add_with_ids(vectors, ids)
        index.nprobe = NPROBE
        return DenseVectors(index, self.sentence_vectors, self.sentence_ids, "ivf")

    # ------------------------------------------------------------------ reads

    def search(self, query: np.ndarray, n: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """The n chunks with the highest cosine (chunk vectors only), restricted to ``allowed`` ids."""
        import faiss

        n = min(n, self.count if allowed is None else allowed.size)
        if n <= 0:
            return []
        params = None
        if allowed is not None:
            selector = faiss.IDSelectorBatch(allowed)
            params = (
                faiss.SearchParametersIVF(sel=selector, nprobe=self.index.nprobe)
                if self.kind == "ivf"
                else faiss.SearchParameters(sel=selector)
            )
        scores, ids = self.index.search(query.reshape(1, -1).astype(np.float32), n, params=params)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

    def chunk_cosines(self, chunk_ids: list[int], query: np.ndarray) -> dict[int, float]:
        """Cosine of each chunk's vector with the query."""
        return {int(c): float(self.index.reconstruct(int(c)) @ query) for c in chunk_ids}

    def best_sentence(self, chunk_ids: list[int], query: np.ndarray) -> dict[int, float]:
        """The highest sentence cosine of each chunk."""
        if not chunk_ids:
            return {}
        wanted = np.asarray(chunk_ids, dtype=np.int64)
        starts = np.searchsorted(self.sentence_ids, wanted, side="left")
        ends = np.searchsorted(self.sentence_ids, wanted, side="right")
        rows = np.concatenate([np.arange(s, e) for s, e in zip(starts, ends, strict=True)]) if len(wanted) else []
        scores = np.asarray(self.sentence_vectors[rows], dtype=np.float32) @ query.astype(np.float32)
        best: dict[int, float] = {}
        position = 0
        for chunk_id, s, e in zip(chunk_ids, starts, ends, strict=True):
            if e > s:
                best[int(chunk_id)] = float(scores[position : position + (e - s)].max())
            position += e - s
        return best
