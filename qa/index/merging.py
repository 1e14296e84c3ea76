"""When segments are merged (a log merge policy, as in Lucene) and how: the live rows of adjacent segments
streamed into one new segment, the merged matrix never built in memory."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from qa.index.bm25 import Postings
from qa.index.segments import Segment, SegmentInfo, _finish, _npy_writer, _start, _write_meta
from qa.index.vectors import APPROXIMATE_ABOVE, empty_chunk_index, training_rows

MERGE_FACTOR = 10  # adjacent segments of similar size merged at once
SIZE_RATIO = 10  # "similar size": the largest of a run at most this many times the smallest
MAX_SEGMENTS = 20  # beyond this, the cheapest run of MERGE_FACTOR adjacent segments is merged anyway
REWRITE_DELETED_SHARE = 0.3  # a segment with more tombstones than this is rewritten without them


def next_merge(segments: list[SegmentInfo]) -> list[SegmentInfo] | None:
    """The next run of adjacent segments (ordered by first id) to merge into one, or None.

    A segment with many tombstones is rewritten alone. Otherwise, among the runs of MERGE_FACTOR
    adjacent segments of similar size (the largest at most SIZE_RATIO times the smallest), the
    cheapest is merged; so a merge makes a segment about ten times larger than its parts, and a
    chunk is rewritten about log10(N) times. Beyond MAX_SEGMENTS the cheapest run goes regardless.
    """
    for segment in segments:
        if segment.deleted > REWRITE_DELETED_SHARE * segment.rows:
            return [segment]
    runs = [segments[i : i + MERGE_FACTOR] for i in range(len(segments) - MERGE_FACTOR + 1)]
    similar = [r for r in runs if max(s.live for s in r) <= SIZE_RATIO * max(1, min(s.live for s in r))]
    if not similar and len(segments) > MAX_SEGMENTS:
        similar = runs
    return min(similar, key=lambda r: sum(s.live for s in r)) if similar else None


def merge_segments(
    folder: Path, number: int, parts: list[Segment], ivf_above: int = APPROXIMATE_ABOVE
) -> SegmentInfo | None:
    """One segment holding the live rows of ``parts`` (adjacent, in id order); None if none are live."""
    keeps = [p.live_mask() for p in parts]
    live = sum(int(k.sum()) for k in keeps)
    if live == 0:
        return None
    tmp, final = _start(folder, number)
    ids = np.concatenate([p.ids[k] for p, k in zip(parts, keeps, strict=True)])
    dim = parts[0].dense.index.d

    def live_vectors():  # one part's live chunk vectors at a time: the merged matrix is never built
        for part in parts:
            yield part.live_vectors()

    training = None
    if live > ivf_above:
        wanted, offset, picked = training_rows(live), 0, []
        for block in live_vectors():
            inside = wanted[(wanted >= offset) & (wanted < offset + len(block))]
            picked.append(block[inside - offset])
            offset += len(block)
        training = np.vstack(picked)
    index = empty_chunk_index(dim, live, ivf_above, training)
    del training
    for block in live_vectors():
        index.add(block)
    import faiss

    faiss.write_index(index, str(tmp / "dense.faiss"))
    kind = "ivf" if hasattr(index, "nprobe") else "flat"
    del index

    # sentence vectors streamed part by part into the new files, their chunk rows renumbered
    sentence_keeps = [k[np.asarray(p.dense.sentence_rows)] for p, k in zip(parts, keeps, strict=True)]
    sentences = sum(int(k.sum()) for k in sentence_keeps)
    with (
        _npy_writer(tmp / "sentences.npy", np.float16, (sentences, dim)) as vectors_out,
        _npy_writer(tmp / "sentence_rows.npy", np.int64, (sentences,)) as rows_out,
    ):
        row_offset = 0
        for part, keep, sentence_keep in zip(parts, keeps, sentence_keeps, strict=True):
            new_row = np.cumsum(keep) - 1 + row_offset
            for start in range(0, len(sentence_keep), 65536):  # bounded blocks of the mapped input
                block = sentence_keep[start : start + 65536]
                vectors_out(part.dense.sentence_vectors[start : start + 65536][block])
                rows_out(new_row[np.asarray(part.dense.sentence_rows[start : start + 65536])[block]])
            row_offset += int(keep.sum())

    Postings.merge([(p.postings, k) for p, k in zip(parts, keeps, strict=True)], tmp / "bm25")
    np.save(tmp / "ids.npy", ids, allow_pickle=False)
    info = SegmentInfo(number, int(ids[0]), live, 0, kind)
    _write_meta(tmp, info, sentences)
    _finish(tmp, final)
    return info
