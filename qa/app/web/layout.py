"""The web app's page (Gradio Blocks): 问答, 相似经验, 起草引用, 知识库, 设置 — Chinese throughout.

Only layout and wiring live here; what each event does is a method of ``WebHandlers``. Every
endpoint named with ``api_name`` is also reachable through gradio_client (listed in the README).
Uploads are copied into ``<index_dir>/<kb>/uploads/`` and nothing else on disk is served. A slow LLM
cannot hold up uploads or searches: each kind of work has its own concurrency slot.
"""

from __future__ import annotations

import os

import gradio as gr

from qa.app import workspace as pages
from qa.app.web import render
from qa.app.web.handlers import WebHandlers, doc_choices
from qa.errors import UserError
from qa.ingest.formats import SUPPORTED_SUFFIXES
from qa.settings import Settings

CHAT = {"concurrency_id": "chat", "concurrency_limit": 4}
SEARCH = {"concurrency_id": "search", "concurrency_limit": 4}
WRITE = {"concurrency_id": "write", "concurrency_limit": 1}
PRIVATE = {"api_visibility": "private"}


def build_app(settings: Settings, kb: str | None = None, handlers: WebHandlers | None = None) -> gr.Blocks:
    h = handlers or WebHandlers(settings, kb)
    with gr.Blocks(title="经验材料问答") as demo:
        gr.Markdown("## 经验材料问答与检索\n党建引领乡村振兴与基层治理经验材料：提问、找相似经验、为稿件找引用。")
        with gr.Row():
            kb_select = gr.Dropdown(
                h.kb_choices(), value=h.default_kb, label="知识库", scale=2, allow_custom_value=True
            )
            new_kb = gr.Textbox(label="新建知识库", placeholder="名称，如 2025年材料", scale=2)
            create = gr.Button("新建", scale=1)
        stored = gr.BrowserState([], storage_key="qa_chat_history")
        initial_docs = pages.documents_table(h.ws, h.default_kb)
        with gr.Tabs():
            with gr.Tab("问答", id="chat"):
                province, doc = _chat_tab(h, kb_select, stored, demo, initial_docs)
            with gr.Tab("相似经验", id="similar"):
                _similar_tab(h, kb_select)
            with gr.Tab("起草引用", id="cite"):
                _cite_tab(h, kb_select)
            with gr.Tab("知识库", id="kb"):
                docs_table, doc_pick = _kb_tab(h, kb_select, initial_docs)
            with gr.Tab("设置", id="settings"):
                settings_md = gr.Markdown(pages.settings_summary(h.ws, h.default_kb))
        create.click(h.create_kb, new_kb, kb_select, **PRIVATE)
        kb_select.change(h.switch_kb, kb_select, [docs_table, doc_pick, province, doc, settings_md], **PRIVATE)
        gr.api(h.documents, api_name="documents")
    demo.queue(max_size=settings.ui.queue_size, default_concurrency_limit=2)
    return demo


def _chat_tab(h: WebHandlers, kb_select, stored, demo, initial_docs):
    with gr.Row():
        with gr.Column(scale=3):
            chatbot = gr.Chatbot(label="对话", height=480, elem_id="qa-chat", sanitize_html=True, feedback_options=None)
            with gr.Row():
                question = gr.Textbox(
                    placeholder="输入问题，例如：思南县完成了多少支驻村工作队选派？",
                    show_label=False,
                    scale=5,
                    elem_id="qa-question",
                )
                send = gr.Button("提问", variant="primary", scale=1, elem_id="qa-send")
            gr.Examples(pages.example_questions(h.ws, h.default_kb), inputs=question, label="示例问题")
            with gr.Row():
                provinces = ["", *h.ws.provinces(h.default_kb)]
                province = gr.Dropdown(provinces, value="", label="省份", allow_custom_value=True)
                place = gr.Textbox(label="地点（可选）", placeholder="如 思南")
                doc = gr.Dropdown(
                    ["", *[row[1] for row in initial_docs]], value="", label="文档（可选）", allow_custom_value=True
                )
            clear = gr.Button("清空对话")
        with gr.Column(scale=2):
            mode_badge = gr.HTML(elem_id="qa-badge")
            cards = gr.HTML(label="引用来源", elem_id="qa-cards")
    outputs = [question, chatbot, cards, mode_badge, stored]
    inputs = [question, chatbot, stored, kb_select, province, place, doc]
    send.click(h.ask, inputs, outputs, api_name="ask", **CHAT)
    question.submit(h.ask, inputs, outputs, **PRIVATE, **CHAT)
    clear.click(lambda: ([], "", "", []), None, [chatbot, cards, mode_badge, stored], **PRIVATE)
    chatbot.select(h.show_message_cards, [stored], [cards, mode_badge], **PRIVATE)
    demo.load(h.restore, [stored], [chatbot, cards, mode_badge], **PRIVATE)
    return province, doc


