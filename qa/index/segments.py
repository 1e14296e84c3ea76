"""A knowledge base's search data as a list of immutable segments, as in Lucene.

Each write adds one segment holding its new chunks (chunk and sentence vectors, BM25 postings)
instead of rewriting the whole index, so adding 1% more reports costs about 1% of a full build.
Removed chunks become tombstones (the ``deleted_chunks`` table) until their segment is rewritten.
Segments hold adjacent chunk-id ranges, ordered by id; a log merge policy keeps them few (see
``qa.index.merging.next_merge``): MERGE_FACTOR adjacent segments of similar size are merged into one, so over its
life a chunk is rewritten about log10(N) times and a query visits a handful of segments.

Layout of ``<kb>/segments/seg-<n>/``: ids.npy (the chunk id of each row, ascending), dense.faiss,
sentences.npy + sentence_rows.npy (see ``qa.index.vectors``), bm25/ (see ``qa.text.Postings``),
meta.json. A segment folder is complete before SQLite lists it; folders SQLite does not list are
leftovers of an interrupted write and are removed by the next one.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.index.bm25 import Postings
from qa.index.vectors import APPROXIMATE_ABOVE, DenseVectors
from qa.model import Scope


@dataclass
class SegmentInfo:
    """A row of the ``segments`` table."""

    number: int
    first_id: int
    rows: int
    deleted: int
    dense_index: str

    @property
    def live(self) -> int:
        return self.rows - self.deleted


def segment_dir(folder: Path, number: int) -> Path:
    return folder / "segments" / f"seg-{number}"


def _finish(tmp: Path, final: Path) -> None:
    """fsync every file of ``tmp``, then rename it to ``final`` (the folder appears complete or not at all)."""
    for path in tmp.rglob("*"):
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
    os.replace(tmp, final)
    dir_fd = os.open(final.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


@contextmanager
def _npy_writer(path: Path, dtype, shape: tuple[int, ...]):
    """A .npy file written block by block with plain writes (no output mapping held in memory)."""
    with open(path, "wb") as handle:
        header = {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)), "fortran_order": False, "shape": shape}
        np.lib.format.write_array_header_1_0(handle, header)
        yield lambda block: handle.write(np.ascontiguousarray(block, dtype=dtype).tobytes())


def _start(folder: Path, number: int) -> tuple[Path, Path]:
    final = segment_dir(folder, number)
    tmp = final.with_name(final.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    return tmp, final


def _write_meta(tmp: Path, info: SegmentInfo, sentences: int) -> None:
    meta = {"number": info.number, "first_id": info.first_id, "rows": info.rows, "sentences": sentences}
    (tmp / "meta.json").write_text(json.dumps({**meta, "dense_index": info.dense_index}), encoding="utf-8")


def write_segment(
    folder: Path,
    number: int,
    ids: np.ndarray,
    vectors: np.ndarray,
    sentence_vectors: np.ndarray,
    sentence_rows: np.ndarray,
    postings: Postings,
    ivf_above: int = APPROXIMATE_ABOVE,
) -> SegmentInfo:
    """A new segment from one write's chunks (``ids`` ascending, one vector and posting row each)."""
    tmp, final = _start(folder, number)
    dense = DenseVectors.build(vectors, sentence_vectors, sentence_rows, ivf_above)
    dense.save(tmp)
    postings.save(tmp / "bm25")
    np.save(tmp / "ids.npy", np.asarray(ids, dtype=np.int64), allow_pickle=False)
    info = SegmentInfo(number, int(ids[0]), len(ids), 0, dense.kind)
    _write_meta(tmp, info, dense.sentence_count)
    _finish(tmp, final)
    return info


def _prefetch(paths: list[Path]) -> None:
    """Ask the kernel to read the files every query touches into the page cache, in the background:
    they are memory-mapped, and the first queries after opening would otherwise wait on the disk."""
    if not hasattr(os, "posix_fadvise"):
        return

    def advise() -> None:
        for path in paths:
            try:
                fd = os.open(path, os.O_RDONLY)
            except OSError:
                continue
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_WILLNEED)
            finally:
                os.close(fd)

    threading.Thread(target=advise, name="qa-prefetch", daemon=True).start()


class Segment:
    """One segment opened for reading, with the rows its tombstones hide."""

    def __init__(self, info: SegmentInfo, ids: np.ndarray, dense: DenseVectors, postings: Postings) -> None:
        self.info = info
        self.ids = ids
        self.dense = dense
        self.postings = postings
        self.deleted_rows = np.zeros(0, dtype=np.int64)

    @classmethod
    def open(cls, folder: Path, info: SegmentInfo, deleted_ids: np.ndarray) -> Segment:
        path = segment_dir(folder, info.number)
        meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
        segment = cls(
            info,
            np.load(path / "ids.npy", allow_pickle=False),
            DenseVectors.load(path),
            Postings.load(path / "bm25"),
        )
        parts = {"meta": meta["rows"], "ids": len(segment.ids), "faiss": segment.dense.count}
        parts.update(bm25=segment.postings.row_count, table=info.rows)
        if len(set(parts.values())) != 1 or meta["sentences"] != segment.dense.sentence_count:
            raise ValueError(f"segment {info.number} parts disagree: {parts}")
        if deleted_ids.size:
            segment.deleted_rows = np.searchsorted(segment.ids, deleted_ids)
        _prefetch([path / "dense.faiss", *(path / "bm25").glob("*.npy")])
        return segment

    def live_mask(self) -> np.ndarray:
        keep = np.ones(len(self.ids), dtype=bool)
        keep[self.deleted_rows] = False
        return keep

    def live_vectors(self) -> np.ndarray:
        """The chunk vectors of the live rows, in row order."""
        return self.dense.chunk_vectors()[self.live_mask()]

    def held_rows(self, chunk_ids: np.ndarray) -> np.ndarray:
        """Rows of those ``chunk_ids`` that this segment holds (deleted or not)."""
        rows = np.searchsorted(self.ids, chunk_ids)
        held = (rows < len(self.ids)) & (self.ids[np.minimum(rows, len(self.ids) - 1)] == chunk_ids)
        return rows[held]

    def rows_of(self, chunk_ids: np.ndarray) -> np.ndarray:
        """Rows of those ``chunk_ids`` that this segment holds and has not deleted."""
        return np.setdiff1d(self.held_rows(chunk_ids), self.deleted_rows)


