"""What the 知识库 and 设置 tabs do, and the lists every tab shows (knowledge bases, documents, provinces,
example questions), refreshed on each page load and after each write so that they never go stale.

Writes need the editor role on the knowledge base; the settings need an administrator. Deleting a
document takes two clicks: the first names the document and asks, the second deletes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from qa.app import passages
from qa.app import workspace as pages
from qa.app.web import render
from qa.app.web.handlers import WebHandlers, shown_to_user
from qa.settings import save_web_settings


def doc_choices(docs: list[list[Any]]) -> list[tuple[str, Any]]:
    """Dropdown choices for the rows of documents_table: "编号：文件" → 编号."""
    return [(f"{row[0]}：{row[1]}", row[0]) for row in docs]


# buttons only an editor of the knowledge base may use: import, delete, save metadata, rebuild, save a
# correction, hide a passage; and only an administrator: create a knowledge base, save settings
EDIT_BUTTONS = 6
ADMIN_BUTTONS = 2


@dataclass
class PageLists:
    """What the page shows for one user and knowledge base, by name (``outputs`` in the page's order)."""

    kb: Any
    user: str
    docs: list
    doc_pick: Any
    province: Any
    doc_filter: Any
    similar_province: Any
    settings: str
    examples: Any
    may_edit: bool
    admin: bool

    def outputs(self) -> tuple:
        lists = (self.kb, self.user, self.docs, self.doc_pick, self.province, self.doc_filter)
        shown = (self.similar_province, self.settings, self.examples)
        edit = (gr.update(interactive=self.may_edit),) * EDIT_BUTTONS
        return (*lists, *shown, *edit, *(gr.update(interactive=self.admin),) * ADMIN_BUTTONS)


class KnowledgeBaseHandlers:
    def __init__(self, web: WebHandlers) -> None:
        self.web, self.ws, self.access = web, web.ws, web.access

    def _editor(self, request, kb_name: str):
        user = self.access.user(request)
        self.access.require_edit(user, kb_name)
        return user

    # -------------------------------------------------------------- lists on every tab

    def lists(self, kb_name, request: gr.Request) -> tuple:
        """Fresh values for every list and filter of the page, and which controls this user may use, in
        the order of the page's outputs (``PageLists.outputs``)."""
        return self.page_lists(kb_name, request).outputs()

    def page_lists(self, kb_name, request: gr.Request) -> PageLists:
        user = self.access.user(request)
        kbs = self.web.kb_choices(user)
        kb_name = kb_name if kb_name in kbs else (kbs[0] if kbs else self.web.default_kb)
        readable = user.may_read(kb_name)
        docs = pages.documents_table(self.ws, kb_name) if readable else []
        provinces = ["", *self.ws.provinces(kb_name)] if readable else [""]
        examples = pages.example_questions(self.ws, kb_name) if readable else []
        return PageLists(
            kb=gr.update(choices=kbs, value=kb_name),
            user=self.access.describe(user, kb_name),
            docs=docs,
            doc_pick=gr.update(choices=doc_choices(docs), value=None),
            province=gr.update(choices=provinces, value=""),
            doc_filter=gr.update(choices=["", *[row[1] for row in docs]], value=""),
            similar_province=gr.update(choices=provinces, value=""),
            settings=pages.settings_summary(self.ws, kb_name) if readable else "",
            examples=gr.Dataset(samples=[[q] for q in examples]),
            may_edit=user.may_edit(kb_name),
            admin=user.admin,
        )

    # -------------------------------------------------------------- documents

    @shown_to_user
    def upload(self, kb_name, files, request: gr.Request, progress=gr.Progress()):
        self._editor(request, kb_name)
        rows = pages.ingest_uploads(self.ws, kb_name, files or [], progress)
        return rows, None

    @shown_to_user
    def preview(self, files, request: gr.Request):
        self.access.user(request)
        if not files:
            raise gr.Error("请先选择要预览的文件", title="提示")
        return "".join(render.parse_preview(passages.preview(self.ws, path)) for path in files[:3])

    @shown_to_user
    def ask_delete(self, kb_name, doc_id, request: gr.Request):
        """The first click: name the document and show the confirm buttons."""
        self._editor(request, kb_name)
        if doc_id in (None, ""):
            raise gr.Error("请先在“选择文档”中选定要删除的文档", title="提示")
        row = pages.document_row(self.ws, kb_name, doc_id)
        question = (
            f"**确定删除《{row['titles'] or row['file_name']}》（文件 {row['file_name']}）吗？** 删除后不可恢复。"
        )
        return gr.update(visible=True), question

    @shown_to_user
    def delete(self, kb_name, doc_id, request: gr.Request):
        self._editor(request, kb_name)
        if doc_id in (None, ""):
            raise gr.Error("请先在“选择文档”中选定要删除的文档", title="提示")
        gr.Info(pages.delete_document(self.ws, kb_name, doc_id), title="提示")
        return gr.update(visible=False)

    def pick_document(self, kb_name, doc_id, request: gr.Request):
        """A document chosen: its current metadata in the editor and its passages in the table."""
        empty = ("", "", "", "", [], gr.update(choices=[], value=None), "", gr.update(visible=False))
        if doc_id is None:
            return empty
        try:
            self.web.reader_of(request, kb_name)
            meta = passages.current_metadata(self.ws, kb_name, doc_id)
            rows = passages.passage_rows(self.ws, kb_name, doc_id)
        except Exception:  # deleted meanwhile: the lists refresh after every write
            return empty
        choices = gr.update(choices=passages.passage_choices(rows), value=None)
        meta_values = meta["title"], meta["place"], meta["author"], meta["date"]
        return *meta_values, rows, choices, "", gr.update(visible=False)

    @shown_to_user
    def save_meta(self, kb_name, doc_id, title, place, author, date, request: gr.Request):
        self._editor(request, kb_name)
        if doc_id is None:
            raise gr.Error("请先选择文档", title="提示")
        fields = {"title": title, "place": place, "author": author, "date": date}
        return pages.edit_metadata(self.ws, kb_name, doc_id, fields)

    @shown_to_user
    def rebuild(self, kb_name, request: gr.Request):
        self._editor(request, kb_name)
        return pages.rebuild(self.ws, kb_name)

    @shown_to_user
    def search(self, kb_name, query, k, request: gr.Request):
        self.web.reader_of(request, kb_name)
        return pages.search_table(self.ws, kb_name, query, k)

    @shown_to_user
    def create_kb(self, name, request: gr.Request):
        self.access.require_admin(self.access.user(request))
        folder = self.ws.folder((name or "").strip())
        (folder / "uploads").mkdir(parents=True, exist_ok=True)
        gr.Info(f"已新建知识库 “{folder.name}”：请在本页上传材料", title="提示")
        return folder.name

    @shown_to_user
    def documents(self, kb_name: str, request: gr.Request) -> list[list[Any]]:
        """The documents of a knowledge base: id, file, titles, places, dates, chunks."""
        self.web.reader_of(request, kb_name)
        return pages.documents_table(self.ws, kb_name)

    # -------------------------------------------------------------- passages

    @shown_to_user
    def passage_text(self, kb_name, doc_id, passage, request: gr.Request):
        self.web.reader_of(request, kb_name)
        if doc_id is None or not passage:
            return ""
        for row in passages.passage_rows(self.ws, kb_name, doc_id):
            if str(row[0]) == str(passage):
                return row[4]
        return ""

    @shown_to_user
    def correct_passage(self, kb_name, doc_id, passage, text, request: gr.Request):
        self._editor(request, kb_name)
        message, doc_id = passages.correct_passage(self.ws, kb_name, doc_id, passage, text)
        return self._after_passage_edit(kb_name, doc_id, message, request)

    @shown_to_user
    def hide_passage(self, kb_name, doc_id, passage, request: gr.Request):
        self._editor(request, kb_name)
        hidden = not str(passage or "").startswith("隐藏-")  # a hidden one chosen: bring it back
        message, doc_id = passages.hide_passage(self.ws, kb_name, doc_id, passage, hidden)
        return self._after_passage_edit(kb_name, doc_id, message, request)

    def _after_passage_edit(self, kb_name, doc_id, message, request):
        """The passages again, and the document chosen under its new id (re-indexing gives it one)."""
        gr.Info(message, title="提示")
        docs = pages.documents_table(self.ws, kb_name)
        table, choices, text = self.pick_document(kb_name, doc_id, request)[4:7]
        return table, choices, text, gr.update(choices=doc_choices(docs), value=doc_id)

    # -------------------------------------------------------------- settings

    def settings_values(self):
        llm = self.ws.settings.llm
        return llm.provider, llm.base_url, llm.model, llm.api_key_env, self.ws.settings.answer.passages

    @shown_to_user
    def test_connection(self, provider, base_url, model, key_env, request: gr.Request):
        from qa.answer.llm import check_connection

        self.access.require_admin(self.access.user(request))
        if provider == "none":
            return "摘录模式不需要连接大模型。"
        llm = self.ws.settings.replace(
            llm={"provider": provider, "base_url": base_url.strip(), "model": model.strip(), "api_key_env": key_env}
        ).llm
        return check_connection(llm)

    @shown_to_user
    def save_settings(self, kb_name, provider, base_url, model, key_env, answer_passages, request: gr.Request):
        self.access.require_admin(self.access.user(request))
        changes = {
            "llm": {"provider": provider, "base_url": base_url.strip(), "model": model.strip(), "api_key_env": key_env},
            "answer": {"passages": int(answer_passages or 6)},
        }
        self.ws.apply_settings(save_web_settings(self.ws.settings, changes))
        gr.Info("设置已保存，并已生效", title="提示")
        return pages.settings_summary(self.ws, kb_name)
