"""What the chat, 相似经验 and 起草引用 parts of the web page do, as methods of one class (the 知识库 and
设置 tabs are ``qa.app.web.kb_handlers``): the layout (``qa.app.web.layout``) wires them to components,
and tests call them directly. Known failures (``QAError``) become a Chinese message in the page;
anything else is logged and shown as a short Chinese message, never a trace. Every handler learns
who is asking from Gradio's request and checks their role on the knowledge base first."""

from __future__ import annotations

import functools
import inspect
import logging
from pathlib import Path

import gradio as gr

from qa.app import workspace as pages
from qa.app.store.accounts import NO_LOGIN
from qa.app.store.conversations import ConversationStore
from qa.app.web import render
from qa.app.web.access import Access
from qa.app.web.exports import Exports
from qa.app.workspace import Workspace
from qa.errors import UNEXPECTED, QAError
from qa.settings import Settings
from qa.text import safe_file_name

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
        self.access = Access(settings)
        self.conversations = ConversationStore(settings.index_dir)
        self._adopt_conversations_before_login()
        self.default_kb = kb or settings.default_kb
        self.exports = Exports()

    def _adopt_conversations_before_login(self) -> None:
        """Conversations from before the first account (kept under no user name) go to the first
        administrator, who is told so at start; nobody else could see them once login is on."""
        admins = [u for u in self.access.accounts.users() if u.admin] if self.access.login_required else []
        if admins and (moved := self.conversations.hand_over(NO_LOGIN.name, admins[0].name)):
            print(f"建立账号前的 {moved} 段对话已交给第一位管理员 {admins[0].name}（登录后在“对话记录”中可见）")

    def kb_choices(self, user=NO_LOGIN) -> list[str]:
        names = self.ws.names()
        names = names if self.default_kb in names or not user.admin else [self.default_kb, *names]
        return self.access.readable(user, names)

    def reader_of(self, request, kb_name: str):
        user = self.access.user(request)
        self.access.require_read(user, kb_name)
        return user

    # -------------------------------------------------------------- chat and conversations

    @shown_to_user
    def ask(self, message, chat, conversation_id, kb_name, province, place, doc, search, request: gr.Request):
        message = (message or "").strip()
        if not message:  # a notice, not an error: nothing on the page turns red
            gr.Warning("请先输入问题，再点“提问”", title="提示")
            yield (gr.skip(),) * 6
            return
        user = self.reader_of(request, kb_name)
        answerer = self.ws.answerer(kb_name)
        turns = self._turns(user.name, conversation_id)
        history = [t.answer["standalone_question"] for t in turns if t.kb == kb_name]
        chat = [*chat, {"role": "user", "content": render.safe_markdown(message)}, {"role": "assistant", "content": ""}]
        shown = ""
        for event in answerer.stream(message, history, pages.filters_from(province, place, doc)):
            if event.kind in ("delta", "reset"):
                shown = shown + event.text if event.kind == "delta" else event.text
                chat[-1] = {"role": "assistant", "content": render.safe_markdown(shown)}
                yield "", chat, gr.skip(), gr.skip(), gr.skip(), gr.skip()
            elif event.kind == "done":
                answer = event.answer.to_dict()
                turn = len(turns)
                chat[-1] = {"role": "assistant", "content": render.answer_message(answer, turn)}
                conversation_id = self.conversations.add_turn(user.name, conversation_id, kb_name, answer)
                cards = self.cards_for(kb_name, answer, turn)
                listing = self._listing(user.name, search, conversation_id)
                yield "", chat, cards, render.badge(answer), conversation_id, listing

    def _turns(self, user: str, conversation_id):
        if conversation_id is None:
            return []
        try:
            return self.conversations.turns(user, conversation_id)
        except QAError:  # deleted in another tab: the question starts a new conversation
            return []

    def cards_for(self, kb_name: str, answer: dict, turn: int) -> str:
        ids = [c["article_id"] for c in answer["citations"] if c.get("article_id")]
        try:
            texts = self.ws.article_texts(kb_name, ids)
        except Exception:  # the knowledge base may be gone since; the passages are in the answer itself
            texts = {}
        return render.citation_cards(answer["citations"], texts, turn)

    def _listing(self, user: str, search: str = "", selected=None):
        choices = [(f"{c.title}（{c.turns}问）", c.id) for c in self.conversations.list(user, search or "")]
        return gr.update(choices=choices, value=selected if any(v == selected for _, v in choices) else None)

    @shown_to_user
    def conversation_list(self, search, conversation_id, request: gr.Request):
        return self._listing(self.access.user(request).name, search, conversation_id)

    @shown_to_user
    def open_conversation(self, conversation_id, request: gr.Request):
        """The chosen conversation's messages, the last answer's cards, and its title for renaming."""
        return self._opened(self.access.user(request).name, conversation_id)

    def restore(self, conversation_id, request: gr.Request):
        """On page load: the conversation this browser had open, if it still exists."""
        try:
            return self._opened(self.access.user(request).name, conversation_id)
        except QAError:  # deleted meanwhile, or another user signed in on this browser
            return None, [], "", "", ""

    def _opened(self, user: str, conversation_id):
        if conversation_id is None:
            return None, [], "", "", ""
        turns = self.conversations.turns(user, conversation_id)
        chat = []
        for n, t in enumerate(turns):
            chat.append({"role": "user", "content": render.safe_markdown(t.answer["question"])})
            chat.append({"role": "assistant", "content": render.answer_message(t.answer, n)})
        title = self.conversations.title(user, conversation_id)
        if not turns:
            return conversation_id, chat, "", "", title
        last = turns[-1]
        cards = self.cards_for(last.kb, last.answer, len(turns) - 1)
        return conversation_id, chat, cards, render.badge(last.answer), title

    def show_message_cards(self, conversation_id, request: gr.Request, evt: gr.SelectData):
        index = evt.index if isinstance(evt.index, int) else evt.index[0]
        turns = self._turns(self.access.user(request).name, conversation_id)
        if index // 2 >= len(turns):
            return gr.skip(), gr.skip()
        turn = turns[index // 2]
        return self.cards_for(turn.kb, turn.answer, index // 2), render.badge(turn.answer)

    @shown_to_user
    def rename_conversation(self, conversation_id, title, search, request: gr.Request):
        user = self.access.user(request)
        self.conversations.rename(user.name, conversation_id, title)
        gr.Info("已重命名", title="提示")
        return self._listing(user.name, search, conversation_id)

    @shown_to_user
    def ask_delete_conversation(self, conversation_id, request: gr.Request):
        """The first click: name the conversation and show the confirm buttons."""
        title = self.conversations.title(self.access.user(request).name, conversation_id)
        return gr.update(visible=True), f"**确定删除对话“{title}”吗？** 删除后不可恢复（可先导出）。"

    @shown_to_user
    def delete_conversation(self, conversation_id, search, request: gr.Request):
        user = self.access.user(request)
        title = self.conversations.title(user.name, conversation_id)
        self.conversations.delete(user.name, conversation_id)
        gr.Info(f"已删除对话“{title}”", title="提示")
        return None, [], "", "", "", self._listing(user.name, search), gr.update(visible=False)

    @shown_to_user
    def export_conversation(self, conversation_id, request: gr.Request):
        from qa.answer.export import conversation_report

        user = self.access.user(request)
        turns = self.conversations.turns(user.name, conversation_id)
        title = self.conversations.title(user.name, conversation_id)
        report = conversation_report(title, [t.answer for t in turns])
        return self.exports.write(report, safe_file_name(title), self._owner(user))

    # -------------------------------------------------------------- similar, cite

    @shown_to_user
    def similar(self, text, upload, kb_name, exclude, province, request: gr.Request):
        from qa.answer.drafts import read_draft
        from qa.answer.export import similar_report
        from qa.answer.similar import find_similar

        user = self.reader_of(request, kb_name)
        query = (text or "").strip() or (read_draft(Path(upload)) if upload else "")
        if not query:
            raise gr.Error("请粘贴一段做法描述，或上传稿件", title="提示")
        retriever = self.ws.answerer(kb_name).retriever
        groups = find_similar(retriever, query, 8, (exclude or "").strip() or None, province or None)
        payload = {"query": query, "groups": [g.to_dict() for g in groups]}
        report = similar_report(query, groups, self.settings.citation.template)
        files = self.exports.write(report, "相似经验", self._owner(user))
        return render.similar_groups(payload["groups"]), payload, files

    def _owner(self, user) -> str | None:
        """Who may download an export (None: no login, one user)."""
        return user.name if self.access.login_required else None

    @shown_to_user
    def cite(self, text, upload, kb_name, exclude, request: gr.Request):
        from qa.answer.drafts import read_draft, suggest_citations

        self.reader_of(request, kb_name)
        draft = (text or "").strip() or (read_draft(Path(upload)) if upload else "")
        if not draft:
            raise gr.Error("请粘贴稿件，或上传 .docx/.txt/.md 文件", title="提示")
        retriever = self.ws.answerer(kb_name).retriever
        paragraphs = suggest_citations(
            retriever, draft, (exclude or "").strip() or None, template=self.settings.citation.template
        )
        data = [p.to_dict() for p in paragraphs]
        choices = suggestion_choices(data)
        accepted = [label for label, (i, j) in choices.items() if j in data[i]["accepted"]]
        return render.draft_suggestions(data), gr.update(choices=list(choices), value=accepted), data

    @shown_to_user
    def cite_export(self, data, chosen, request: gr.Request):
        from qa.answer.drafts import DraftParagraph
        from qa.answer.export import draft_report
        from qa.model import Citation

        if not data:
            raise gr.Error("请先生成引用建议", title="提示")
        choices = suggestion_choices(data)
        picked = {choices[label] for label in chosen or [] if label in choices}
        paragraphs = []
        for i, p in enumerate(data):
            suggestions = [Citation(**s) for s in p["suggestions"]]
            paragraphs.append(
                DraftParagraph(p["text"], suggestions, [j for j in range(len(suggestions)) if (i, j) in picked])
            )
        owner = self._owner(self.access.user(request))
        return self.exports.write(draft_report("稿件（附引用）", paragraphs), "稿件_引用", owner)
