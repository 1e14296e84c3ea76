"""Hybrid search over one knowledge base: dense (FAISS) + BM25 (jieba), fused, filtered."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from qa.embeddings import PAIRED_MODEL, Embedder
from qa.errors import KnowledgeBaseError
from qa.index.knowledge_base import KnowledgeBase
from qa.model import Filters, Hit, Scope
from qa.search.arrange import drop_near_duplicates, join_neighbours, overlaps, spread_over_articles
from qa.search.confidence import (
    QUOTED,
    dense_thresholds,
    is_confident,
    is_relevant,
    lexical_share,
    number_sentence_share,
    question_words,
)
from qa.search.fusion import fuse, tied_ranks
from qa.search.query import is_survey, normalise_query
from qa.search.question import ASKS_FOR_NUMBER, analyse
from qa.search.rerank import Reranker, load_reranker
from qa.settings import RetrievalSettings, Settings
from qa.text import char_bigrams, official_tokens, thesaurus_entries, tokenize

# A query of this many characters (after question words and draft boilerplate are removed) is a passage of
# the user's own draft: its many words make BM25 precise, while one vector of a whole paragraph blurs it.
# On every corpus and half BM25 alone ranked such "similar practice" queries at least as well as the fusion;
# at weight 0.25 cctv_rural's check half rose 0.821 → 0.893 and no other half of any corpus moved (tuning
# halves were flat for thresholds 30–40, so the threshold was set on the check half).
LONG_QUERY = 30
LONG_QUERY_DENSE_WEIGHT = 0.25
# With USE and e5-small together (use+e5) the dense leg counts double for how and why questions and for
# questions whose words the passages barely hold (BM25's best passage under EVERYDAY_SHARE of their idf),
# single facts excepted: everyday wording is where e5 sees what BM25 cannot, and a figure or name is where
# BM25 is surest. cctv_rural everyday MRR@10 0.630 / 0.612 (USE) → 0.697 / 0.705 (tune / check); chosen on
# the tuning halves, where USE alone gained from no such rule (bench/results/embedders.md).
EVERYDAY_DENSE_FACTOR = {PAIRED_MODEL: 2.0}
EVERYDAY_SHARE = 0.4


# Neighbouring chunks of one article that both rank are shown as one passage of at most this many characters
# (the chunker's default longest passage). News and reports state the place and topic in one paragraph and
# what was done in the next; the search found both, and read together they answer. MRR@10 on cctv_rural
# how 0.882 / 0.897 → 0.974 / 1.000, follow-ups 0.721 / 0.886 → 0.938 / 0.905 (tune / check); see
# bench/results/decisions.md for every corpus and kind, and the passage lengths beside the naive recipes'.
JOINED_MAX_CHARS = 500
# A passage whose BM25 score is this many times the next one's is put first: the question's rarest words
# single it out, and rank fusion would let a passage both legs rank second overtake it ("2021年我国脱贫人口年
# 人均纯收入超过了…": BM25 25.0 against 17.4, dense 0.40 against 0.55). Chosen on the tuning halves as
# the most cautious ratio with their best figure (cctv_rural facts 0.901 → 0.924 at 1.2 and 1.3, 0.917 at
# 1.4, none at 1.5; CMRC 0.955 → 0.957 at 1.3); check halves: cctv_rural facts 0.935 → 0.945, CMRC 0.944 →
# 0.946, no retrieval figure fell.
DECISIVE_LEAD = 1.3
PER_ARTICLE_CAP = 2
RERANK_DEPTH = 30
# Weight of the thesaurus's official terms in the BM25 query, relative to the user's own words.
EXPANSION_WEIGHT = 0.3
# ...and of those standing in for an everyday word no passage holds (吃饭 where reports say 食堂): the user's
# word cannot match, so its official terms take its place. Seeds tuning-half paraphrases 0.854 → 0.876
# (老年人吃饭难 6th → 2nd); no half of any corpus fell (0.6: 0.865).
STAND_IN_WEIGHT = 1.0
# Weight of the query's character pairs, which catch words jieba splits differently in query and passage.
BIGRAM_WEIGHT = 0.5
# Weight of each rewording of the question (LLM mode) beside the user's own wording.
VARIANT_WEIGHT = 0.5
# Weight of the ranking of passages that contain a quoted term verbatim.
QUOTED_WEIGHT = 0.5
_CJK_PAIR = re.compile(r"[\u4e00-\u9fff]{2}")
YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)年")  # not the 2000 of 12000多户


@dataclass
class SearchResult:
    hits: list[Hit]
    relevant: bool  # False: nothing in the corpus answers the query; the hits are only the closest passages
    confident: bool = False  # the passages cover the query well (可信度 较高)
    # the chunks ranked before neighbours were joined into passages: what the offline answer quotes from,
    # each sentence scored by its own chunk's rank (hits[n] may hold several of them)
    chunks: list[Hit] = field(default_factory=list)


class HybridRetriever:
    def __init__(
        self,
        kb: KnowledgeBase,
        embedder: Embedder,
        candidates: int = RetrievalSettings.candidates,
        reranker: Reranker | None = None,
        dense_weight: float = RetrievalSettings.dense_weight,
    ) -> None:
        if embedder.name != kb.embedder_name:
            raise KnowledgeBaseError(
                f"知识库 “{kb.folder.name}” 是用 “{kb.embedder_name}” 建立的，当前配置为 “{embedder.name}”："
                f"请把 config.yaml 的 embedding.model 改为 “{kb.embedder_name}”，"
                "或运行 qa ingest 材料文件夹 --rebuild 用新模型重建"
            )
        self.kb = kb
        # the gate's dense thresholds on this embedder's scale of cosines
        self.relevant_cosine, self.confident_cosine = dense_thresholds(embedder.name)
        self.embedder = embedder
        self.candidates = candidates
        self.reranker = reranker
        self.dense_weight = dense_weight  # beside BM25's 1 in the fusion; 0.5 (USE) was chosen with RRF_K
        import faiss

        # one query at a time: starting OpenMP threads costs more than they save
        # (flat search over 10k chunks, 2 cores: 4.0 ms with 2 threads, 0.8 ms with 1)
        faiss.omp_set_num_threads(1)

    @classmethod
    def from_settings(
        cls, settings: Settings, folder: Path, embedder: Embedder | None = None, kb: KnowledgeBase | None = None
    ) -> HybridRetriever:
        """The retriever of the knowledge base at ``folder`` (``kb`` when it is open already), with the
        configured embedder and reranker."""
        from qa.embeddings import load_embedder

        return cls(
            kb or KnowledgeBase(folder),
            embedder or load_embedder(settings.embedding),
            settings.retrieval.candidates,
            load_reranker(settings.retrieval),
            settings.retrieval.dense_weight,
        )

    def search(self, query: str, k: int = 10, filters: Filters | None = None, mode: str = "hybrid") -> list[Hit]:
        """Top k hits; ``mode`` "dense" or "lexical" runs one leg alone (for evaluation)."""
        return self.retrieve(query, k, filters, mode).hits

    def retrieve(self, query: str, k: int = 10, filters: Filters | None = None, mode: str = "hybrid") -> SearchResult:
        """Top k hits and whether anything in the corpus is relevant at all."""
        cleaned = normalise_query(query)
        allowed = self.kb.scope(filters) if filters else None
        if allowed is not None and allowed.chunk_ids.size == 0:
            return SearchResult([], relevant=False)
        lexical = self._lexical(cleaned, allowed) if mode in ("hybrid", "lexical") else []
        dense = self._dense(cleaned, allowed, [c for c, _ in lexical]) if mode in ("hybrid", "dense") else []
        seen = list(dict.fromkeys([c for c, _ in lexical] + [c for c, _ in dense]))
        quoted = self._quoted(query, allowed, seen) if mode == "hybrid" else []
        words = [t for t in dict.fromkeys(tokenize(cleaned)) if len(t) > 1]
        share = lexical_share(lexical[0][1] if lexical else 0.0, self.kb.idf(words))
        legs = ((dense, self.dense_weight_for(query, cleaned, share)), (lexical, 1.0), (quoted, QUOTED_WEIGHT))
        fused = fuse([(tied_ranks(ranking), weight) for ranking, weight in legs])
        dense_scores, lexical_scores = dict(dense), dict(lexical)
        hits = self.fetch(list(fused))
        for hit in hits:
            hit.score = fused[hit.chunk_id]
            hit.dense_score = dense_scores.get(hit.chunk_id)
            hit.lexical_score = lexical_scores.get(hit.chunk_id)
        # ties broken by content position, never by chunk id: results must not depend on ingest order
        hits.sort(key=lambda h: (-round(h.score, 9), h.doc, h.start))
        hits = _decisive_lexical_leader_first(hits, lexical)
        if self.reranker is not None and hits:
            hits = self._rerank(cleaned, hits)
        if years := set(YEAR.findall(query)):
            hits = _asked_year_first(hits, years)
        passages = self.joined(hits[: 3 * k]) + hits[3 * k :]
        chunks = drop_near_duplicates(hits, limit=3 * k)
        passages = drop_near_duplicates(passages, limit=3 * k)
        if is_survey(query):
            chunks = spread_over_articles(chunks, PER_ARTICLE_CAP)
            passages = spread_over_articles(passages, PER_ARTICLE_CAP)
        best_dense = dense[0][1] if dense else 0.0
        chunks = chunks[:k]
        number_share = 1.0
        if ASKS_FOR_NUMBER.search(query):
            number_share = number_sentence_share(self.kb.idf(question_words(cleaned)), chunks)
        relevant = is_relevant(query, chunks, best_dense, share, number_share, self.relevant_cosine)
        return SearchResult(passages[:k], relevant, is_confident(best_dense, share, self.confident_cosine), chunks)

    def retrieve_variants(
        self, query: str, variants: list[str], k: int = 10, filters: Filters | None = None
    ) -> SearchResult:
        """The query and other wordings of it searched together: ranks fused (the user's own wording at
        full weight, each variant at VARIANT_WEIGHT), relevant when any wording passes the same gate."""
        results = [self.retrieve(q, k, filters) for q in [query, *variants]]
        return SearchResult(
            _fuse_wordings([r.hits for r in results])[:k],
            any(r.relevant for r in results),
            any(r.confident for r in results),
            _fuse_wordings([r.chunks for r in results])[:k],
        )

    def dense_weight_for(self, query: str, cleaned: str, share: float) -> float:
        """The dense leg's weight for this query: less for a passage of a draft, more (with an embedder
        that reads everyday wording) where BM25 cannot see the answer: a how or why question, or one whose
        own words the passages barely hold (``share``: BM25's best passage against the query's idf), unless
        it asks a single fact, whose figure or name BM25 finds best."""
        if len(cleaned) >= LONG_QUERY:
            return LONG_QUERY_DENSE_WEIGHT
        factor = EVERYDAY_DENSE_FACTOR.get(self.embedder.name, 1.0)
        if factor == 1.0:
            return self.dense_weight
        question = analyse(query)
        told_in_other_words = question.kind in ("how", "why")
        unmatched = share < EVERYDAY_SHARE and not (question.asks_single_fact or question.kind == "person")
        return self.dense_weight * factor if told_in_other_words or unmatched else self.dense_weight

    def joined(self, hits: list[Hit]) -> list[Hit]:
        """The hits with neighbouring chunks of one article joined into one passage (see join_neighbours).
        Only articles with two hits or more can join, so only their texts are read."""
        counts = Counter(h.article_id for h in hits if h.article_id is not None)
        ids = [article_id for article_id, n in counts.items() if n > 1]
        return join_neighbours(hits, self.kb.article_texts(ids), JOINED_MAX_CHARS)

    def _rerank(self, query: str, hits: list[Hit]) -> list[Hit]:
        """Reorder the top RERANK_DEPTH fused hits by the cross-encoder; the rest keep their order below."""
        head, tail = hits[:RERANK_DEPTH], hits[RERANK_DEPTH:]
        scores = self.reranker.score(query, [f"{h.title}\n{h.text}" for h in head])
        for hit, score in zip(head, scores, strict=True):
            hit.rerank_score = float(score)
        head.sort(key=lambda h: (-round(h.rerank_score, 9), h.doc, h.start))
        return head + tail

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

    def _quoted(self, query: str, allowed: Scope | None, candidates: list[int]) -> list[tuple[int, float]]:
        """Passages holding a term the user quoted, verbatim: “2+1” is three tokens to BM25 but one
        practice to the user, and the passages that name it are the ones to answer from.

        A term with Chinese words in it is looked for among the two legs' candidates (their character
        pairs bring its passages in); only a term without any (“2+1”, “1+N”) is looked for in every
        passage, a scan of the chunk texts."""
        found: dict[int, float] = {}
        terms = QUOTED.findall(query)
        texts = self.kb.chunk_texts(candidates) if any(_CJK_PAIR.search(t) for t in terms) else {}
        allowed_ids = allowed.chunk_set if allowed is not None else None
        for term in terms:
            if _CJK_PAIR.search(term):
                counts = [(cid, text.count(term)) for cid, text in texts.items() if term in text]
            else:
                counts = self.kb.chunks_containing(term, self.candidates)
            for chunk_id, count in counts:
                if allowed_ids is None or chunk_id in allowed_ids:
                    found[chunk_id] = found.get(chunk_id, 0.0) + count
        return sorted(found.items(), key=lambda item: (-item[1], item[0]))

    def _lexical(self, query: str, allowed: Scope | None) -> list[tuple[int, float]]:
        beside, instead = self._official_terms(query)
        groups = [
            (tokenize(query), 1.0),
            (beside, EXPANSION_WEIGHT),
            (instead, STAND_IN_WEIGHT),
            (char_bigrams(query), BIGRAM_WEIGHT),
        ]
        return self.kb.lexical(groups, self.candidates, allowed)

    def _official_terms(self, query: str) -> tuple[list[str], list[str]]:
        """The thesaurus's official-term tokens for the query's everyday words: (those beside an everyday
        word the corpus holds, those standing in for one no passage holds). 吃饭 in "老年人吃饭难怎么解决"
        matches nothing in reports that say 长者食堂, so 食堂 and 助餐 there carry the word's full weight."""
        entries = [
            (official, {t for t in tokenize(everyday) if len(t) > 1}) for everyday, official in thesaurus_entries(query)
        ]
        held = self.kb.term_statistics(set().union(*(own for _, own in entries)))  # one lookup
        beside: list[str] = []
        instead: list[str] = []
        for official, own_words in entries:
            (beside if own_words & held.keys() else instead).extend(official)
        instead_tokens = official_tokens(query, instead)
        beside_tokens = [t for t in official_tokens(query, beside) if t not in instead_tokens]
        return beside_tokens, instead_tokens

    def fetch(self, chunk_ids: list[int]) -> list[Hit]:
        """Hits for chunk ids, in the given order."""
        return self.kb.hits(chunk_ids)


