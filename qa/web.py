"""The web app (Gradio Blocks): 问答, 相似经验, 起草引用, 知识库, 设置 — Chinese throughout.

Every function is also an API endpoint for gradio_client (names listed in the README). Uploads are
copied into ``<index_dir>/<kb>/uploads/`` and nothing else on disk is served. Chat answers,
with their citations, are kept in the browser's local storage so they survive a page refresh.
A slow LLM cannot hold up uploads or searches: each kind of work has its own concurrency slot.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import gradio as gr

from qa import web_render as render
from qa.loaders import SUPPORTED_SUFFIXES
from qa.workspace import (
    DOC_HEADERS,
    UserError,
    Workspace,
    delete_document,
    documents_table,
    edit_metadata,
    example_questions,
    filters_from,
    ingest_uploads,
    rebuild,
    search_table,
    settings_summary,
)

# ------------------------------------------------------------------ the page


def build_app(settings: dict[str, Any], kb: str | None = None) -> gr.Blocks:
    ws = Workspace(settings)
    default_kb = kb or settings.get("default_kb", "default")
    max_mb = float(settings.get("ingest", {}).get("max_file_size_mb", 50))
    exports = Path(tempfile.mkdtemp(prefix="qa-exports-"))

    def guarded(fn):
        """Known failures become a Chinese message in the page, not a stack trace."""
        from qa.embeddings import EmbedderError
        from qa.loaders import LoadError
        from qa.milvus_store import MilvusError
        from qa.store import KnowledgeBaseError

        def wrapper(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except (UserError, KnowledgeBaseError, EmbedderError, LoadError, MilvusError, ValueError) as exc:
                raise gr.Error(str(exc)) from exc

        wrapper.__name__ = fn.__name__
        return wrapper

    def kb_choices():
        names = ws.names()
        return names if default_kb in names else [default_kb, *names]

    def provinces(kb_name: str) -> list[str]:
        try:
            conn = ws.answerer(kb_name).retriever.kb.conn
        except UserError:
            return []
        return [
            r[0] for r in conn.execute("SELECT DISTINCT province FROM articles WHERE province IS NOT NULL ORDER BY 1")
        ]

    # -------------------------------------------------------------- chat

    def ask(message, chat, stored, kb_name, province, place, doc):
        message = (message or "").strip()
        if not message:
            raise gr.Error("请输入问题")
        answerer = guarded(ws.answerer)(kb_name)
        history = [item["answer"]["standalone_question"] for item in stored if item.get("kb") == kb_name]
        chat = [*chat, {"role": "user", "content": render.safe_markdown(message)}, {"role": "assistant", "content": ""}]
        shown = ""
        for event in answerer.stream(message, history, filters_from(province, place, doc)):
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
                yield "", chat, cards_for(kb_name, answer), render.badge(answer), stored

    def cards_for(kb_name: str, answer: dict) -> str:
        ids = [c["article_id"] for c in answer["citations"] if c.get("article_id")]
        try:
            texts = ws.article_texts(kb_name, ids)
        except Exception:  # the knowledge base may be gone since; the passages are in the answer itself
            texts = {}
        return render.citation_cards(answer["citations"], texts)

    def restore(stored):
        chat = []
        for item in stored or []:
            chat.append({"role": "user", "content": render.safe_markdown(item["answer"]["question"])})
            chat.append({"role": "assistant", "content": render.answer_message(item["answer"])})
        if not stored:
            return chat, "", ""
        last = stored[-1]
        return chat, cards_for(last["kb"], last["answer"]), render.badge(last["answer"])

    def show_message_cards(stored, evt: gr.SelectData):
        index = evt.index if isinstance(evt.index, int) else evt.index[0]
        if not stored or index // 2 >= len(stored):
            return gr.skip(), gr.skip()
        item = stored[index // 2]
        return cards_for(item["kb"], item["answer"]), render.badge(item["answer"])

    # -------------------------------------------------------------- similar, cite

    def similar(text, upload, kb_name, exclude, province):
        from qa.drafts import read_draft
        from qa.similar import find_similar

        query = (text or "").strip() or (guarded(read_draft)(Path(upload)) if upload else "")
        if not query:
            raise gr.Error("请粘贴一段做法描述，或上传稿件")
        retriever = guarded(ws.answerer)(kb_name).retriever
        groups = find_similar(retriever, query, 8, (exclude or "").strip() or None, province or None)
        payload = {"query": query, "groups": [g.to_dict() for g in groups]}
        files = export_similar(kb_name, query, groups)
        return render.similar_groups(payload["groups"]), payload, files

    def export_similar(kb_name, query, groups):
        from qa.export import similar_report, write

        report = similar_report(query, groups, settings["citation"]["template"])
        folder = Path(tempfile.mkdtemp(dir=exports))
        paths = [folder / "相似经验.docx", folder / "相似经验.md"]
        for path in paths:
            write(report, path)
        return [str(p) for p in paths]

    def cite(text, upload, kb_name, exclude):
        from qa.drafts import read_draft, suggest_citations

        draft = (text or "").strip() or (guarded(read_draft)(Path(upload)) if upload else "")
        if not draft:
            raise gr.Error("请粘贴稿件，或上传 .docx/.txt/.md 文件")
        retriever = guarded(ws.answerer)(kb_name).retriever
        paragraphs = suggest_citations(
            retriever, draft, (exclude or "").strip() or None, template=settings["citation"]["template"]
        )
        data = [p.to_dict() for p in paragraphs]
        choices = _suggestion_choices(data)
        accepted = [label for label, (i, j) in choices.items() if j in data[i]["accepted"]]
        return render.draft_suggestions(data), gr.update(choices=list(choices), value=accepted), data

    def cite_export(data, chosen):
        from qa.drafts import DraftParagraph
        from qa.export import draft_report, write
        from qa.model import Citation

        if not data:
            raise gr.Error("请先生成引用建议")
        choices = _suggestion_choices(data)
        picked = {choices[label] for label in chosen or [] if label in choices}
        paragraphs = []
        for i, p in enumerate(data):
            suggestions = [Citation(**s) for s in p["suggestions"]]
            paragraphs.append(
                DraftParagraph(p["text"], suggestions, [j for j in range(len(suggestions)) if (i, j) in picked])
            )
        report = draft_report("稿件（附引用）", paragraphs)
        folder = Path(tempfile.mkdtemp(dir=exports))
        paths = [folder / "稿件_引用.docx", folder / "稿件_引用.md"]
        for path in paths:
            write(report, path)
        return [str(p) for p in paths]

    # -------------------------------------------------------------- knowledge base

    def upload(kb_name, files, progress=gr.Progress()):
        rows = guarded(ingest_uploads)(ws, kb_name, files or [], progress)
        docs = documents_table(ws, kb_name)
        return rows, docs, gr.update(choices=doc_choices(docs)), None

    def doc_choices(docs):
        """Dropdown choices for the rows of documents_table: "编号：文件" → 编号."""
        return [(f"{row[0]}：{row[1]}", row[0]) for row in docs]

    def delete(kb_name, doc_id):
        if doc_id is None:
            raise gr.Error("请先选择要删除的文档")
        message = guarded(delete_document)(ws, kb_name, doc_id)
        gr.Info(message)
        docs = documents_table(ws, kb_name)
        return docs, gr.update(choices=doc_choices(docs), value=None)

    def save_meta(kb_name, doc_id, title, place, author, date):
        if doc_id is None:
            raise gr.Error("请先选择文档")
        fields = {"title": title, "place": place, "author": author, "date": date}
        rows = guarded(edit_metadata)(ws, kb_name, doc_id, fields)
        docs = documents_table(ws, kb_name)
        return rows, docs, gr.update(choices=doc_choices(docs), value=None)

    def create_kb(name):
        folder = guarded(ws.folder)((name or "").strip())
        (folder / "uploads").mkdir(parents=True, exist_ok=True)
        return gr.update(choices=kb_choices(), value=folder.name)

    def switch_kb(kb_name):
        docs = documents_table(ws, kb_name)
        return (
            docs,
            gr.update(choices=doc_choices(docs), value=None),
            gr.update(choices=["", *provinces(kb_name)], value=""),
            gr.update(choices=["", *[row[1] for row in docs]], value=""),
            settings_summary(ws, kb_name),
        )

    initial_docs = documents_table(ws, default_kb)
    with gr.Blocks(title="经验材料问答") as demo:
        gr.Markdown("## 经验材料问答与检索\n党建引领乡村振兴与基层治理经验材料：提问、找相似经验、为稿件找引用。")
        with gr.Row():
            kb_select = gr.Dropdown(kb_choices(), value=default_kb, label="知识库", scale=2, allow_custom_value=True)
            new_kb = gr.Textbox(label="新建知识库", placeholder="名称，如 2025年材料", scale=2)
            create = gr.Button("新建", scale=1)
        stored = gr.BrowserState([], storage_key="qa_chat_history")
        with gr.Tabs():
            with gr.Tab("问答", id="chat"):
                with gr.Row():
                    with gr.Column(scale=3):
                        chatbot = gr.Chatbot(
                            label="对话", height=480, elem_id="qa-chat", sanitize_html=True, feedback_options=None
                        )
                        with gr.Row():
                            question = gr.Textbox(
                                placeholder="输入问题，例如：思南县完成了多少支驻村工作队选派？",
                                show_label=False,
                                scale=5,
                                elem_id="qa-question",
                            )
                            send = gr.Button("提问", variant="primary", scale=1, elem_id="qa-send")
                        gr.Examples(example_questions(ws, default_kb), inputs=question, label="示例问题")
                        with gr.Row():
                            province = gr.Dropdown(
                                ["", *provinces(default_kb)], value="", label="省份", allow_custom_value=True
                            )
                            place = gr.Textbox(label="地点（可选）", placeholder="如 思南")
                            doc = gr.Dropdown(
                                ["", *[row[1] for row in initial_docs]],
                                value="",
                                label="文档（可选）",
                                allow_custom_value=True,
                            )
                        clear = gr.Button("清空对话")
                    with gr.Column(scale=2):
                        mode_badge = gr.HTML(elem_id="qa-badge")
                        cards = gr.HTML(label="引用来源", elem_id="qa-cards")
            with gr.Tab("相似经验", id="similar"):
                similar_text = gr.Textbox(label="做法描述或稿件段落", lines=5, elem_id="qa-similar-text")
                similar_file = gr.File(label="或上传稿件", file_types=[".docx", ".txt", ".md"])
                with gr.Row():
                    exclude = gr.Textbox(label="排除本地", placeholder="如 思南县")
                    similar_province = gr.Dropdown(
                        ["", *provinces(default_kb)], value="", label="只看某省", allow_custom_value=True
                    )
                    similar_go = gr.Button("查找相似经验", variant="primary", elem_id="qa-similar-go")
                similar_html = gr.HTML(elem_id="qa-similar-result")
                similar_json = gr.JSON(visible=False)
                similar_files = gr.File(label="导出（.docx / .md）", file_count="multiple")
            with gr.Tab("起草引用", id="cite"):
                draft_text = gr.Textbox(label="粘贴稿件", lines=10)
                draft_file = gr.File(label="或上传稿件", file_types=[".docx", ".txt", ".md"])
                cite_exclude = gr.Textbox(label="不引用本地材料", placeholder="如 思南县")
                cite_go = gr.Button("逐段推荐引用", variant="primary")
                cite_html = gr.HTML()
                chosen = gr.CheckboxGroup(label="采用的引用（取消勾选即不采用）", choices=[])
                cite_state = gr.JSON(visible=False)  # not gr.State: API users pass it back to /cite_export
                cite_download = gr.Button("生成带引用的稿件")
                cite_files = gr.File(label="下载（.docx / .md）", file_count="multiple")
            with gr.Tab("知识库", id="kb"):
                uploads = gr.File(
                    label=f"上传材料（可多选；{' '.join(sorted(SUPPORTED_SUFFIXES))}；单个不超过 {max_mb:g} MB）",
                    file_count="multiple",
                    file_types=sorted(SUPPORTED_SUFFIXES),
                    elem_id="qa-upload",
                )
                upload_go = gr.Button("导入", variant="primary", elem_id="qa-upload-go")
                upload_result = gr.Dataframe(
                    headers=["文件", "结果", "分块数", "原因"],
                    label="导入结果",
                    interactive=False,
                    elem_id="qa-upload-result",
                )
                docs_table = gr.Dataframe(
                    initial_docs,
                    headers=DOC_HEADERS,
                    label="文档",
                    interactive=False,
                    elem_id="qa-docs",
                )
                with gr.Row():
                    doc_pick = gr.Dropdown(doc_choices(initial_docs), label="选择文档", elem_id="qa-doc-pick")
                    delete_go = gr.Button("删除所选文档", variant="stop", elem_id="qa-delete")
                    rebuild_go = gr.Button("重建索引")
                with gr.Accordion("修改元数据（多篇文章的版面会应用到全部文章）", open=False):
                    with gr.Row():
                        meta_title = gr.Textbox(label="标题")
                        meta_place = gr.Textbox(label="地点")
                        meta_author = gr.Textbox(label="作者")
                        meta_date = gr.Textbox(label="日期")
                    meta_go = gr.Button("保存并重新索引")
                gr.Markdown("#### 命中测试")
                with gr.Row():
                    probe = gr.Textbox(label="检索内容", scale=4, elem_id="qa-probe")
                    probe_k = gr.Number(10, label="条数", precision=0, scale=1)
                    probe_go = gr.Button("检索", scale=1, elem_id="qa-probe-go")
                probe_result = gr.Dataframe(
                    headers=["排名", "文件", "地点", "章节", "融合分", "向量分", "关键词分", "段落"],
                    interactive=False,
                    wrap=True,
                    elem_id="qa-probe-result",
                )
            with gr.Tab("设置", id="settings"):
                settings_md = gr.Markdown(settings_summary(ws, default_kb))

        chat_outputs = [question, chatbot, cards, mode_badge, stored]
        chat_inputs = [question, chatbot, stored, kb_select, province, place, doc]
        send.click(ask, chat_inputs, chat_outputs, api_name="ask", concurrency_id="chat", concurrency_limit=4)
        question.submit(
            ask, chat_inputs, chat_outputs, api_visibility="private", concurrency_id="chat", concurrency_limit=4
        )
        clear.click(lambda: ([], "", "", []), None, [chatbot, cards, mode_badge, stored], api_visibility="private")
        chatbot.select(show_message_cards, [stored], [cards, mode_badge], api_visibility="private")
        demo.load(restore, [stored], [chatbot, cards, mode_badge], api_visibility="private")

        similar_go.click(
            similar,
            [similar_text, similar_file, kb_select, exclude, similar_province],
            [similar_html, similar_json, similar_files],
            api_name="similar",
            concurrency_id="search",
            concurrency_limit=4,
        )
        cite_go.click(
            cite,
            [draft_text, draft_file, kb_select, cite_exclude],
            [cite_html, chosen, cite_state],
            api_name="cite",
            concurrency_id="search",
            concurrency_limit=4,
        )
        cite_download.click(cite_export, [cite_state, chosen], cite_files, api_name="cite_export")

        upload_go.click(
            upload,
            [kb_select, uploads],
            [upload_result, docs_table, doc_pick, uploads],
            api_name="ingest",
            concurrency_id="write",
            concurrency_limit=1,
        )
        delete_go.click(
            delete,
            [kb_select, doc_pick],
            [docs_table, doc_pick],
            api_name="delete_document",
            concurrency_id="write",
            concurrency_limit=1,
        )
        meta_go.click(
            save_meta,
            [kb_select, doc_pick, meta_title, meta_place, meta_author, meta_date],
            [upload_result, docs_table, doc_pick],
            api_visibility="private",
            concurrency_id="write",
            concurrency_limit=1,
        )
        rebuild_go.click(
            lambda kb_name: guarded(rebuild)(ws, kb_name),
            kb_select,
            upload_result,
            api_visibility="private",
            concurrency_id="write",
            concurrency_limit=1,
        )
        probe_go.click(
            lambda kb_name, q, k: guarded(search_table)(ws, kb_name, q, k),
            [kb_select, probe, probe_k],
            probe_result,
            api_name="search",
            concurrency_id="search",
            concurrency_limit=4,
        )
        create.click(create_kb, new_kb, kb_select, api_visibility="private")
        kb_select.change(
            switch_kb, kb_select, [docs_table, doc_pick, province, doc, settings_md], api_visibility="private"
        )

        def documents(kb_name: str) -> list[list[Any]]:
            """The documents of a knowledge base: id, file, titles, places, provinces, authors, dates, chunks."""
            return documents_table(ws, kb_name)

        gr.api(documents, api_name="documents")
    demo.queue(max_size=64, default_concurrency_limit=2)
    return demo


def _suggestion_choices(data: list[dict]) -> dict[str, tuple[int, int]]:
    """Checkbox label → (paragraph index, suggestion index)."""
    return {
        f"第{i + 1}段·建议{j + 1}：{s['source_line']}": (i, j)
        for i, p in enumerate(data)
        for j, s in enumerate(p["suggestions"])
    }


def auth_users(settings: dict[str, Any]) -> list[tuple[str, str]] | None:
    """Users from ``ui.auth`` ([{username, password_env}]); passwords come from the environment."""
    users = []
    for entry in (settings.get("ui") or {}).get("auth") or []:
        password = os.environ.get(entry.get("password_env", ""), "")
        if not password:
            raise UserError(
                f"用户 {entry.get('username')} 的密码未设置：请设置环境变量 {entry.get('password_env')}（config.yaml 的 ui.auth）"
            )
        users.append((str(entry["username"]), password))
    return users or None


def serve(settings: dict[str, Any], host: str, port: int, kb: str | None = None, block: bool = True) -> gr.Blocks:
    """Start the app; with ``block=False`` return at once (the caller closes it with ``.close()``)."""
    demo = build_app(settings, kb)
    max_mb = float(settings.get("ingest", {}).get("max_file_size_mb", 50))
    demo.launch(
        server_name=host,
        server_port=port,
        share=False,
        auth=auth_users(settings),
        auth_message="请输入账号和密码",
        max_file_size=f"{max_mb:g}mb",
        footer_links=["api"],
        head=render.COPY_SCRIPT,
        css=render.CSS,
        prevent_thread_lock=not block,
        quiet=not block,
    )
    return demo
