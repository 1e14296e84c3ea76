"""The knowledge bases behind the web app, and what its pages do, as plain functions.

No Gradio here: ``qa.app.web.layout`` calls these from its event handlers, and tests call them directly.
A ``Workspace`` opens knowledge bases on demand and reopens one after every write; writes are
serialised by its lock.
"""

from __future__ import annotations

import re
import shutil
import threading
from pathlib import Path
from typing import Any

from qa.answer.answerer import Answerer
from qa.errors import UserError
from qa.index.knowledge_base import KnowledgeBase
from qa.ingest.formats import SUPPORTED_SUFFIXES
from qa.model import STATUS_ZH, Filters
from qa.settings import Settings
from qa.text import safe_file_name, section_path

STAGE_ZH = {"parse": "解析文件", "ocr": "文字识别（逐页）", "embed": "计算向量", "write": "写入知识库"}
DOC_HEADERS = ["编号", "文件", "标题", "地点", "日期", "分块数"]
_DOC_REF = re.compile(r"(\d+)(?:[：:].*)?", re.S)  # "13" or "13：江口县积分超市.doc"
_KB_NAME = re.compile(r"[\w\u4e00-\u9fff-]{1,40}")


class Workspace:
    """The knowledge bases under index_dir, opened on demand and reopened after every write."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.index_dir = Path(settings.index_dir)
        self._embedder = None
        self._answerers: dict[str, Answerer] = {}
        self._kbs: dict[str, KnowledgeBase] = {}
        self._lock = threading.Lock()
        self.write_lock = threading.Lock()  # one ingest or delete at a time

    @property
    def embedder(self):
        with self._lock:
            if self._embedder is None:
                from qa.embeddings import load_embedder

                self._embedder = load_embedder(self.settings.embedding)
            return self._embedder

    def apply_settings(self, settings: Settings) -> None:
        """Settings changed in the 设置 page: knowledge bases are reopened with them on next use."""
        with self._lock:
            self.settings = settings
            self._answerers.clear()
            self._kbs.clear()

    def names(self) -> list[str]:
        if not self.index_dir.is_dir():
            return []
        return sorted(
            p.name for p in self.index_dir.iterdir() if (p / "kb.sqlite").exists() or (p / "uploads").is_dir()
        )

    def folder(self, kb: str) -> Path:
        if not kb or not _KB_NAME.fullmatch(kb):
            raise UserError("知识库名称只能包含中文、字母、数字、下划线和连字符（最多 40 个字）")
        return self.index_dir / kb

    def kb(self, kb: str) -> KnowledgeBase:
        """The open knowledge base ``kb`` (no embedding model needed), reopened when another write has
        switched its generation."""
        folder = self.folder(kb)
        if not (folder / "kb.sqlite").exists():
            raise UserError(f"知识库 “{kb}” 还没有任何文档：请在“知识库”页上传材料")
        with self._lock:
            cached = self._kbs.get(kb)
        if cached and cached.is_current():
            return cached
        opened = KnowledgeBase(folder)
        with self._lock:
            self._kbs[kb] = opened
        return opened

    def answerer(self, kb: str) -> Answerer:
        """The answerer of ``kb``, over the same open knowledge base as ``kb()``."""
        opened = self.kb(kb)
        with self._lock:
            cached = self._answerers.get(kb)
        if cached and cached.kb is opened:
            return cached
        answerer = Answerer.from_settings(self.settings, self.folder(kb), self.embedder, opened)
        with self._lock:
            self._answerers[kb] = answerer
        return answerer

    def article_texts(self, kb: str, article_ids: list[int]) -> dict[int, str]:
        return self.kb(kb).article_texts(article_ids) if article_ids else {}

    def provinces(self, kb: str) -> list[str]:
        try:
            return self.kb(kb).provinces()
        except UserError:
            return []


# ------------------------------------------------------------------ handlers (plain functions, testable)


def documents_table(ws: Workspace, kb: str) -> list[list[Any]]:
    try:
        kb_open = ws.kb(kb)
    except UserError:
        return []
    return [
        [r["id"], r["file_name"], r["titles"], r["places"] or r["provinces"] or "", r["dates"] or "", r["chunks"]]
        for r in sorted(kb_open.documents(), key=lambda r: r["file_name"])  # as a folder lists them
    ]


def ingest_uploads(ws: Workspace, kb: str, files: list[str], progress=None) -> list[list[Any]]:
    """Copy uploaded files into the knowledge base's upload folder and index them; one row per file."""
    from qa.ingest.pipeline import ingest_paths

    if not files:
        raise UserError("请先选择要导入的文件")
    folder = ws.folder(kb)
    uploads = folder / "uploads"
    uploads.mkdir(parents=True, exist_ok=True)
    rows, paths = [], []
    for upload in files:
        name = safe_file_name(Path(upload).name)
        if Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
            rows.append([name, "失败", 0, f"不支持的文件类型：请上传 {' '.join(sorted(SUPPORTED_SUFFIXES))}"])
            continue
        target = uploads / name  # the same name again is a new version of the same document
        shutil.copyfile(upload, target)
        paths.append(target)

    def report(stage: str, done: int, total: int) -> None:
        if progress is not None and total:
            progress((done, total), desc=STAGE_ZH.get(stage, stage))

    if paths:
        with ws.write_lock:
            results = ingest_paths(paths, folder, ws.settings, ws.embedder, progress=report)
        for r in results:
            if r.status in ("failed", "duplicate"):
                Path(r.path).unlink(missing_ok=True)  # nothing of it is in the knowledge base
        rows.extend(_result_rows(results))
    return rows


