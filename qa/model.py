"""The data model every pipeline stage shares.

Offsets are always into ``Article.text`` (the cleaned article body), so that
``article.text[chunk.start:chunk.end] == chunk.text`` holds exactly.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

CHUNK_KINDS = ("point", "paragraph", "caption")
# Bumped when chunking or the indexed terms change: ingest then rebuilds the knowledge base from its files.
CHUNKER_VERSION = "5"


@dataclass
class Chunk:
    text: str
    start: int
    end: int
    section: list[str]  # article title → section heading → point heading
    kind: str  # one of CHUNK_KINDS
    id: int | None = None  # assigned by the knowledge base
    page: int | None = None  # the page it starts on, in paged formats (PDF, OFD)


@dataclass
class Article:
    title: str
    text: str
    author: str | None = None
    place: str | None = None
    date: str | None = None
    chunks: list[Chunk] = field(default_factory=list)
    province: str | None = None  # resolved from the place (see qa.ingest.places.resolve_place)
    city: str | None = None
    county: str | None = None


@dataclass
class Document:
    """One source file, parsed: its articles and the facts about the file."""

    path: str
    file_name: str
    format: str
    encoding: str | None
    content_hash: str
    size: int
    articles: list[Article] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)  # user overrides from a sidecar or CSV

    def to_dict(self) -> dict[str, Any]:
        return {
            "document": {
                "path": self.path,
                "file_name": self.file_name,
                "format": self.format,
                "encoding": self.encoding,
                "content_hash": self.content_hash,
                "size": self.size,
            },
            "articles": [
                {
                    "title": a.title,
                    "author": a.author,
                    "place": a.place,
                    "province": a.province,
                    "city": a.city,
                    "county": a.county,
                    "date": a.date,
                    "text": a.text,
                    "chunks": [{k: v for k, v in asdict(c).items()} for c in a.chunks],
                }
                for a in self.articles
            ],
        }


@dataclass
class PreparedDocument:
    """A parsed document ready to store: one vector and one token list per chunk, its sentence
    vectors, and the practices it names (what ingestion hands the index)."""

    document: Document
    vectors: Any  # np.ndarray [chunks, dim]
    tokens: list[list[str]]
    sentence_vectors: Any  # np.ndarray, one row per sentence of the document's chunks
    sentence_chunks: Any  # np.ndarray: for each sentence row, the position of its chunk in ``vectors``
    practices: list[tuple[str, int]] = field(default_factory=list)  # (name, position of the chunk naming it)


@dataclass
class Filters:
    """What a search may return: a document, a place, a province, a year (any combination)."""

    doc: str | None = None  # source file name
    place: str | None = None  # substring of the article's place, city or county
    province: str | None = None  # "贵州" or "贵州省"
    year: str | None = None
    mentions: str | None = None  # a name the article must be about: its place, county, city, title or text

    def __bool__(self) -> bool:
        return bool(self.doc or self.place or self.province or self.year or self.mentions)


@dataclass
class Scope:
    """The chunks a filtered search may return, as chunk ids (the FAISS segments select on them) and
    as their articles' ids (Milvus filters on its article_id field: a list tens of times shorter)."""

    chunk_ids: Any  # np.ndarray of int64
    article_ids: Any  # np.ndarray of int64

    @property
    def chunk_set(self) -> set[int]:
        return set(self.chunk_ids.tolist())