class SegmentSet:
    """All segments of a knowledge base, read as one index: the reading interface that
    ``qa.index.milvus.MilvusVectors`` shares (search, lexical, chunk_cosines, best_sentence)."""

    def __init__(self, segments: list[Segment], average_length: float) -> None:
        self.segments = sorted(segments, key=lambda s: s.info.first_id)
        self.first_ids = np.asarray([s.info.first_id for s in self.segments], dtype=np.int64)
        self.average_length = average_length

    @staticmethod
    def summary_kind(kinds: Iterable[str]) -> str:
        """ "flat", "ivf", or "flat+ivf" when segments differ."""
        return "+".join(sorted(set(kinds))) or "flat"

    @property
    def kind(self) -> str:
        return self.summary_kind(s.info.dense_index for s in self.segments)

    @property
    def count(self) -> int:
        return sum(s.info.live for s in self.segments)

    @property
    def sentence_count(self) -> int:
        return int(self.sentence_chunk_ids().size)

    def chunk_vectors(self) -> tuple[np.ndarray, np.ndarray]:
        """Every live chunk id and its vector, in id order (for checks and benchmarks)."""
        ids = [s.ids[s.live_mask()] for s in self.segments]
        return np.concatenate([np.zeros(0, dtype=np.int64), *ids]), np.vstack([s.live_vectors() for s in self.segments])

    def sentence_chunk_ids(self) -> np.ndarray:
        """The chunk id of every live sentence vector, ascending (for consistency checks)."""
        owners = []
        for segment in self.segments:
            rows = np.asarray(segment.dense.sentence_rows)
            owners.append(segment.ids[rows[segment.live_mask()[rows]]])
        return np.concatenate([np.zeros(0, dtype=np.int64), *owners])

    def _scoped(self, allowed: Scope | None):
        """Each segment with its allowed rows (None: all live rows), skipping segments with none."""
        for segment in self.segments:
            rows = None if allowed is None else segment.rows_of(allowed.chunk_ids)
            if rows is None or rows.size:
                yield segment, rows

    def _best(self, found: list[tuple[int, float]], n: int) -> list[tuple[int, float]]:
        return sorted(found, key=lambda hit: (-hit[1], hit[0]))[:n]

    def search(self, query: np.ndarray, n: int, allowed: Scope | None = None) -> list[tuple[int, float]]:
        """The n chunks with the highest cosine (chunk vectors), restricted to the ``allowed`` chunks."""
        found = []
        for segment, rows in self._scoped(allowed):
            hits = segment.dense.search(query, n, rows, segment.deleted_rows)
            found.extend((int(segment.ids[row]), score) for row, score in hits)
        return self._best(found, n)

    def lexical(self, weights: dict[int, float], n: int, allowed: Scope | None = None) -> list[tuple[int, float]]:
        """The n chunks with the highest BM25 score for the query's term weights (see ``Postings.scores``)."""
        if not weights:
            return []
        found = []
        for segment, rows in self._scoped(allowed):
            scores = segment.postings.scores(weights, self.average_length)
            if rows is not None:
                allowed_rows = np.zeros(scores.size, dtype=bool)
                allowed_rows[rows] = True
                scores[~allowed_rows] = 0.0
            scores[segment.deleted_rows] = 0.0
            top = min(n, scores.size)
            best = np.argpartition(-scores, top - 1)[:top] if top < scores.size else np.arange(scores.size)
            found.extend((int(segment.ids[row]), float(scores[row])) for row in best if scores[row] > 0)
        return self._best(found, n)

    def _routed(self, chunk_ids: list[int]):
        """Each segment with the rows of those ``chunk_ids`` it holds."""
        wanted = np.asarray(chunk_ids, dtype=np.int64)
        owner = np.searchsorted(self.first_ids, wanted, side="right") - 1
        for position in np.unique(owner[owner >= 0]):
            segment = self.segments[position]
            yield segment, segment.held_rows(wanted[owner == position])

    def _by_chunk(self, chunk_ids: list[int], score_rows) -> dict[int, float]:
        """``score_rows(dense, rows)`` ({row: score}) of each segment, keyed by chunk id."""
        found: dict[int, float] = {}
        for segment, rows in self._routed(chunk_ids):
            for row, score in score_rows(segment.dense, rows.tolist()).items():
                found[int(segment.ids[row])] = score
        return found

    def chunk_cosines(self, chunk_ids: list[int], query: np.ndarray) -> dict[int, float]:
        """Cosine of each chunk's vector with the query."""
        return self._by_chunk(chunk_ids, lambda dense, rows: dense.chunk_cosines(rows, query))

    def best_sentence(self, chunk_ids: list[int], query: np.ndarray) -> dict[int, float]:
        """The highest sentence cosine of each chunk."""
        return self._by_chunk(chunk_ids, lambda dense, rows: dense.best_sentence(rows, query))
