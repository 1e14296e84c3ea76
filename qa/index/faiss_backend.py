"""The default backend's part of a write: one new segment for the new chunks, tombstones for removed
ones, the merges the policy asks for; segment folders are complete before the switch lists them."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import numpy as np

from qa.index import rows
from qa.index.bm25 import Postings
from qa.index.merging import merge_segments, next_merge
from qa.index.protocol import WritePlan
from qa.index.segments import Segment, SegmentInfo, SegmentSet, segment_dir, write_segment
from qa.index.vectors import APPROXIMATE_ABOVE, ivf_threshold


class FaissWriter:
    def __init__(self, approximate_above: int | None = None) -> None:
        self.approximate_above = approximate_above
        self.segments: list[SegmentInfo] = []
        self.tombstones: dict[int, list[int]] = {}
        self.dropped: list[SegmentInfo] = []

    def stage(self, conn: sqlite3.Connection, plan: WritePlan) -> dict[str, object]:
        folder, manifest = plan.folder, plan.manifest
        segments = [] if plan.fresh else rows.list_segments(conn)
        remove_unlisted(folder, segments)
        tombstones = _tombstones(segments, plan.removed_chunks)
        for segment in segments:
            segment.deleted += len(tombstones.get(segment.number, []))
        approximate_above = self.approximate_above
        if approximate_above is None:
            approximate_above = int(manifest.get("approximate_above", APPROXIMATE_ABOVE))
        next_segment = int(manifest.get("next_segment", 1))
        additions = plan.additions
        tokens = [t for p in additions for t in p.tokens]
        ivf_above = ivf_threshold(sum(s.live for s in segments) + len(tokens), approximate_above)
        if tokens:
            postings = Postings.build(tokens, rows.term_ids(conn, {t for chunk in tokens for t in chunk}))
            segments.append(
                write_segment(
                    folder,
                    next_segment,
                    np.concatenate(plan.chunk_ids),
                    np.concatenate([p.vectors for p in additions]),
                    np.concatenate([p.sentence_vectors for p in additions]),
                    _sentence_rows(additions),
                    postings,
                    ivf_above,
                )
            )
            next_segment += 1
        forced = [[s] for s in segments if plan.purge and s.number in tombstones]
        while (run := forced.pop() if forced else next_merge(segments)) is not None:
            parts = [Segment.open(folder, s, rows.deleted_ids(conn, s, tombstones)) for s in run]
            merged = merge_segments(folder, next_segment, parts, ivf_above)
            next_segment += 1
            at = segments.index(run[0])
            segments[at : at + len(run)] = [merged] if merged else []
            self.dropped.extend(run)
        self.segments, self.tombstones = segments, tombstones
        return {
            "next_segment": next_segment,
            "approximate_above": approximate_above,
            "dense_index": SegmentSet.summary_kind(s.dense_index for s in segments),
            "backend": "faiss",
        }

    def commit(self, conn: sqlite3.Connection, plan: WritePlan) -> None:
        rows.replace_segments(conn, self.segments, self.tombstones, self.dropped, plan.fresh)

    def after_commit(self, conn: sqlite3.Connection, plan: WritePlan) -> None:
        remove_unlisted(plan.folder, self.segments)


def open_segments(folder: Path, conn: sqlite3.Connection, manifest: dict[str, str]) -> SegmentSet:
    """The listed segments with their tombstones (the caller holds one snapshot of SQLite)."""
    listed = rows.list_segments(conn)
    opened = [Segment.open(folder, s, rows.deleted_ids(conn, s, {})) for s in listed]
    docs = int(manifest.get("bm25_docs", 0))
    return SegmentSet(opened, int(manifest.get("bm25_length", 0)) / max(docs, 1))


def _sentence_rows(additions) -> np.ndarray:
    """For each sentence of the additions, the row of its chunk in the new segment."""
    offsets = np.cumsum([0] + [len(p.tokens) for p in additions])
    return np.concatenate(
        [
            np.zeros(0, dtype=np.int64),
            *(p.sentence_chunks + offset for p, offset in zip(additions, offsets[:-1], strict=True)),
        ]
    ).astype(np.int64)


def _tombstones(segments: list[SegmentInfo], removed: np.ndarray) -> dict[int, list[int]]:
    """The removed chunk ids by the segment that holds them (segments hold adjacent id ranges)."""
    if not segments or not removed.size:
        return {}
    firsts = np.asarray([s.first_id for s in segments])
    owners = np.searchsorted(firsts, removed, side="right") - 1
    found: dict[int, list[int]] = {}
    for chunk_id, owner in zip(removed.tolist(), owners.tolist(), strict=True):
        found.setdefault(segments[owner].number, []).append(chunk_id)
    return found


def remove_unlisted(folder: Path, segments: list[SegmentInfo]) -> None:
    """Segment folders the committed list does not name (merged away, or left by an interrupted
    write), and generation folders of the layout before segments."""
    listed = {segment_dir(folder, s.number).name for s in segments}
    for path in [*(folder / "segments").glob("seg-*"), *folder.glob("gen-*")]:
        if path.name not in listed:
            shutil.rmtree(path, ignore_errors=True)
