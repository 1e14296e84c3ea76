"""A knowledge base opened for reading: one snapshot of SQLite and the backend's search index, every
part checked against the manifest."""

from __future__ import annotations

from pathlib import Path

from qa.errors import KnowledgeBaseError
from qa.index import catalog
from qa.index.bm25 import bm25_idf
from qa.index.factory import open_search_index
from qa.index.protocol import SearchIndex
from qa.index.schema import connect, migrate, needs_rebuild, read_manifest
from qa.model import Filters, Hit, Scope


class KnowledgeBase:
    def __init__(self, folder: Path) -> None:
        if not (folder / "kb.sqlite").exists():
            raise KnowledgeBaseError(
                f"知识库 “{folder.name}” 不存在（{folder}）", f"请先运行 qa ingest 文件或文件夹 --kb {folder.name}"
            )
        self.folder = folder
        self.conn = connect(folder)
        migrate(self.conn)  # a file written by an earlier version is brought up to date as it opens
        self.generation = 0
        for attempt in range(3):
            try:
                self._open()
                return
            except (OSError, ValueError, RuntimeError) as exc:
                # a write that committed meanwhile may have merged away the segments just listed
                if attempt < 2 and read_manifest(self.conn).get("generation") != str(self.generation):
                    continue
                raise KnowledgeBaseError(
                    f"知识库 “{folder.name}” 的索引文件缺失或损坏",
                    f"请运行 qa ingest --rebuild 重建。原因：{exc}",
                ) from exc

    def _open(self) -> None:
        folder = self.folder
        self.conn.execute("BEGIN")  # one snapshot of manifest, segments and tombstones
        try:
            self.manifest = read_manifest(self.conn)
            self.generation = int(self.manifest.get("generation", 0))
            if self.generation == 0:
                raise KnowledgeBaseError(f"知识库 “{folder.name}” 还没有任何文档", "请先运行 qa ingest")
            if needs_rebuild(self.manifest):
                raise KnowledgeBaseError(
                    f"知识库 “{folder.name}” 是旧版本格式",
                    f"请运行 qa ingest 文件夹 --kb {folder.name}（会自动按新格式重建）",
                )
            self.embedder_name = self.manifest["embedder"]
            self.dim = int(self.manifest["dim"])
            self.backend = self.manifest.get("backend", "faiss")
            self.vectors: SearchIndex = open_search_index(folder, self.conn, self.manifest, self.dim)
            count = catalog.chunk_count(self.conn)
        finally:
            self.conn.execute("COMMIT")
        # Milvus may still hold rows of a removal whose delete is pending (never shown: hits come from SQLite)
        if self.vectors.count != count and not (self.backend == "milvus" and self.vectors.count > count):
            raise KnowledgeBaseError(
                f"知识库 “{folder.name}” 各部分不一致（SQLite {count} 段，索引 {self.vectors.count} 段）",
                "请运行 qa ingest --rebuild 重建",
            )

    def lexical(self, groups: list[tuple[list[str], float]], n: int, allowed: Scope | None) -> list[tuple[int, float]]:
        """The n best chunks by BM25 for groups of query terms, each group at its own weight (the user's
        words at 1, thesaurus terms and character pairs below)."""
        return self.vectors.lexical(self.query_weights(groups), n, allowed)

    def query_weights(self, groups: list[tuple[list[str], float]]) -> dict[int, float]:
        """Query-side BM25 weight of each term id: idf from the corpus-wide document frequencies."""
        found = catalog.term_statistics(self.conn, {t for terms, _ in groups for t in terms})
        docs = int(self.manifest.get("bm25_docs", 0))
        weights: dict[int, float] = {}
        for token_list, weight in groups:
            for t in token_list:  # a repeated query word counts again, as in bm25s
                if t in found:
                    term_id, df = found[t]
                    weights[term_id] = weights.get(term_id, 0.0) + weight * bm25_idf(df, docs)
        return weights

    def idf(self, terms: list[str]) -> dict[str, float]:
        """BM25 idf of each term; a term the corpus lacks gets the highest idf there is."""
        found = catalog.term_statistics(self.conn, set(terms))
        docs = int(self.manifest.get("bm25_docs", 0))
        return {t: bm25_idf(found[t][1] if t in found else 0, docs) for t in terms}

    @property
    def chunk_count(self) -> int:
        return self.vectors.count

    def close(self) -> None:
        self.conn.close()

    def documents(self) -> list[dict]:
        return catalog.documents(self.conn)

    def missing(self, words: list[str]) -> list[str]:
        """The words no passage or title holds (neither as an indexed word nor verbatim)."""
        indexed = catalog.term_statistics(self.conn, {w.lower() for w in words})
        return [w for w in words if w.lower() not in indexed and not self.mentions(w)]

    def mentions(self, phrase: str) -> bool:
        """Whether any passage or article title holds the phrase verbatim."""
        return catalog.mentions(self.conn, phrase)

    def mentions_within(self, phrase: str, place: str) -> bool:
        """Whether an article about the place, or naming it, holds the phrase."""
        return catalog.mentions_within(self.conn, phrase, place)

    def place_names(self) -> set[str]:
        """Every place, county and city the articles name."""
        return catalog.place_names(self.conn)

    def is_current(self) -> bool:
        """Whether no write has switched the knowledge base's generation since it was opened (the open
        connection sees every committed write: WAL)."""
        return int(read_manifest(self.conn).get("generation", 0)) == self.generation

    def document_passages(self, doc_id: int) -> list[dict]:
        return catalog.document_passages(self.conn, doc_id)

    def document_articles(self, doc_id: int) -> list[dict]:
        return catalog.document_articles(self.conn, doc_id)

    def article_texts(self, article_ids: list[int]) -> dict[int, str]:
        return catalog.article_texts(self.conn, article_ids)

    def provinces(self) -> list[str]:
        return catalog.provinces(self.conn)

    def place_headings(self) -> list[tuple[str, str]]:
        return catalog.place_headings(self.conn)

    def practices(self, search: str | None = None) -> list:
        return catalog.list_practices(self.conn, search)

    def scope(self, filters: Filters) -> Scope:
        return catalog.scope(self.conn, filters)

    def chunk_texts(self, chunk_ids: list[int]) -> dict[int, str]:
        return catalog.chunk_texts(self.conn, chunk_ids)

    def chunks_containing(self, phrase: str, limit: int) -> list[tuple[int, int]]:
        return catalog.chunks_containing(self.conn, phrase, limit)

    def term_statistics(self, terms: set[str]) -> dict[str, tuple[int, int]]:
        return catalog.term_statistics(self.conn, terms)

    def hits(self, chunk_ids: list[int]) -> list[Hit]:
        return catalog.hits(self.conn, chunk_ids)
