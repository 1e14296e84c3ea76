"""The dense vectors of one segment: one vector per chunk in a FAISS index, and one per sentence in
a memory-mapped float16 matrix. Rows are positions in the segment (``qa.index.segments`` maps them to
chunk ids); a segment never changes once written, so the index needs no id map.

Search runs over the chunk vectors only; sentence vectors re-score the candidates (a chunk's dense
score is the mean of its own cosine and its best sentence's), so a query costs one chunk search
plus a few hundred small dot products whatever the corpus size.

The chunk index is exact (flat inner product) while the knowledge base holds at most
``approximate_above`` chunks; beyond that, segments of more than MIN_IVF_ROWS are IVF (lists = 4·√N,
``nprobe`` lists searched per query). The kind is recorded with the segment.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

APPROXIMATE_ABOVE = 200_000
MIN_IVF_ROWS = 10_000  # smaller segments stay flat: scanning them costs about a millisecond each
NPROBE = 32


def _random_access(array: np.ndarray) -> None:
    """Queries read a few hundred scattered rows: without this hint the kernel's read-ahead pulls in
    (and keeps resident) far more of the file than is ever used."""
    import mmap

    handle = getattr(array, "_mmap", None)
    if handle is not None and hasattr(mmap, "MADV_RANDOM"):
        handle.madvise(mmap.MADV_RANDOM)


def ivf_threshold(total_chunks: int, approximate_above: int = APPROXIMATE_ABOVE) -> int:
    """Rows above which a segment's chunk index is IVF. While the whole knowledge base is at most
    ``approximate_above`` chunks, exact search over all of it is fast enough and every segment is flat;
    beyond that, every segment of more than MIN_IVF_ROWS is IVF, so a query scans no large flat segment."""
    return approximate_above if total_chunks <= approximate_above else min(approximate_above, MIN_IVF_ROWS)


def ivf_lists(count: int) -> int:
    return max(1, int(4 * math.sqrt(count)))


def training_rows(count: int) -> np.ndarray:
    """Positions of the vectors an IVF index of ``count`` vectors is trained on (64 per list)."""
    return np.sort(np.random.default_rng(0).choice(count, min(count, 64 * ivf_lists(count)), replace=False))


def empty_chunk_index(dim: int, count: int, threshold: int, training: np.ndarray | None = None):
    """An empty FAISS inner-product index for ``count`` vectors: flat, or IVF (trained on ``training``)
    when ``count`` is above ``threshold``. Vectors are then added in row order (row i under id i)."""
    import faiss

    if count <= threshold:
        return faiss.IndexFlatIP(dim)
    index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, ivf_lists(count), faiss.METRIC_INNER_PRODUCT)
    index.train(np.ascontiguousarray(training, dtype=np.float32))
    index.set_direct_map_type(faiss.DirectMap.Array)  # reconstruct by row
    index.nprobe = NPROBE
    return index


def chunk_index(vectors: np.ndarray, threshold: int = APPROXIMATE_ABOVE):
    """A FAISS index over ``vectors`` (row i under id i): flat, or IVF above ``threshold`` rows."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    count, dim = vectors.shape
    index = empty_chunk_index(dim, count, threshold, vectors[training_rows(count)] if count > threshold else None)
    for start in range(0, count, 65536):
        index.add(vectors[start : start + 65536])
    return index