@dataclass
class Hit:
    """A chunk found by a search, with where it came from and how it scored."""

    chunk_id: int
    doc: str  # source file name
    title: str
    place: str | None
    section: list[str]
    text: str
    start: int
    end: int
    score: float
    kind: str = "paragraph"
    article_id: int | None = None
    province: str | None = None
    city: str | None = None
    county: str | None = None
    author: str | None = None
    dense_score: float | None = None
    lexical_score: float | None = None
    rerank_score: float | None = None
    ocr: bool = False  # its document was read by OCR: a reader should check the original
    page: int | None = None  # the page it starts on, in paged formats
    # neighbouring chunks of one article that all ranked, shown as this one passage: the chunks as they
    # were, in reading order (empty for a single chunk); see qa.search.arrange.join_neighbours
    joined: list[Hit] = field(default_factory=list)

    def parts(self) -> list[Hit]:
        """The chunks this passage is made of, in reading order."""
        return self.joined or [self]

    def to_dict(self) -> dict[str, Any]:
        return {
            "doc": self.doc,
            "title": self.title,
            "place": self.place,
            "province": self.province,
            "section": self.section,
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "score": round(self.score, 6),
            "ocr": self.ocr,
            "page": self.page,
        }


# shown with every citation of a document read by OCR
OCR_NOTE = "OCR 识别，引用前请核对原件"
# how an answer's confidence is shown to users (可信度)
CONFIDENCE_ZH = {"high": "较高", "low": "较低", "none": "无相关资料"}
# how each FileResult status is shown to users
STATUS_ZH = {"indexed": "已索引", "replaced": "已更新", "unchanged": "未变化", "duplicate": "重复", "failed": "失败"}


@dataclass
class FileResult:
    """What ingestion did with one file, for the summary table."""

    path: str
    status: str  # indexed | unchanged | replaced | duplicate | failed
    chunks: int = 0
    reason: str = ""


@dataclass
class Citation:
    """One numbered source of an answer: the passage, and the span of it the answer relies on."""

    n: int
    chunk_id: int
    doc: str
    title: str
    place: str | None
    province: str | None
    author: str | None
    section: list[str]
    passage: str  # the whole retrieved passage
    start: int  # passage offsets in its article's text
    end: int
    quote: str  # the sentence of the passage that supports the answer
    quote_start: int  # offsets of the quote in the article's text
    quote_end: int
    article_id: int | None = None
    source_line: str = ""  # formatted for a draft, see qa.answer.citations.source_line
    note: str = ""  # a caution shown with the citation (OCR_NOTE for text read by OCR)
    page: int | None = None  # the page of the passage, in paged formats

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class AnswerSentence:
    text: str  # with its [n] markers, numbered as in Answer.citations
    citations: list[int]
    supported: bool = True
    problems: list[str] = field(default_factory=list)  # why it could not be verified, in Chinese


@dataclass
class Answer:
    question: str
    standalone_question: str  # what was searched: the question rewritten with the conversation's context
    text: str  # the answer with [n] markers; unsupported sentences carry a visible mark
    sentences: list[AnswerSentence]
    citations: list[Citation]
    mode: str  # "llm" | "extractive"
    abstained: bool  # the reports do not answer: nothing on the topic, or on it but not stating what is asked
    confidence: str  # "high" | "low" | "none"
    related: list[Hit] = field(default_factory=list)  # closest passages when abstaining ("可能相关")
    notice: str = ""  # e.g. why the LLM was not used for this answer
    short_answer: str = ""  # the words that answer a single-fact question ("7882支", "2021年"), inside a quote

    @property
    def unsupported(self) -> list[AnswerSentence]:
        return [s for s in self.sentences if not s.supported]

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "standalone_question": self.standalone_question,
            "text": self.text,
            "mode": self.mode,
            "abstained": self.abstained,
            "confidence": self.confidence,
            "notice": self.notice,
            "short_answer": self.short_answer,
            "citations": [c.to_dict() for c in self.citations],
            "sentences": [asdict(s) for s in self.sentences],
            "unsupported": [asdict(s) for s in self.unsupported],
            "related": [h.to_dict() for h in self.related],
        }


@dataclass
class PracticeUse:
    place: str | None
    province: str | None
    doc: str
    title: str
    chunk_id: int | None  # the passage that names (and usually explains) it; None for an unquoted mention
    passage: str


@dataclass
class Practice:
    name: str
    uses: list[PracticeUse] = field(default_factory=list)

    @property
    def places(self) -> list[str]:
        return list(dict.fromkeys(u.place or f"《{u.title}》" for u in self.uses))
