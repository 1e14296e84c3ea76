"""The web app's handlers as plain functions, on a private copy of the seed knowledge base."""

from __future__ import annotations

import shutil

import pytest

from qa.answer.drafts import DraftParagraph
from qa.app.workspace import (
    Workspace,
    delete_document,
    documents_table,
    edit_metadata,
    example_questions,
    ingest_uploads,
    rebuild,
    search_table,
    settings_summary,
)
from qa.errors import UserError
from qa.settings import Settings


@pytest.fixture
def ws(seed_kb, tmp_path, embedder) -> Workspace:
    shutil.copytree(seed_kb.folder, tmp_path / "index" / "default")
    settings = Settings(index_dir=str(tmp_path / "index")).replace(embedding={"model": embedder.name})
    workspace = Workspace(settings)
    return workspace


def test_uploads_are_copied_indexed_and_unsupported_types_refused(ws, tmp_path):
    good = tmp_path / "某县经验.txt"
    good.write_bytes(
        "某县推行“红色驿站”\n近年来，某县建设“红色驿站”，党员在驿站轮值服务群众，办理民生实事。".encode("gbk")
    )
    bad = tmp_path / "照片.jpg"
    bad.write_bytes(b"\xff\xd8\xff")
    program = tmp_path / "程序.exe"
    program.write_bytes(b"MZ\x90\x00")
    empty = tmp_path / "空.txt"
    empty.write_bytes(b"")
    seen = []
    files = [str(good), str(bad), str(program), str(empty)]
    rows = ingest_uploads(ws, "default", files, lambda *a, **k: seen.append(a))
    result = {row[0]: row for row in rows}
    assert result["某县经验.txt"][1] == "已索引"
    assert result["照片.jpg"][1] == "失败" and "图片已损坏" in result["照片.jpg"][3]
    assert result["程序.exe"][1] == "失败" and "不支持的文件类型" in result["程序.exe"][3]
    assert result["空.txt"][1] == "失败" and "文件为空" in result["空.txt"][3]
    uploads = ws.folder("default") / "uploads"
    assert sorted(p.name for p in uploads.iterdir()) == ["某县经验.txt"]  # failed uploads leave nothing behind
    assert seen  # progress was reported
    assert any(row[1] == "某县经验.txt" for row in documents_table(ws, "default"))
    assert any("红色驿站" in row[-1] for row in search_table(ws, "default", "红色驿站", 3))


def test_delete_removes_the_document_and_its_upload(ws, tmp_path):
    report = tmp_path / "删我.txt"
    report.write_text("删我县经验\n删我县推行“删除测试法”，把测试做实做细，群众满意度明显提升。", encoding="utf-8")
    ingest_uploads(ws, "default", [str(report)])
    [doc_id] = [row[0] for row in documents_table(ws, "default") if row[1] == "删我.txt"]
    assert "已删除" in delete_document(ws, "default", doc_id)
    assert not (ws.folder("default") / "uploads" / "删我.txt").exists()
    assert all("删除测试法" not in row[-1] for row in search_table(ws, "default", "删除测试法", 10))
    with pytest.raises(UserError, match="没有编号"):
        delete_document(ws, "default", doc_id)


def test_metadata_edit_reindexes_with_the_new_values(ws, tmp_path):
    report = tmp_path / "无名.txt"
    report.write_text("经验材料\n近年来，我县推行“积分银行”，群众参与乡村治理的积极性明显提升。", encoding="utf-8")
    ingest_uploads(ws, "default", [str(report)])
    [doc_id] = [row[0] for row in documents_table(ws, "default") if row[1] == "无名.txt"]
    rows = edit_metadata(ws, "default", doc_id, {"title": "积分银行经验", "place": "开平市", "author": "", "date": ""})
    assert rows[0][1] == "已更新"
    [row] = [row for row in documents_table(ws, "default") if row[1] == "无名.txt"]
    assert row[2] == "积分银行经验" and row[3] == "开平市"
    with pytest.raises(UserError, match="至少填写"):
        edit_metadata(ws, "default", row[0], {"title": " "})
    rebuild(ws, "default")  # a rebuild parses the file again: the edit is kept
    [row] = [row for row in documents_table(ws, "default") if row[1] == "无名.txt"]
    assert row[2] == "积分银行经验" and row[3] == "开平市"