class DenseVectors:
    def __init__(self, index, sentence_vectors: np.ndarray, sentence_rows: np.ndarray) -> None:
        self.index = index  # chunk vectors, row i under id i
        self.sentence_vectors = sentence_vectors  # float16 [S, d], grouped by chunk row, rows ascending
        self.sentence_rows = sentence_rows  # int64 [S]: the chunk row of each sentence

    @property
    def kind(self) -> str:
        return "ivf" if hasattr(self.index, "nprobe") else "flat"

    @classmethod
    def build(
        cls,
        vectors: np.ndarray,
        sentence_vectors: np.ndarray,
        sentence_rows: np.ndarray,
        ivf_above: int = APPROXIMATE_ABOVE,
    ) -> DenseVectors:
        sentence_vectors = np.asarray(sentence_vectors, dtype=np.float16)
        sentence_rows = np.asarray(sentence_rows, dtype=np.int64)
        if np.any(np.diff(sentence_rows) < 0):  # ingest writes them in order; anything else is sorted
            order = np.argsort(sentence_rows, kind="stable")
            sentence_vectors, sentence_rows = sentence_vectors[order], sentence_rows[order]
        return cls(chunk_index(vectors, ivf_above), sentence_vectors, sentence_rows)

    @classmethod
    def load(cls, folder: Path, nprobe: int = NPROBE) -> DenseVectors:
        import faiss

        # memory-mapped, not read: resident memory is what queries touch (for IVF, the lists probed),
        # shared by every process serving the knowledge base, and opening costs nothing
        index = faiss.read_index(str(folder / "dense.faiss"), faiss.IO_FLAG_MMAP_IFC)
        if hasattr(index, "nprobe"):
            index.nprobe = nprobe
        sentences = np.load(folder / "sentences.npy", mmap_mode="r", allow_pickle=False)
        _random_access(sentences)
        return cls(index, sentences, np.load(folder / "sentence_rows.npy", mmap_mode="r", allow_pickle=False))

    def save(self, folder: Path) -> None:
        import faiss

        faiss.write_index(self.index, str(folder / "dense.faiss"))
        np.save(folder / "sentences.npy", np.ascontiguousarray(self.sentence_vectors), allow_pickle=False)
        np.save(folder / "sentence_rows.npy", np.ascontiguousarray(self.sentence_rows), allow_pickle=False)

    @property
    def count(self) -> int:
        return int(self.index.ntotal)

    @property
    def sentence_count(self) -> int:
        return int(self.sentence_rows.shape[0])

    def chunk_vectors(self) -> np.ndarray:
        """All chunk vectors by row (float32), for merging segments."""
        return self.index.reconstruct_n(0, self.count)

    # ------------------------------------------------------------------ reads

    def search(
        self, query: np.ndarray, n: int, allowed: np.ndarray | None = None, excluded: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """The n rows with the highest cosine, among ``allowed`` rows (all when None) minus ``excluded``."""
        import faiss

        n = min(n, self.count if allowed is None else allowed.size)
        if n <= 0:
            return []
        selector = None
        if allowed is not None:
            selector = faiss.IDSelectorBatch(allowed.astype(np.int64))
        elif excluded is not None and excluded.size:
            selector = faiss.IDSelectorNot(faiss.IDSelectorBatch(excluded.astype(np.int64)))
        params = None
        if selector is not None:
            params = (
                faiss.SearchParametersIVF(sel=selector, nprobe=self.index.nprobe)
                if self.kind == "ivf"
                else faiss.SearchParameters(sel=selector)
            )
        scores, rows = self.index.search(query.reshape(1, -1).astype(np.float32), n, params=params)
        return [(int(r), float(s)) for r, s in zip(rows[0], scores[0], strict=True) if r >= 0]

    def chunk_cosines(self, rows: list[int], query: np.ndarray) -> dict[int, float]:
        """Cosine of each row's chunk vector with the query."""
        return {int(r): float(self.index.reconstruct(int(r)) @ query) for r in rows}

    def best_sentence(self, rows: list[int], query: np.ndarray) -> dict[int, float]:
        """The highest sentence cosine of each row's chunk."""
        if not rows:
            return {}
        wanted = np.asarray(rows, dtype=np.int64)
        starts = np.searchsorted(self.sentence_rows, wanted, side="left")
        ends = np.searchsorted(self.sentence_rows, wanted, side="right")
        picked = np.concatenate([np.arange(s, e) for s, e in zip(starts, ends, strict=True)])
        scores = np.asarray(self.sentence_vectors[picked], dtype=np.float32) @ query.astype(np.float32)
        best: dict[int, float] = {}
        position = 0
        for row, s, e in zip(rows, starts, ends, strict=True):
            if e > s:
                best[int(row)] = float(scores[position : position + (e - s)].max())
            position += e - s
        return best
