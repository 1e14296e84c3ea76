"""The web app's page (Gradio Blocks): 问答, 相似经验, 起草引用, 知识库, 设置 — Chinese throughout.

Only layout and wiring live here; what each event does is a method of ``WebHandlers``. Every
endpoint named with ``api_name`` is also reachable through gradio_client (listed in the README).
Uploads are copied into ``<index_dir>/<kb>/uploads/`` and nothing else on disk is served. A slow LLM
cannot hold up uploads or searches: each kind of work has its own concurrency slot.
"""

from __future__ import annotations

import functools

import gradio as gr
from starlette.middleware import Middleware

from qa.app import workspace as pages
from qa.app.web import render
from qa.app.web.body_limit import BodyLimit
from qa.app.web.chinese_page import ChinesePage, chinese_api_examples
from qa.app.web.exports import OwnerOnly
from qa.app.web.handlers import WebHandlers
from qa.app.web.kb_handlers import KnowledgeBaseHandlers
from qa.app.web.kb_tab import PRIVATE, SEARCH
from qa.app.web.kb_tab import kb_tab as _kb_tab
from qa.settings import Settings

CHAT = {"concurrency_id": "chat", "concurrency_limit": 4}


def build_app(settings: Settings, kb: str | None = None, handlers: WebHandlers | None = None) -> gr.Blocks:
    h = handlers or WebHandlers(settings, kb)
    k = KnowledgeBaseHandlers(h)
    # Gradio's cached copies of uploads and exports are removed an hour after they were made
    keep = int(h.exports.keep_seconds)
    # with login, the page as built (Gradio's /config) names no knowledge base: each user's load fills it
    kbs = [] if h.access.login_required else h.kb_choices()
    with gr.Blocks(title="经验材料问答", delete_cache=(keep // 6, keep)) as demo:
        with gr.Row(equal_height=True):
            gr.Markdown("### 经验材料问答与检索", elem_id="qa-title")
            kb_select = gr.Dropdown(
                kbs,
                value=h.default_kb if kbs else None,
                label="知识库",
                scale=1,
                min_width=160,
                elem_id="qa-kb",
                allow_custom_value=True,  # API callers name any knowledge base; each handler checks access
            )
            user_md = gr.Markdown(elem_id="qa-user")
            if h.access.login_required:  # Gradio's own route ends the session and shows the login form
                gr.Button("退出登录", link="/logout", size="sm", scale=0, min_width=90, elem_id="qa-logout")
        conversation = gr.BrowserState(None, storage_key="qa_conversation")  # the id of the open conversation
        with gr.Tabs():
            with gr.Tab("问答", id="chat"):
                chat = _chat_tab(h, kb_select, conversation)
            with gr.Tab("相似经验", id="similar"):
                similar_province = _similar_tab(h, kb_select)
            with gr.Tab("起草引用", id="cite"):
                _cite_tab(h, kb_select)
            with gr.Tab("知识库", id="kb"):
                kb_tab = _kb_tab(k, kb_select)
            with gr.Tab("设置", id="settings"):
                settings_md, save_settings = _settings_tab(k, kb_select)
        lists = [
            kb_select,
            user_md,
            kb_tab["docs"],
            kb_tab["doc_pick"],
            chat["province"],
            chat["doc"],
            similar_province,
            settings_md,
            chat["examples"],
            *kb_tab["edit_buttons"],
            kb_tab["create"],
            save_settings,
        ]
        demo.load(k.lists, kb_select, lists, **PRIVATE)
        demo.load(h.restore, conversation, [conversation, *chat["shown"], chat["title"]], **PRIVATE)
        demo.load(h.conversation_list, [chat["search"], conversation], chat["list"], **PRIVATE)
        kb_select.input(k.lists, kb_select, lists, **PRIVATE)
        # every write is followed by a refresh of every list, so nothing on the page goes stale
        for event in kb_tab["writes"]:
            event.then(k.lists, kb_select, lists, **PRIVATE)
        gr.api(
            k.documents,
            api_name="documents",
            api_description="知识库中的文档：编号、文件名、标题、地点、日期、段落数。",
        )
    demo.queue(max_size=settings.ui.queue_size, default_concurrency_limit=2)
    chinese_api_examples(demo)
    return demo


def _chat_tab(h: WebHandlers, kb_select, conversation) -> dict:
    with gr.Row():
        with gr.Column(scale=1, min_width=200, elem_id="qa-conv-col"):
            new = gr.Button("＋ 新对话", size="sm", elem_id="qa-new-conv")
            search = gr.Textbox(label="搜索对话", placeholder="搜索对话", show_label=False, elem_id="qa-conv-search")
            listing = gr.Radio([], label="对话记录（最新在前）", elem_id="qa-conv-list")
            with gr.Accordion("管理当前对话", open=False, elem_id="qa-conv-manage"):
                title = gr.Textbox(label="对话标题", elem_id="qa-conv-title")
                rename = gr.Button("重命名", size="sm", elem_id="qa-conv-rename")
                export = gr.Button("导出为 Word / Markdown", size="sm", elem_id="qa-conv-export")
                files = gr.File(label="导出文件", file_count="multiple", elem_id="qa-conv-files")
                delete = gr.Button("删除此对话…", variant="stop", size="sm", elem_id="qa-conv-delete")
                with gr.Group(visible=False, elem_id="qa-conv-confirm") as confirm:
                    asked = gr.Markdown(elem_id="qa-conv-question")
                    yes = gr.Button("确认删除", variant="stop", size="sm", elem_id="qa-conv-delete-yes")
                    no = gr.Button("取消", size="sm", elem_id="qa-conv-delete-no")
        with gr.Column(scale=3, min_width=320):
            # tall enough for a whole answer, no label over its first line, and a new answer shown from its
            # start (a refusal says so in its first words) rather than scrolled to its end
            chatbot = gr.Chatbot(
                label="对话",
                show_label=False,
                height="62vh",
                autoscroll=False,
                elem_id="qa-chat",
                sanitize_html=True,
                feedback_options=None,
                buttons=[],
            )
            with gr.Row():
                question = gr.Textbox(
                    label="问题",
                    placeholder="输入问题，例如：思南县完成了多少支驻村工作队选派？",
                    show_label=False,
                    scale=5,
                    elem_id="qa-question",
                )
                send = gr.Button("提问", variant="primary", scale=1, min_width=80, elem_id="qa-send")
            with gr.Accordion("示例问题与检索范围", open=False):
                shown_first = pages.example_questions(h.ws, h.default_kb) if kb_select.choices else []
                examples = gr.Examples(shown_first, inputs=question, label="示例问题")
                with gr.Row():
                    province = gr.Dropdown([""], value="", label="省份", allow_custom_value=True, elem_id="qa-province")
                    place = gr.Textbox(label="地点（可选）", placeholder="如 思南")
                    doc = gr.Dropdown(
                        [""], value="", label="文档（可选）", allow_custom_value=True, elem_id="qa-doc-filter"
                    )
        with gr.Column(scale=2, min_width=300, elem_id="qa-cards-col"):
            badge = gr.HTML(elem_id="qa-badge")
            cards = gr.HTML(label="引用来源", elem_id="qa-cards")
    shown = [chatbot, cards, badge]
    inputs = [question, chatbot, conversation, kb_select, province, place, doc, search]
    outputs = [question, chatbot, cards, badge, conversation, listing]
    send.click(
        h.ask, inputs, outputs, api_name="ask", api_description="提问：回答逐句标注 [n]，并给出引用来源。", **CHAT
    )
    # an example question is asked at once, not only put in the box
    examples.load_input_event.then(h.ask, inputs, outputs, **PRIVATE, **CHAT)
    question.submit(h.ask, inputs, outputs, **PRIVATE, **CHAT)
    new.click(
        lambda: (None, [], "", "", "", gr.update(value=None)), None, [conversation, *shown, title, listing], **PRIVATE
    )
    search.change(h.conversation_list, [search, conversation], listing, **PRIVATE)
    listing.input(h.open_conversation, listing, [conversation, *shown, title], **PRIVATE)
    rename.click(h.rename_conversation, [conversation, title, search], listing, **PRIVATE)
    delete.click(h.ask_delete_conversation, conversation, [confirm, asked], **PRIVATE)
    no.click(lambda: gr.update(visible=False), None, confirm, **PRIVATE)
    yes.click(h.delete_conversation, [conversation, search], [conversation, *shown, title, listing, confirm], **PRIVATE)
    export.click(h.export_conversation, conversation, files, **PRIVATE)
    chatbot.select(h.show_message_cards, conversation, [cards, badge], **PRIVATE)
    return {
        "province": province,
        "doc": doc,
        "examples": examples.dataset,
        "shown": shown,
        "title": title,
        "search": search,
        "list": listing,
    }


def _similar_tab(h: WebHandlers, kb_select):
    text = gr.Textbox(label="做法描述或稿件段落", lines=5, elem_id="qa-similar-text")
    upload = gr.File(label="或上传稿件（.docx .doc .wps .txt .md .pdf 等）")
    with gr.Row():
        exclude = gr.Textbox(label="排除本地", placeholder="如 思南县")
        province = gr.Dropdown([""], value="", label="只看某省", allow_custom_value=True)
        go = gr.Button("查找相似经验", variant="primary", elem_id="qa-similar-go")
    result = gr.HTML(elem_id="qa-similar-result")
    payload = gr.JSON(visible=False)
    files = gr.File(label="导出（.docx / .md）", file_count="multiple")
    go.click(
        h.similar,
        [text, upload, kb_select, exclude, province],
        [result, payload, files],
        api_name="similar",
        api_description="相似经验：按地点列出其他地方的相似做法。",
        **SEARCH,
    )
    return province


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
    go.click(
        h.cite,
        [text, upload, kb_select, exclude],
        [suggestions, chosen, state],
        api_name="cite",
        api_description="为稿件逐段推荐可引用的材料。",
        **SEARCH,
    )
    download.click(
        h.cite_export,
        [state, chosen],
        files,
        api_name="cite_export",
        api_description="导出带参考文献的稿件（.docx / .md）。",
    )


def _settings_tab(k: KnowledgeBaseHandlers, kb_select):
    summary = gr.Markdown(elem_id="qa-settings")
    provider, base_url, model, key_env, passages = k.settings_values()
    with gr.Accordion("修改大模型与回答设置（管理员）", open=False, elem_id="qa-settings-edit"):
        with gr.Row():
            provider_in = gr.Dropdown(
                [("不用大模型（摘录模式，离线）", "none"), ("OpenAI 兼容接口", "openai")],
                value=provider if provider in ("none", "openai") else "openai",
                label="回答方式",
            )
            passages_in = gr.Number(passages, label="每次回答检索的段落数", precision=0, minimum=1, maximum=20)
        with gr.Row():
            base_url_in = gr.Textbox(
                base_url, label="接口地址（base_url）", placeholder="如 https://api.deepseek.com/v1"
            )
            model_in = gr.Textbox(model, label="模型名称", placeholder="如 deepseek-chat")
            key_env_in = gr.Textbox(
                key_env, label="存放密钥的环境变量名", placeholder="如 DEEPSEEK_API_KEY（不是密钥本身）"
            )
        with gr.Row():
            test = gr.Button("测试连接", elem_id="qa-settings-test")
            save = gr.Button("保存设置", variant="primary", elem_id="qa-settings-save")
        result = gr.Markdown(elem_id="qa-settings-result")
    fields = [provider_in, base_url_in, model_in, key_env_in]
    test.click(k.test_connection, fields, result, **PRIVATE)
    save.click(k.save_settings, [kb_select, *fields, passages_in], summary, **PRIVATE)
    return summary, save


def signed_in(app, request) -> str | None:
    """The user signed in on the page (Gradio's session cookie): the page's own calls to the API need
    no key, and an export is served to the user who made it."""
    cookies = request.cookies
    token = cookies.get(f"access-token-{app.cookie_id}") or cookies.get(f"access-token-unsecure-{app.cookie_id}")
    return app.tokens.get(token) if token else None


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
        auth=handlers.access.check_login if handlers.access.login_required else None,
        auth_message="请输入账号和密码",
        max_file_size=f"{settings.ingest.max_file_size_mb:g}mb",
        footer_links=["api"],
        head=render.PAGE_SCRIPT,
        css=render.CSS,
        prevent_thread_lock=True,
        quiet=not block,
        app_kwargs={
            "middleware": [
                Middleware(BodyLimit, limit_bytes=int(settings.ui.max_request_mb * 1024 * 1024)),
                Middleware(ChinesePage),
                Middleware(OwnerOnly, exports=handlers.exports, page_user=signed_in),
            ]
        },
    )
    # Gradio has no catch-all route, so routes added to its app after launch are reached as they are
    demo.app.include_router(api_router(settings, handlers.ws, host, functools.partial(signed_in, demo.app)))
    if block:
        demo.block_thread()
    return demo
