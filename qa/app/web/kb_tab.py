"""The 知识库 tab: new knowledge base, upload with a parse preview, the document table, delete with
confirmation, metadata with its current values, a document's passages (view, correct, hide), rebuild
and the hit test. Layout and wiring only; ``KnowledgeBaseHandlers`` does the work."""

from __future__ import annotations

import gradio as gr

from qa.app import passages
from qa.app import workspace as pages
from qa.app.web.kb_handlers import KnowledgeBaseHandlers
from qa.ingest.formats import SUPPORTED_SUFFIXES

PRIVATE = {"api_visibility": "private"}
WRITE = {"concurrency_id": "write", "concurrency_limit": 1}
SEARCH = {"concurrency_id": "search", "concurrency_limit": 4}


def kb_tab(k: KnowledgeBaseHandlers, kb_select) -> dict:
    with gr.Row():
        new_kb = gr.Textbox(label="新建知识库", placeholder="名称，如 2025年材料", scale=3)
        create = gr.Button("新建", scale=1, elem_id="qa-kb-create")
    uploads, preview_go, upload_go, result = _upload_section(k)
    docs = gr.Dataframe(
        headers=pages.DOC_HEADERS,
        label="文档",
        interactive=False,
        wrap=True,
        column_widths=["8%", "22%", "30%", "16%", "14%", "10%"],
        elem_id="qa-docs",
    )
    with gr.Row():
        doc_pick = gr.Dropdown(
            [],
            value=None,
            label="选择文档",
            scale=3,
            elem_id="qa-doc-pick",
            allow_custom_value=True,  # API callers name a document by id, label or file name (/documents)
        )
        delete_go = gr.Button("删除所选文档…", variant="stop", scale=1, elem_id="qa-delete")
    with gr.Group(visible=False, elem_id="qa-delete-confirm") as confirm:
        question = gr.Markdown(elem_id="qa-delete-question")
        with gr.Row():
            yes = gr.Button("确认删除", variant="stop", elem_id="qa-delete-yes")
            no = gr.Button("取消", elem_id="qa-delete-no")
    with gr.Accordion("修改元数据（多篇文章的版面会应用到全部文章）", open=False, elem_id="qa-meta"):
        with gr.Row():
            labels = ("标题", "地点", "作者", "日期")
            meta = [gr.Textbox(label=label, elem_id=f"qa-meta-{i}") for i, label in enumerate(labels)]
        meta_go = gr.Button("保存并重新索引")
    passage_outputs, passage_buttons = _passage_section(k, kb_select, doc_pick)
    rebuild_go = gr.Button("重建索引（全部文档重新解析和计算向量）")
    _hit_test_section(k, kb_select)

    writes = [
        create.click(k.create_kb, new_kb, kb_select, **PRIVATE),
        upload_go.click(
            k.upload,
            [kb_select, uploads],
            [result, uploads],
            api_name="ingest",
            api_description="上传材料并导入知识库，返回每个文件的导入结果。",
            **WRITE,
        ),
        yes.click(
            k.delete,
            [kb_select, doc_pick],
            confirm,
            api_name="delete_document",
            api_description="从知识库删除一个文档（编号取自 /documents）。",
            **WRITE,
        ),
        meta_go.click(k.save_meta, [kb_select, doc_pick, *meta], result, **PRIVATE, **WRITE),
        rebuild_go.click(k.rebuild, kb_select, result, **PRIVATE, **WRITE),
    ]
    delete_go.click(k.ask_delete, [kb_select, doc_pick], [confirm, question], **PRIVATE)
    no.click(lambda: gr.update(visible=False), None, confirm, **PRIVATE)
    doc_pick.change(k.pick_document, [kb_select, doc_pick], [*meta, *passage_outputs, confirm], **PRIVATE)
    return {
        "docs": docs,
        "doc_pick": doc_pick,
        # in KnowledgeBaseHandlers.EDIT_BUTTONS order: what only an editor may use
        "edit_buttons": [upload_go, delete_go, meta_go, rebuild_go, *passage_buttons],
        "create": create,
        "writes": writes,
    }


def _upload_section(k: KnowledgeBaseHandlers):
    max_mb = k.ws.settings.ingest.max_file_size_mb
    uploads = gr.File(
        label=f"上传材料（可多选；{' '.join(sorted(SUPPORTED_SUFFIXES))}；单个不超过 {max_mb:g} MB）",
        file_count="multiple",
        # no file_types: Gradio would refuse other types in English; ingest_uploads refuses them in Chinese
        elem_id="qa-upload",
    )
    with gr.Row():
        preview_go = gr.Button("预览解析结果（不导入）", elem_id="qa-preview-go")
        upload_go = gr.Button("导入", variant="primary", elem_id="qa-upload-go")
    preview = gr.HTML(elem_id="qa-preview")
    result = gr.Dataframe(
        headers=["文件", "结果", "分块数", "原因"], label="导入结果", interactive=False, elem_id="qa-upload-result"
    )
    preview_go.click(k.preview, uploads, preview, **PRIVATE, **SEARCH)
    return uploads, preview_go, upload_go, result


def _passage_section(k: KnowledgeBaseHandlers, kb_select, doc_pick) -> list:
    with gr.Accordion("查看与校正段落", open=False, elem_id="qa-passages"):
        table = gr.Dataframe(
            headers=passages.PASSAGE_HEADERS,
            interactive=False,
            wrap=True,
            column_widths=["10%", "20%", "14%", "8%", "48%"],
            max_height=400,
            elem_id="qa-passage-table",
        )
        pick = gr.Dropdown([], value=None, label="选择段落", elem_id="qa-passage-pick")
        text = gr.Textbox(label="段落内容（改正错字后保存；清空后保存即恢复原文）", lines=4, elem_id="qa-passage-text")
        with gr.Row():
            correct_go = gr.Button("保存校正", elem_id="qa-passage-save")
            hide_go = gr.Button("隐藏此段 / 恢复此段", elem_id="qa-passage-hide")
    outputs = [table, pick, text]
    pick.input(k.passage_text, [kb_select, doc_pick, pick], text, **PRIVATE)
    edited = [*outputs, doc_pick]
    correct_go.click(k.correct_passage, [kb_select, doc_pick, pick, text], edited, **PRIVATE, **WRITE)
    hide_go.click(k.hide_passage, [kb_select, doc_pick, pick], edited, **PRIVATE, **WRITE)
    return outputs, [correct_go, hide_go]


def _hit_test_section(k: KnowledgeBaseHandlers, kb_select) -> None:
    gr.Markdown("#### 命中测试")
    with gr.Row():
        probe = gr.Textbox(label="检索内容", scale=4, elem_id="qa-probe")
        probe_k = gr.Number(10, label="条数", precision=0, scale=1)
        probe_go = gr.Button("检索", scale=1, elem_id="qa-probe-go")
    probe_result = gr.Dataframe(
        headers=["排名", "来源", "章节", "得分", "段落"],
        interactive=False,
        wrap=True,
        column_widths=["7%", "20%", "15%", "10%", "48%"],
        elem_id="qa-probe-result",
    )
    probe_go.click(
        k.search,
        [kb_select, probe, probe_k],
        probe_result,
        api_name="search",
        api_description="命中测试：按检索内容返回最相关的段落及其得分。",
        **SEARCH,
    )