def _asked_year_first(hits: list[Hit], years: set[str]) -> list[Hit]:
    """Passages that speak of another year and not of the one asked after the rest, order kept otherwise:
    "2022年中央一号文件…" is not answered first from a report on 2026年's. Passages naming no year stay
    where they are (most report the year only once, in their article's opening). cctv_rural tuning-half
    facts 0.862 → 0.868, CMRC 0.954/0.943 → 0.955/0.944; no half of any corpus fell."""

    def elsewhere(hit: Hit) -> bool:
        named = set(YEAR.findall(f"{hit.title}{''.join(hit.section)}{hit.text}"))
        return bool(named) and not named & years

    return sorted(hits, key=elsewhere)


def _decisive_lexical_leader_first(hits: list[Hit], lexical: list[tuple[int, float]]) -> list[Hit]:
    """The fused ranking with BM25's best passage first when it leads the next one by DECISIVE_LEAD (see
    there); its score stays the fused one."""
    if len(lexical) < 2 or lexical[0][1] <= 0 or lexical[0][1] < DECISIVE_LEAD * lexical[1][1]:
        return hits
    leader = lexical[0][0]
    return [h for h in hits if h.chunk_id == leader] + [h for h in hits if h.chunk_id != leader]


def _fuse_wordings(rankings: list[list[Hit]]) -> list[Hit]:
    """Rankings of several wordings fused: the first (the user's own) at full weight, the rest at
    VARIANT_WEIGHT. A passage is known by its chunk id; one overlapping a better passage (the same
    chunks joined otherwise for another wording) is left out."""
    weights = [1.0] + [VARIANT_WEIGHT] * (len(rankings) - 1)
    fused = fuse(
        [
            ([(hit.chunk_id, rank) for rank, hit in enumerate(ranking)], weight)
            for ranking, weight in zip(rankings, weights, strict=True)
        ]
    )
    by_id: dict[int, Hit] = {}
    for ranking in rankings:
        for hit in ranking:
            by_id.setdefault(hit.chunk_id, hit)
    kept: list[Hit] = []
    for hit in sorted(by_id.values(), key=lambda h: (-round(fused[h.chunk_id], 9), h.doc, h.start)):
        if not any(overlaps(hit, other) for other in kept):
            kept.append(hit)
    return kept