def _similar_tab(h: WebHandlers, kb_select) -> None:
    text = gr.Textbox(label="做法描述或稿件段落", lines=5, elem_id="qa-similar-text")
    upload = gr.File(label="或上传稿件（.docx .doc .wps .txt .md .pdf 等）")
    with gr.Row():
        exclude = gr.Textbox(label="排除本地", placeholder="如 思南县")
        provinces = ["", *h.ws.provinces(h.default_kb)]
        province = gr.Dropdown(provinces, value="", label="只看某省", allow_custom_value=True)
        go = gr.Button("查找相似经验", variant="primary", elem_id="qa-similar-go")
    result = gr.HTML(elem_id="qa-similar-result")
    payload = gr.JSON(visible=False)
    files = gr.File(label="导出（.docx / .md）", file_count="multiple")
    go.click(
        h.similar, [text, upload, kb_select, exclude, province], [result, payload, files], api_name="similar", **SEARCH
    )


def _cite_tab(h: WebHandlers, kb_select) -> None:
    text = gr.Textbox(label="粘贴稿件", lines=10)
    upload = gr.File(label="或上传稿件（.docx .doc .wps .txt .md .pdf 等）")
    exclude = gr.Textbox(label="不引用本地材料", placeholder="如 思南县")
    go = gr.Button("逐段推荐引用", variant="primary")
    suggestions = gr.HTML()
    chosen = gr.CheckboxGroup(label="采用的引用（取消勾选即不采用）", choices=[])
    state = gr.JSON(visible=False)  # not gr.State: API users pass it back to /cite_export
    download = gr.Button("生成带引用的稿件")
    files = gr.File(label="下载（.docx / .md）", file_count="multiple")
    go.click(h.cite, [text, upload, kb_select, exclude], [suggestions, chosen, state], api_name="cite", **SEARCH)
    download.click(h.cite_export, [state, chosen], files, api_name="cite_export")


def _kb_tab(h: WebHandlers, kb_select, initial_docs):
    max_mb = h.settings.ingest.max_file_size_mb
    uploads = gr.File(
        label=f"上传材料（可多选；{' '.join(sorted(SUPPORTED_SUFFIXES))}；单个不超过 {max_mb:g} MB）",
        file_count="multiple",
        # no file_types: Gradio would refuse other types in English; ingest_uploads refuses them in Chinese
        elem_id="qa-upload",
    )
    upload_go = gr.Button("导入", variant="primary", elem_id="qa-upload-go")
    upload_result = gr.Dataframe(
        headers=["文件", "结果", "分块数", "原因"], label="导入结果", interactive=False, elem_id="qa-upload-result"
    )
    docs_table = gr.Dataframe(
        initial_docs, headers=pages.DOC_HEADERS, label="文档", interactive=False, elem_id="qa-docs"
    )
    with gr.Row():
        doc_pick = gr.Dropdown(doc_choices(initial_docs), label="选择文档", elem_id="qa-doc-pick")
        delete_go = gr.Button("删除所选文档", variant="stop", elem_id="qa-delete")
        rebuild_go = gr.Button("重建索引")
    with gr.Accordion("修改元数据（多篇文章的版面会应用到全部文章）", open=False):
        with gr.Row():
            meta = [gr.Textbox(label=label) for label in ("标题", "地点", "作者", "日期")]
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
    upload_go.click(
        h.upload, [kb_select, uploads], [upload_result, docs_table, doc_pick, uploads], api_name="ingest", **WRITE
    )
    delete_go.click(h.delete, [kb_select, doc_pick], [docs_table, doc_pick], api_name="delete_document", **WRITE)
    meta_go.click(h.save_meta, [kb_select, doc_pick, *meta], [upload_result, docs_table, doc_pick], **PRIVATE, **WRITE)
    rebuild_go.click(h.rebuild, kb_select, upload_result, **PRIVATE, **WRITE)
    probe_go.click(h.search, [kb_select, probe, probe_k], probe_result, api_name="search", **SEARCH)
    return docs_table, doc_pick


def auth_users(settings: Settings) -> list[tuple[str, str]] | None:
    """Users from ``ui.auth`` ([{username, password_env}]); passwords come from the environment."""
    users = []
    for entry in settings.ui.auth:
        password = os.environ.get(entry.password_env, "")
        if not password:
            raise UserError(
                f"用户 {entry.username} 的密码未设置",
                f"请设置环境变量 {entry.password_env}（config.yaml 的 ui.auth）",
            )
        users.append((entry.username, password))
    return users or None


def serve(settings: Settings, host: str, port: int, kb: str | None = None, block: bool = True) -> gr.Blocks:
    """Start the app, with the HTTP API (OpenAI-compatible, Dify retrieval, search) on the same port;
    with ``block=False`` return at once (the caller closes it with ``.close()``)."""
    from qa.app.api.routes import api_router

    handlers = WebHandlers(settings, kb)  # the page and the API share its workspace
    demo = build_app(settings, kb, handlers)
    demo.launch(
        server_name=host,
        server_port=port,
        share=False,
        auth=auth_users(settings),
        auth_message="请输入账号和密码",
        max_file_size=f"{settings.ingest.max_file_size_mb:g}mb",
        footer_links=["api"],
        head=render.COPY_SCRIPT,
        css=render.CSS,
        prevent_thread_lock=True,
        quiet=not block,
    )
    # Gradio has no catch-all route, so routes added to its app after launch are reached as they are
    demo.app.include_router(api_router(settings, handlers.ws, host))
    if block:
        demo.block_thread()
    return demo
