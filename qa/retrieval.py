"""Hybrid search over one knowledge base: dense (FAISS) + BM25 (jieba), fused, filtered."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from qa.embeddings import Embedder, EmbedderError
from qa.lexical import expand, tokenize
from qa.model import Hit, Scope
from qa.store import KnowledgeBase, KnowledgeBaseError

# Weighted reciprocal-rank fusion. On the dev set (bench/results/retrieval_eval.txt) the USE dense leg is
# weaker than BM25 on fact questions and stronger on paraphrases; a small k with dense at half weight
# kept BM25's fact ranking best while adding dense's paraphrase recall (grid over k 5–60, weight 0.2–0.7).
RRF_K = 5
DENSE_WEIGHT = 0.5
# Question words and filler do not say what the user is looking for.
_QUESTION_WORDS = re.compile(
    r"怎么办|怎么做|怎样做|如何做|怎么样|怎样|怎么|如何|哪些|哪个|哪里|多少|是什么|什么|有没有|是否|请问|介绍一下|介绍|一下|吗|呢|吧|[？?！!。，,、：:；;“”\"'（）()\s]+"
)


# "Nothing relevant" when neither leg finds a convincing passage. Calibrated on the dev set's negatives
# (off-topic questions: top cosine ≤ 0.27, top BM25 ≤ 2.4 but for one that shares a rare word) against
# its answerable questions; BM25 scores scale with the corpus, so recalibrate with `qa eval` on a new corpus.
MIN_DENSE_COSINE = 0.30
# Passages sharing this share of 4-character shingles are one passage said twice.
NEAR_DUPLICATE = 0.8
# Questions about how places do something want many places, not five passages of one report.
_SURVEY = re.compile(r"各地|其他地方|其它地方|别的地方|哪些地方|外地|兄弟|类似|相似|经验|做法")
PER_ARTICLE_CAP = 2
RERANK_DEPTH = 30
# Weight of the thesaurus's official terms in the BM25 query, relative to the user's own words.
EXPANSION_WEIGHT = 0.3
MIN_BM25_SCORE = 3.0


@dataclass
class SearchResult:
    hits: list[Hit]
    relevant: bool  # False: nothing in the corpus answers the query; the hits are only the closest passages


@dataclass
class Filters:
    doc: str | None = None  # source file name
    place: str | None = None  # substring of the article's place, city or county
    province: str | None = None  # "贵州" or "贵州省"
    year: str | None = None

    def sql(self) -> tuple[str, list[str]]:
        clauses, params = [], []
        if self.doc:
            clauses.append("d.file_name = ?")
            params.append(self.doc)
        if self.place:
            clauses.append("(a.place LIKE ? OR a.city LIKE ? OR a.county LIKE ?)")
            params.extend([f"%{self.place}%"] * 3)
        if self.province:
            clauses.append("a.province LIKE ?")
            params.append(f"{self.province}%")
        if self.year:
            clauses.append("(a.date LIKE ? OR a.text LIKE ?)")
            params.extend([f"{self.year}%", f"%{self.year}年%"])
        return " AND ".join(clauses), params

    def __bool__(self) -> bool:
        return bool(self.doc or self.place or self.province or self.year)


# Draft boilerplate in "similar experience" requests: who is asking and what kind of material they want
# say nothing about the practice itself, and they pull both legs towards any text about "经验" or "我们".
_DRAFT_BOILERPLATE = re.compile(
    r"(?:想|希望|准备|打算)?(?:请|帮忙|帮我)*(?:看看|了解|参考|借鉴|找找|找到|提供|推荐|学习)(?:一下)?"
    r"(?:其他|其它|别的|外地|兄弟|各)(?:地方|地区|单位|省市|县区|县市|乡镇)的?"
    r"|(?:是|都是)?(?:怎么|怎样|如何)做的"
    r"|(?:请|帮忙|帮我)+(?:提供|推荐|找找|找)"
    r"|(?:可以|可供)?(?:参考|借鉴)的|类似的?|相似的?|相关的?(?=经验|做法|材料)"
    r"|(?:经验材料|经验做法|做法|经验|办法)(?=[。？?！!，,]|$)"
    r"|我们(?:村|乡|镇|县|区|市|街道|社区|单位)?|[我本](?:村|乡|镇|县|区|市)|县里|市里|乡里|镇里"
)


def is_survey(query: str) -> bool:
    """True for questions about how places do something, which want many places."""
    return _SURVEY.search(query) is not None


def normalise_query(query: str) -> str:
    """The query without draft boilerplate, question words and punctuation (kept whole if nothing is left)."""
    stripped = _QUESTION_WORDS.sub(" ", _DRAFT_BOILERPLATE.sub(" ", query))
    stripped = re.sub(r"\s+", " ", stripped).strip()
    return stripped or query.strip()


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


def load_reranker(settings: dict) -> Reranker | None:
    """The reranker named by ``retrieval.reranker``, or None (the default: no weights ship offline)."""
    name = (settings.get("retrieval") or {}).get("reranker")
    return CrossEncoderReranker(str(name)) if name else None


class HybridRetriever:
    def __init__(
        self, kb: KnowledgeBase, embedder: Embedder, candidates: int = 50, reranker: Reranker | None = None
    ) -> None:
        if embedder.name != kb.embedder_name:
            raise KnowledgeBaseError(
                f"知识库 “{kb.folder.name}” 是用 “{kb.embedder_name}” 建立的，当前配置为 “{embedder.name}”："
                f"请把 config.yaml 的 embedding.model 改为 “{kb.embedder_name}”，或运行 qa ingest --rebuild"
            )
        self.kb = kb
        self.embedder = embedder
        self.candidates = candidates
        self.reranker = reranker
        import faiss

        # one query at a time: starting OpenMP threads costs more than they save
        # (flat search over 10k chunks, 2 cores: 4.0 ms with 2 threads, 0.8 ms with 1)
        faiss.omp_set_num_threads(1)

    @classmethod
    def from_settings(cls, settings: dict, folder, embedder: Embedder | None = None) -> HybridRetriever:
        """The retriever of the knowledge base at ``folder``, with the configured embedder and reranker."""
        from qa.embeddings import load_embedder

        return cls(
            KnowledgeBase(folder),
            embedder or load_embedder(settings),
            int(settings["retrieval"].get("candidates", 50)),
            load_reranker(settings),
        )

    def search(self, query: str, k: int = 10, filters: Filters | None = None, mode: str = "hybrid") -> list[Hit]:
        """Top k hits; ``mode`` "dense" or "lexical" runs one leg alone (for evaluation)."""
        return self.retrieve(query, k, filters, mode).hits

    def retrieve(self, query: str, k: int = 10, filters: Filters | None = None, mode: str = "hybrid") -> SearchResult:
        """Top k hits and whether anything in the corpus is relevant at all."""
        cleaned = normalise_query(query)
        allowed = self._scope(filters) if filters else None
        if allowed is not None and allowed.chunk_ids.size == 0:
            return SearchResult([], relevant=False)
        lexical = self._lexical(cleaned, allowed) if mode in ("hybrid", "lexical") else []
        dense = self._dense(cleaned, allowed, [c for c, _ in lexical]) if mode in ("hybrid", "dense") else []
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
        if self.reranker is not None and hits:
            hits = self._rerank(cleaned, hits)
        hits = _drop_near_duplicates(hits, limit=3 * k)
        if is_survey(query):
            hits = _spread_over_articles(hits, PER_ARTICLE_CAP)
        relevant = bool(dense and dense[0][1] >= MIN_DENSE_COSINE) or bool(lexical and lexical[0][1] >= MIN_BM25_SCORE)
        return SearchResult(hits[:k], relevant)

    def _rerank(self, query: str, hits: list[Hit]) -> list[Hit]:
        """Reorder the top RERANK_DEPTH fused hits by the cross-encoder; the rest keep their order below."""
        head, tail = hits[:RERANK_DEPTH], hits[RERANK_DEPTH:]
        scores = self.reranker.score(query, [f"{h.title}\n{h.text}" for h in head])
        for hit, score in zip(head, scores, strict=True):
            hit.rerank_score = float(score)
        head.sort(key=lambda h: (-round(h.rerank_score, 9), h.doc, h.start))
        return head + tail

    def _scope(self, filters: Filters) -> Scope:
        where, params = filters.sql()
        rows = self.kb.conn.execute(
            "SELECT c.id, c.article_id FROM chunks c JOIN articles a ON a.id = c.article_id"
            f" JOIN documents d ON d.id = c.doc_id WHERE {where}",
            params,
        ).fetchall()
        ids = np.asarray(rows, dtype=np.int64).reshape(-1, 2)
        return Scope(ids[:, 0], np.unique(ids[:, 1]))

    def _dense(self, query: str, allowed: Scope | None, extra: list[int] = ()) -> list[tuple[int, float]]:
        """Chunks by the mean of two cosines: the whole chunk's, and its best sentence's.

        A short question matches one sentence of a long passage far better than the passage as a
        whole; the chunk vector keeps the title and section in play. Candidates are the top chunks
        by chunk vector plus ``extra`` (the BM25 leg's), so both legs rank the same passages.
        """
        vector = self.embedder.embed_query(query).astype(np.float32)
        vectors = self.kb.vectors
        chunk_cosine = dict(vectors.search(vector, self.candidates, allowed))
        chunk_cosine.update(vectors.chunk_cosines([c for c in extra if c not in chunk_cosine], vector))
        best_sentence = vectors.best_sentence(list(chunk_cosine), vector)
        scores = {cid: (cosine + best_sentence.get(cid, cosine)) / 2 for cid, cosine in chunk_cosine.items()}
        return sorted(scores.items(), key=lambda item: (-item[1], item[0]))

    def _lexical(self, query: str, allowed: Scope | None) -> list[tuple[int, float]]:
        return self.kb.lexical(tokenize(query), expand(query), EXPANSION_WEIGHT, self.candidates, allowed)

    def fetch(self, chunk_ids: list[int]) -> list[Hit]:
        """Hits for chunk ids, in the given order."""
        if not chunk_ids:
            return []
        marks = ",".join("?" * len(chunk_ids))
        rows = self.kb.conn.execute(
            'SELECT c.id, c.section, c.kind, c.text, c.start, c."end", c.article_id, a.title, a.place,'
            " a.province, a.city, a.county, a.author, d.file_name"
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
                province=r["province"],
                city=r["city"],
                county=r["county"],
                author=r["author"],
            )
            for cid in chunk_ids
            if (r := by_id.get(cid)) is not None
        ]


def _shingles(text: str, n: int = 4) -> set[str]:
    compact = re.sub(r"[\W_]+", "", text)
    return {compact[i : i + n] for i in range(max(1, len(compact) - n + 1))}


def _drop_near_duplicates(hits: list[Hit], limit: int, threshold: float = NEAR_DUPLICATE) -> list[Hit]:
    """The first ``limit`` hits that do not repeat a better one (a report reprinted in two files)."""
    kept: list[tuple[Hit, set[str]]] = []
    for hit in hits:
        if len(kept) == limit:
            break
        shingles = _shingles(hit.text)
        if all(len(shingles & other) / len(shingles | other) < threshold for _, other in kept):
            kept.append((hit, shingles))
    return [hit for hit, _ in kept]


def _spread_over_articles(hits: list[Hit], cap: int) -> list[Hit]:
    """At most ``cap`` passages per article on top, the rest after in their order: the best stays first."""
    seen: dict[int | None, int] = {}
    first, later = [], []
    for hit in hits:
        seen[hit.article_id] = seen.get(hit.article_id, 0) + 1
        (first if seen[hit.article_id] <= cap else later).append(hit)
    return first + later


def _tied_ranks(ranking: list[tuple[int, float]]) -> list[tuple[int, int]]:
    """(chunk id, rank) where equal scores share a rank, so ties do not follow storage order."""
    ranks = []
    for position, (chunk_id, score) in enumerate(ranking):
        if position and score == ranking[position - 1][1]:
            ranks.append((chunk_id, ranks[-1][1]))
        else:
            ranks.append((chunk_id, position))
    return ranks