def _result_rows(results: list) -> list[list[Any]]:
    """Ingest results as rows of the 导入结果 table: file, status in Chinese, chunks, reason."""
    return [[Path(r.path).name, STATUS_ZH[r.status], r.chunks, r.reason] for r in results]


def document_row(ws: Workspace, kb: str, ref) -> dict:
    """The documents row a reference names — its id (13 or "13"), the document list's label
    ("13：江口县积分超市.doc") or its file name — or a UserError."""
    text = str(ref).strip() if ref is not None else ""
    if not text:
        raise UserError("请先选择文档")
    number = _DOC_REF.fullmatch(text)
    for row in ws.kb(kb).documents():
        if (number and row["id"] == int(number.group(1))) or row["file_name"] == text:
            return row
    raise UserError(
        f"知识库中没有编号或文件名为 “{text}” 的文档：可用编号、“编号：文件名”或文件名指定（/documents 列出全部）"
    )


def delete_document(ws: Workspace, kb: str, doc_id: int) -> str:
    from qa.ingest.pipeline import remove_documents

    kb_open = ws.kb(kb)
    document = document_row(ws, kb, doc_id)
    with ws.write_lock:
        remove_documents(ws.folder(kb), [document["id"]], kb_open.embedder_name, kb_open.dim)
    path = Path(document["path"])
    if path.parent == ws.folder(kb) / "uploads":
        path.unlink(missing_ok=True)
    return f"已删除 {document['file_name']}"


def edit_metadata(ws: Workspace, kb: str, doc_id: int, fields: dict[str, str]) -> list[list[Any]]:
    """Re-index one document with its metadata overridden (applies to every article of the file)."""
    from qa.ingest.pipeline import ingest_paths

    path = Path(document_row(ws, kb, doc_id)["path"])
    if not path.is_file():
        raise UserError(f"源文件 {path} 已不存在，无法修改元数据：请重新上传该文件")
    meta = {k: v.strip() for k, v in fields.items() if v and v.strip()}
    if not meta:
        raise UserError("请至少填写一项要修改的元数据")
    with ws.write_lock:
        results = ingest_paths([path], ws.folder(kb), ws.settings, ws.embedder, meta_table={path.name: meta})
    return _result_rows(results)


def rebuild(ws: Workspace, kb: str) -> list[list[Any]]:
    from qa.ingest.pipeline import existing_documents, ingest_paths

    folder = ws.folder(kb)
    paths = [Path(p) for p in existing_documents(folder)]
    missing = [p.name for p in paths if not p.is_file()]
    if missing:  # rebuilding would drop them: nothing is done
        raise UserError(
            f"以下文档的源文件已不存在，重建会使它们从知识库中消失：{'、'.join(missing)}。请先重新上传或删除这些文档"
        )
    with ws.write_lock:
        results = ingest_paths(paths, folder, ws.settings, ws.embedder, rebuild=True)
    return _result_rows(results)


