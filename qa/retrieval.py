"""Hybrid search over one knowledge base: dense (FAISS) + BM25 (jieba), fused, filtered."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import numpy as np

from qa.embeddings import Embedder
from qa.lexical import tokenize
from qa.model import Hit
from qa.store import KnowledgeBase, KnowledgeBaseError

# Weighted reciprocal-rank fusion. On the dev set (bench/results/retrieval_eval.txt) the USE dense leg is
# weaker than BM25 on fact questions and stronger on paraphrases; a small k with dense at half weight
# kept BM25's fact ranking best while adding dense's paraphrase recall (grid over k 5–60, weight 0.2–0.7).
RRF_K = 5
DENSE_WEIGHT = 0.5
# Question words and filler do not say what the user is looking for.
_QUESTION_WORDS = re.compile(
    r"怎么样|怎样|怎么|如何|哪些|哪个|哪里|多少|是什么|什么|有没有|是否|请问|介绍一下|介绍|一下|吗|呢|吧|[？?！!。，,、：:；;“”\"'（）()\s]+"
)


# "Nothing relevant" when neither leg finds a convincing passage. Calibrated on the dev set's negatives
# (off-topic questions: top cosine ≤ 0.27, top BM25 ≤ 2.4 but for one that shares a rare word) against
# its answerable questions; BM25 scores scale with the corpus, so recalibrate with `qa eval` on a new corpus.
MIN_DENSE_COSINE = 0.28
MIN_BM25_SCORE = 3.0


@dataclass
class SearchResult:
    hits: list[Hit]
    relevant: bool  # False: nothing in the corpus answers the query; the hits are only the closest passages


@dataclass
class Filters:
    doc: str | None = None  # source file name
    place: str | None = None  # substring of the article's place
    year: str | None = None

    def sql(self) -> tuple[str, list[str]]:
        clauses, params = [], []
        if self.doc:
            clauses.append("d.file_name = ?")
            params.append(self.doc)
        if self.place:
            clauses.append("a.place LIKE ?")
            params.append(f"%{self.place}%")
        if self.year:
            clauses.append("(a.date LIKE ? OR a.text LIKE ?)")
            params.extend([f"{self.year}%", f"%{self.year}年%"])
        return " AND ".join(clauses), params

    def __bool__(self) -> bool:
        return bool(self.doc or self.place or self.year)


def normalise_query(query: str) -> str:
    """The query with question words and punctuation removed (kept whole if nothing is left)."""
    stripped = _QUESTION_WORDS.sub(" ", query).strip()
    return stripped or query.strip()


class HybridRetriever:
    def __init__(self, kb: KnowledgeBase, embedder: Embedder, candidates: int = 50) -> None:
        if embedder.name != kb.embedder_name:
            raise KnowledgeBaseError(
                f"知识库 “{kb.folder.name}” 是用 “{kb.embedder_name}” 建立的，当前配置为 “{embedder.name}”："
                f"请把 config.yaml 的 embedding.model 改为 “{kb.embedder_name}”，或运行 qa ingest --rebuild"
            )
        self.kb = kb
        self.embedder = embedder
        self.candidates = candidates

    def search(self, query: str, k: int = 10, filters: Filters | None = None, mode: str = "hybrid") -> list[Hit]:
        """Top k hits; ``mode`` "dense" or "lexical" runs one leg alone (for evaluation)."""
        return self.retrieve(query, k, filters, mode).hits

    def retrieve(self, query: str, k: int = 10, filters: Filters | None = None, mode: str = "hybrid") -> SearchResult:
        """Top k hits and whether anything in the corpus is relevant at all."""
        cleaned = normalise_query(query)
        allowed = self._allowed_ids(filters) if filters else None
        if allowed is not None and allowed.size == 0:
            return SearchResult([], relevant=False)
        dense = self._dense(cleaned, allowed) if mode in ("hybrid", "dense") else []
        lexical = self._lexical(cleaned, allowed) if mode in ("hybrid", "lexical") else []
        fused: dict[int, float] = {}
        for ranking, weight in ((dense, DENSE_WEIGHT), (lexical, 1.0)):
            for chunk_id, rank in _tied_ranks(ranking):
                fused[chunk_id] = fused.get(chunk_id, 0.0) + weight / (RRF_K + rank + 1)
        dense_scores, lexical_scores = dict(dense), dict(lexical)
        hits = self.fetch(list(fused))
        for hit in hits:
            hit.score = fused[hit.chunk_id]
            hit.dense_score = dense_scores.get(hit.chunk_id)
            hit.lexical_score = lexical_scores.get(hit.chunk_id)
        # ties broken by content position, never by chunk id: results must not depend on ingest order
        hits.sort(key=lambda h: (-round(h.score, 9), h.doc, h.start))
        relevant = bool(dense and dense[0][1] >= MIN_DENSE_COSINE) or bool(lexical and lexical[0][1] >= MIN_BM25_SCORE)
        return SearchResult(hits[:k], relevant)

    def _allowed_ids(self, filters: Filters) -> np.ndarray:
        where, params = filters.sql()
        rows = self.kb.conn.execute(
            "SELECT c.id FROM chunks c JOIN articles a ON a.id = c.article_id JOIN documents d ON d.id = c.doc_id"
            f" WHERE {where}",
            params,
        )
        return np.fromiter((r[0] for r in rows), dtype=np.int64)

    def _dense(self, query: str, allowed: np.ndarray | None) -> list[tuple[int, float]]:
        import faiss

        vector = self.embedder.embed_query(query).reshape(1, -1).astype(np.float32)
        n = min(self.candidates, self.kb.chunk_count)
        if n == 0:
            return []
        params = None
        if allowed is not None:
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(allowed))
            n = min(n, allowed.size)
        scores, ids = self.kb.dense.search(vector, n, params=params)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

    def _lexical(self, query: str, allowed: np.ndarray | None) -> list[tuple[int, float]]:
        scores = self.kb.bm25.scores(tokenize(query))
        if allowed is not None:
            scores = np.where(np.isin(self.kb.bm25_ids, allowed), scores, 0.0)
        n = min(self.candidates, scores.size)
        top = np.argpartition(-scores, n - 1)[:n] if n < scores.size else np.arange(scores.size)
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(self.kb.bm25_ids[row]), float(scores[row])) for row in top if scores[row] > 0]

    def fetch(self, chunk_ids: list[int]) -> list[Hit]:
        """Hits for chunk ids, in the given order."""
        if not chunk_ids:
            return []
        marks = ",".join("?" * len(chunk_ids))
        rows = self.kb.conn.execute(
            'SELECT c.id, c.section, c.kind, c.text, c.start, c."end", c.article_id, a.title, a.place, d.file_name'
            " FROM chunks c JOIN articles a ON a.id = c.article_id JOIN documents d ON d.id = c.doc_id"
            f" WHERE c.id IN ({marks})",
            chunk_ids,
        ).fetchall()
        by_id = {r["id"]: r for r in rows}
        return [
            Hit(
                chunk_id=cid,
                doc=r["file_name"],
                title=r["title"],
                place=r["place"],
                section=json.loads(r["section"]),
                text=r["text"],
                start=r["start"],
                end=r["end"],
                score=0.0,
                kind=r["kind"],
                article_id=r["article_id"],
            )
            for cid in chunk_ids
            if (r := by_id.get(cid)) is not None
        ]


def _tied_ranks(ranking: list[tuple[int, float]]) -> list[tuple[int, int]]:
    """(chunk id, rank) where equal scores share a rank, so ties do not follow storage order."""
    ranks = []
    for position, (chunk_id, score) in enumerate(ranking):
        if position and score == ranking[position - 1][1]:
            ranks.append((chunk_id, ranks[-1][1]))
        else:
            ranks.append((chunk_id, position))
    return ranks
