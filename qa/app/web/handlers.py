"""What each event of the web page does, as methods of one class: the layout (``qa.app.web.layout``)
wires them to components, and tests call them directly. Known failures (``QAError``) become a Chinese
message in the page; anything else is logged and shown as a short Chinese message, never a trace."""

from __future__ import annotations

import functools
import inspect
import logging
import tempfile
from pathlib import Path
from typing import Any

import gradio as gr

from qa.app import workspace as pages
from qa.app.web import render
from qa.app.workspace import Workspace
from qa.errors import UNEXPECTED, QAError
from qa.settings import Settings

log = logging.getLogger(__name__)


def shown_to_user(fn):
    """Turn failures of a handler (plain or generator) into ``gr.Error`` with a Chinese message."""

    def explain(exc: Exception) -> gr.Error:
        if isinstance(exc, QAError):
            return gr.Error(str(exc), title="出错了")
        log.exception("网页处理出错")
        return gr.Error(UNEXPECTED, title="出错了")

    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def generator(*args, **kwargs):
            try:
                yield from fn(*args, **kwargs)
            except gr.Error:
                raise
            except Exception as exc:
                raise explain(exc) from exc

        return generator

    @functools.wraps(fn)
    def plain(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except Exception as exc:
            raise explain(exc) from exc

    return plain


def doc_choices(docs: list[list[Any]]) -> list[tuple[str, Any]]:
    """Dropdown choices for the rows of documents_table: "编号：文件" → 编号."""
    return [(f"{row[0]}：{row[1]}", row[0]) for row in docs]


def suggestion_choices(data: list[dict]) -> dict[str, tuple[int, int]]:
    """Checkbox label → (paragraph index, suggestion index)."""
    return {
        f"第{i + 1}段·建议{j + 1}：{s['source_line']}": (i, j)
        for i, p in enumerate(data)
        for j, s in enumerate(p["suggestions"])
    }


class WebHandlers:
    def __init__(self, settings: Settings, kb: str | None = None) -> None:
        self.settings = settings
        self.ws = Workspace(settings)
        self.default_kb = kb or settings.default_kb
        self.exports = Path(tempfile.mkdtemp(prefix="qa-exports-"))

    def kb_choices(self) -> list[str]:
        names = self.ws.names()
        return names if self.default_kb in names else [self.default_kb, *names]

    # -------------------------------------------------------------- chat

    @shown_to_user
    def ask(self, message, chat, stored, kb_name, province, place, doc):
        message = (message or "").strip()
        if not message:
            raise gr.Error("请输入问题", title="出错了")
        answerer = self.ws.answerer(kb_name)
        history = [item["answer"]["standalone_question"] for item in stored if item.get("kb") == kb_name]
        chat = [*chat, {"role": "user", "content": render.safe_markdown(message)}, {"role": "assistant", "content": ""}]
        shown = ""
        for event in answerer.stream(message, history, pages.filters_from(province, place, doc)):
            if event.kind == "delta":
                shown += event.text
                chat[-1] = {"role": "assistant", "content": render.safe_markdown(shown)}
                yield "", chat, gr.skip(), gr.skip(), stored
            elif event.kind == "reset":
                shown = ""
                chat[-1] = {"role": "assistant", "content": render.safe_markdown(event.text)}
                yield "", chat, gr.skip(), gr.skip(), stored
            elif event.kind == "done":
                answer = event.answer.to_dict()
                chat[-1] = {"role": "assistant", "content": render.answer_message(answer)}
                stored = [*stored, {"kb": kb_name, "answer": answer}]
                yield "", chat, self.cards_for(kb_name, answer), render.badge(answer), stored

    def cards_for(self, kb_name: str, answer: dict) -> str:
        ids = [c["article_id"] for c in answer["citations"] if c.get("article_id")]
        try:
            texts = self.ws.article_texts(kb_name, ids)
        except Exception:  # the knowledge base may be gone since; the passages are in the answer itself
            texts = {}
        return render.citation_cards(answer["citations"], texts)

    def restore(self, stored):
        chat = []
        for item in stored or []:
            chat.append({"role": "user", "content": render.safe_markdown(item["answer"]["question"])})
            chat.append({"role": "assistant", "content": render.answer_message(item["answer"])})
        if not stored:
            return chat, "", ""
        last = stored[-1]
        return chat, self.cards_for(last["kb"], last["answer"]), render.badge(last["answer"])

    def show_message_cards(self, stored, evt: gr.SelectData):
        index = evt.index if isinstance(evt.index, int) else evt.index[0]
        if not stored or index // 2 >= len(stored):
            return gr.skip(), gr.skip()
        item = stored[index // 2]
        return self.cards_for(item["kb"], item["answer"]), render.badge(item["answer"])

    # -------------------------------------------------------------- similar, cite

    @shown_to_user
    def similar(self, text, upload, kb_name, exclude, province):
        from qa.answer.drafts import read_draft
        from qa.answer.similar import find_similar

        query = (text or "").strip() or (read_draft(Path(upload)) if upload else "")
        if not query:
            raise gr.Error("请粘贴一段做法描述，或上传稿件", title="出错了")
        retriever = self.ws.answerer(kb_name).retriever
        groups = find_similar(retriever, query, 8, (exclude or "").strip() or None, province or None)
        payload = {"query": query, "groups": [g.to_dict() for g in groups]}
        from qa.answer.export import similar_report

        files = self._export(similar_report(query, groups, self.settings.citation.template), "相似经验")
        return render.similar_groups(payload["groups"]), payload, files

    def _export(self, report, stem: str) -> list[str]:
        from qa.answer.export import write

        folder = Path(tempfile.mkdtemp(dir=self.exports))
        paths = [folder / f"{stem}.docx", folder / f"{stem}.md"]
        for path in paths:
            write(report, path)
        return [str(p) for p in paths]

    @shown_to_user
    def cite(self, text, upload, kb_name, exclude):
        from qa.answer.drafts import read_draft, suggest_citations

        draft = (text or "").strip() or (read_draft(Path(upload)) if upload else "")
        if not draft:
            raise gr.Error("请粘贴稿件，或上传 .docx/.txt/.md 文件", title="出错了")
        retriever = self.ws.answerer(kb_name).retriever
        paragraphs = suggest_citations(
            retriever, draft, (exclude or "").strip() or None, template=self.settings.citation.template
        )
        data = [p.to_dict() for p in paragraphs]
        choices = suggestion_choices(data)
        accepted = [label for label, (i, j) in choices.items() if j in data[i]["accepted"]]
        return render.draft_suggestions(data), gr.update(choices=list(choices), value=accepted), data

    @shown_to_user
    def cite_export(self, data, chosen):
        from qa.answer.drafts import DraftParagraph
        from qa.answer.export import draft_report
        from qa.model import Citation

        if not data:
            raise gr.Error("请先生成引用建议", title="出错了")
        choices = suggestion_choices(data)
        picked = {choices[label] for label in chosen or [] if label in choices}
        paragraphs = []
        for i, p in enumerate(data):
            suggestions = [Citation(**s) for s in p["suggestions"]]
            paragraphs.append(
                DraftParagraph(p["text"], suggestions, [j for j in range(len(suggestions)) if (i, j) in picked])
            )
        return self._export(draft_report("稿件（附引用）", paragraphs), "稿件_引用")

    # -------------------------------------------------------------- knowledge base

    @shown_to_user
    def upload(self, kb_name, files, progress=gr.Progress()):
        rows = pages.ingest_uploads(self.ws, kb_name, files or [], progress)
        docs = pages.documents_table(self.ws, kb_name)
        return rows, docs, gr.update(choices=doc_choices(docs)), None

    @shown_to_user
    def delete(self, kb_name, doc_id):
        if doc_id is None:
            raise gr.Error("请先选择要删除的文档", title="出错了")
        gr.Info(pages.delete_document(self.ws, kb_name, doc_id), title="提示")
        docs = pages.documents_table(self.ws, kb_name)
        return docs, gr.update(choices=doc_choices(docs), value=None)

    @shown_to_user
    def save_meta(self, kb_name, doc_id, title, place, author, date):
        if doc_id is None:
            raise gr.Error("请先选择文档", title="出错了")
        fields = {"title": title, "place": place, "author": author, "date": date}
        rows = pages.edit_metadata(self.ws, kb_name, doc_id, fields)
        docs = pages.documents_table(self.ws, kb_name)
        return rows, docs, gr.update(choices=doc_choices(docs), value=None)

    @shown_to_user
    def rebuild(self, kb_name):
        return pages.rebuild(self.ws, kb_name)

    @shown_to_user
    def search(self, kb_name, query, k):
        return pages.search_table(self.ws, kb_name, query, k)

    @shown_to_user
    def create_kb(self, name):
        folder = self.ws.folder((name or "").strip())
        (folder / "uploads").mkdir(parents=True, exist_ok=True)
        return gr.update(choices=self.kb_choices(), value=folder.name)

    def switch_kb(self, kb_name):
        docs = pages.documents_table(self.ws, kb_name)
        return (
            docs,
            gr.update(choices=doc_choices(docs), value=None),
            gr.update(choices=["", *self.ws.provinces(kb_name)], value=""),
            gr.update(choices=["", *[row[1] for row in docs]], value=""),
            pages.settings_summary(self.ws, kb_name),
        )

    def documents(self, kb_name: str) -> list[list[Any]]:
        """The documents of a knowledge base: id, file, titles, places, provinces, authors, dates, chunks."""
        return pages.documents_table(self.ws, kb_name)