def search_table(ws: Workspace, kb: str, query: str, k: int = 10) -> list[list[Any]]:
    if not query.strip():
        raise UserError("请输入检索内容")
    result = ws.answerer(kb).retriever.retrieve(query, int(k))
    rows = [
        [
            rank,
            f"{h.place or ''}《{h.title}》（{h.doc}）",
            section_path(h.section),
            _scores(h),
            h.text,
        ]
        for rank, h in enumerate(result.hits, 1)
    ]
    if not result.relevant:
        rows.insert(0, [0, "（判断为无相关内容，以下仅供参考）", "", "", ""])
    return rows


def _scores(hit) -> str:
    """The fused score, with the dense and keyword scores it came from."""
    detail = []
    if hit.dense_score is not None:
        detail.append(f"向量 {hit.dense_score:.3f}")
    if hit.lexical_score is not None:
        detail.append(f"关键词 {hit.lexical_score:.1f}")
    return f"{hit.score:.4f}" + (f"（{'，'.join(detail)}）" if detail else "")


def filters_from(province: str | None, place: str | None, doc: str | None) -> Filters | None:
    filters = Filters(doc=doc or None, place=(place or "").strip() or None, province=province or None)
    return filters if filters else None


def settings_summary(ws: Workspace, kb: str) -> str:
    llm = ws.settings.llm
    lines = ["### 当前设置", f"- 知识库目录：`{ws.index_dir}`，当前知识库：`{kb}`"]
    try:
        answerer = ws.answerer(kb)
        kb_open = ws.kb(kb)
        size = sum(f.stat().st_size for f in ws.folder(kb).rglob("*") if f.is_file()) / 2**20
        docs = len(kb_open.documents())
        lines.append(f"- 规模：{docs} 个文档，{kb_open.chunk_count} 个段落，占用磁盘 {size:.1f} MB")
        lines.append(f"- 嵌入模型：`{kb_open.embedder_name}`（{kb_open.dim} 维）")
        if answerer.llm is not None:
            lines.append(
                f"- 回答方式：大模型 `{llm.model}` @ `{llm.base_url}`（密钥取自环境变量 `{llm.api_key_env or '无'}`）"
            )
        else:
            lines.append(
                "- 回答方式：摘录模式（离线，由资料原句组成）"
                + (f"；{answerer.llm_problem}" if answerer.llm_problem else "")
            )
    except UserError as exc:
        lines.append(f"- {exc}")
    lines += [
        "",
        "### 想要更强的效果",
        "- 更强的中文嵌入模型：把 `config.yaml` 的 `embedding.model` 改为 `e5-small`（随程序安装）或本机的模型文件夹"
        "（如 `bge-m3`），重启服务后在“知识库”页点“重建索引”，或运行 `qa ingest 材料文件夹 --rebuild`。",
        "- 接入大模型：管理员在本页下方“修改大模型与回答设置”中选择“OpenAI 兼容接口”，填写接口地址、模型名称和存放密钥的"
        "环境变量名，保存即生效，无需重启（也可写进 `config.yaml` 的 `llm` 下）。",
        "- 重排序模型：`retrieval.reranker` 填交叉编码（`CrossEncoder`）模型文件夹（如 `bge-reranker-base`）。",
    ]
    return "\n".join(lines)


def example_questions(ws: Workspace, kb: str, n: int = 6) -> list[str]:
    """Questions drawn from the corpus: its named practices and its section headings."""
    try:
        kb_open = ws.kb(kb)
    except UserError:
        return []
    questions = [f"“{p.name}”是怎么做的？" for p in kb_open.practices()[: n // 2]]
    seen: set[str] = set()
    for place, heading in kb_open.place_headings():
        if len(questions) >= n:
            break
        if place not in seen:
            seen.add(place)
            inner = heading.rstrip("。").replace("“", "‘").replace("”", "’")  # quotes inside quotes
            questions.append(f"{place}在“{inner}”方面是怎么做的？")
    return questions