def test_rebuild_indexes_every_document_again(ws, tmp_path):
    before = {row[1] for row in documents_table(ws, "default")}
    rows = rebuild(ws, "default")
    assert {r[1] for r in rows} == {"已索引"} and {row[1] for row in documents_table(ws, "default")} == before
    gone = tmp_path / "会消失.txt"
    gone.write_text("某县经验\n近年来，某县推行“消失测试法”，把工作做实做细，群众满意度明显提升。", encoding="utf-8")
    ingest_uploads(ws, "default", [str(gone)])
    (ws.folder("default") / "uploads" / "会消失.txt").unlink()
    with pytest.raises(UserError, match="会消失.txt"):
        rebuild(ws, "default")
    assert "会消失.txt" in {row[1] for row in documents_table(ws, "default")}  # nothing was lost


def test_bad_names_and_empty_knowledge_bases_are_explained(ws):
    with pytest.raises(UserError, match="名称只能包含"):
        ws.folder("../etc")
    (ws.index_dir / "新库" / "uploads").mkdir(parents=True)
    assert "新库" in ws.names()
    with pytest.raises(UserError, match="还没有任何文档"):
        ws.answerer("新库")
    assert documents_table(ws, "新库") == []


def test_settings_and_examples_come_from_the_corpus(ws):
    summary = settings_summary(ws, "default")
    assert "hash-test" in summary and "摘录模式" in summary and "5 个文档" in summary
    questions = example_questions(ws, "default")
    assert len(questions) >= 4 and any(q.startswith("“") for q in questions)
    for question in questions:  # a quote inside a quote is written ‘…’: the marks pair up
        assert question.count("“") == question.count("”") <= 1, question


def test_draft_paragraph_round_trips_through_the_browser_state(ws):
    from qa.answer.drafts import suggest_citations
    from qa.model import Citation

    [paragraph, *_] = [
        p
        for p in suggest_citations(
            ws.answerer("default").retriever, "我县全面推行村级事务准入制度，清理村级组织挂牌，切实为基层减负。"
        )
        if p.suggestions
    ]
    data = paragraph.to_dict()
    again = DraftParagraph(data["text"], [Citation(**s) for s in data["suggestions"]], data["accepted"])
    assert again == paragraph


def test_handler_failures_reach_the_page_as_chinese_messages(ws, monkeypatch, caplog):
    import gradio as gr

    from qa.app.web.handlers import WebHandlers
    from qa.app.web.kb_handlers import KnowledgeBaseHandlers
    from qa.errors import UNEXPECTED

    handlers = WebHandlers(ws.settings)
    kb = KnowledgeBaseHandlers(handlers)
    with pytest.raises(gr.Error, match="知识库名称"):  # a QAError: its own message
        kb.create_kb("../escape", None)
    # an empty question is a notice, and no output changes (no red error badges)
    with pytest.warns(UserWarning, match="请先输入问题"):
        assert next(handlers.ask("  ", [], None, "default", "", "", "", "", None)) == (gr.skip(),) * 6

    def broken(*args, **kwargs):
        raise KeyError("bug")

    monkeypatch.setattr("qa.app.workspace.search_table", broken)
    with pytest.raises(gr.Error) as raised:  # anything else: a short Chinese message, the trace in the log
        kb.search("default", "积分超市", 3, None)
    assert raised.value.message == UNEXPECTED and "KeyError" in caplog.text


def test_the_example_questions_the_page_offers_are_answered(ws):
    questions = example_questions(ws, "default")
    assert len(questions) >= 4
    answerer = ws.answerer("default")
    for question in questions:
        assert not answerer.ask(question).abstained, question
