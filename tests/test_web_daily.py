"""An office's daily use, through the page's handlers (called as Gradio calls them, with the signed-in
user on the request): accounts and roles, conversations on the server, passages corrected and hidden,
the parse preview, settings changed in the page, titles from file names."""

from __future__ import annotations

import shutil
from types import SimpleNamespace

import gradio as gr
import pytest

from qa.app import passages
from qa.app.store.accounts import AccountStore
from qa.app.web.handlers import WebHandlers
from qa.app.web.kb_handlers import KnowledgeBaseHandlers
from qa.app.workspace import documents_table, ingest_uploads, rebuild, search_table
from qa.settings import Settings, load_settings

from .fake_llm import FakeLLM


def _as(name: str | None):
    return SimpleNamespace(username=name)


@pytest.fixture
def settings(seed_kb, tmp_path, embedder) -> Settings:
    shutil.copytree(seed_kb.folder, tmp_path / "index" / "default")
    return Settings(index_dir=str(tmp_path / "index")).replace(embedding={"model": embedder.name})


@pytest.fixture
def office(settings):
    """Three accounts: an administrator, an editor and a reader of the default knowledge base."""
    accounts = AccountStore(settings.index_dir)
    accounts.add("管理员", "admin-password", admin=True)
    accounts.add("编辑甲", "editor-password", grants={"default": "editor"})
    accounts.add("读者乙", "reader-password", grants={"default": "reader"})
    web = WebHandlers(settings)
    return web, KnowledgeBaseHandlers(web)


def _ask(web: WebHandlers, user: str, question: str, conversation=None):
    """The handler's last update, asked as the page asks: no filters, a new or given conversation."""
    updates = web.ask(
        message=question,
        chat=[],
        conversation_id=conversation,
        kb_name="default",
        province="",
        place="",
        doc="",
        search="",
        request=_as(user),
    )
    *_, last = updates
    return last


def test_accounts_are_required_once_they_exist_and_roles_are_enforced(office, tmp_path):
    web, kb = office
    assert web.access.login_required
    assert web.access.check_login("读者乙", "reader-password") and not web.access.check_login("读者乙", "x" * 9)

    report = tmp_path / "读者上传.txt"
    report.write_text("某县经验\n某县推行“读者测试法”，群众满意度明显提升。", encoding="utf-8")
    with pytest.raises(gr.Error, match="只读权限，不能上传"):
        kb.upload("default", [str(report)], _as("读者乙"))
    doc_id = documents_table(web.ws, "default")[0][0]
    for forbidden in (
        lambda: kb.ask_delete("default", doc_id, _as("读者乙")),
        lambda: kb.delete("default", doc_id, _as("读者乙")),
        lambda: kb.save_meta("default", doc_id, "新标题", "", "", "", _as("读者乙")),
        lambda: kb.rebuild("default", _as("读者乙")),
    ):
        with pytest.raises(gr.Error, match="不能上传、修改或删除"):
            forbidden()
    with pytest.raises(gr.Error, match="只有管理员"):
        kb.save_settings("default", "none", "", "", "", 6, _as("编辑甲"))
    with pytest.raises(gr.Error, match="请先登录"):
        kb.search("default", "积分", 3, _as(None))

    # the reader asks, searches and exports; the editor writes
    assert "回答方式" in _ask(web, "读者乙", "思南县怎样培育村级骨干？")[3]
    assert kb.search("default", "红色驿站", 3, _as("读者乙"))
    kb.upload("default", [str(report)], _as("编辑甲"))
    assert "读者上传.txt" in {row[1] for row in kb.documents("default", _as("读者乙"))}

    shown = kb.page_lists("default", _as("读者乙"))
    assert shown.user == "当前用户：读者乙（只读）" and not shown.may_edit and not shown.admin
    assert kb.page_lists("default", _as("编辑甲")).may_edit
    # every write button (import, delete, metadata, rebuild, correct, hide) is disabled for the reader
    outputs = shown.outputs()
    assert [o["interactive"] for o in outputs[-8:]] == [False] * 8


def test_a_user_without_a_role_sees_no_knowledge_base(office):
    web, kb = office
    AccountStore(web.settings.index_dir).add("访客", "guest-password")
    assert web.kb_choices(web.access.user(_as("访客"))) == []
    with pytest.raises(gr.Error, match="没有知识库 “default” 的权限"):
        kb.search("default", "积分", 3, _as("访客"))


def test_conversations_are_kept_per_user_continued_renamed_exported_and_deleted(office):
    web, _ = office
    first = _ask(web, "编辑甲", "思南县怎样培育村级骨干？")
    conversation = first[4]
    assert [c for c, _ in [(v, k) for k, v in first[5]["choices"]]] == [conversation]
    follow = _ask(web, "编辑甲", "“2+1”是怎么做的？", conversation)
    assert follow[4] == conversation and "cite-1-" in follow[2]  # the second turn's cards
    second = _ask(web, "编辑甲", "“四议两公开”是怎么做的？")[4]
    assert second != conversation
    assert web.conversations.list("读者乙") == []  # not shared with other users

    opened = web.open_conversation(conversation, _as("编辑甲"))
    assert opened[0] == conversation and len(opened[1]) == 4 and opened[4] == "思南县怎样培育村级骨干？"
    assert "#cite-0-" in opened[1][1]["content"] and "#cite-1-" in opened[1][3]["content"]
    with pytest.raises(gr.Error, match="找不到这个对话"):
        web.open_conversation(conversation, _as("读者乙"))

    listing = web.rename_conversation(conversation, "村级骨干", "", _as("编辑甲"))
    assert ("村级骨干（2问）", conversation) in listing["choices"]
    assert [v for _, v in web.conversation_list("骨干", None, _as("编辑甲"))["choices"]] == [conversation]
    docx, md = web.export_conversation(conversation, _as("编辑甲"))
    text = open(md, encoding="utf-8").read()
    assert docx.endswith("村级骨干.docx") and "## 问：“2+1”是怎么做的？" in text and "## 参考资料" in text

    shown, question = web.ask_delete_conversation(conversation, _as("编辑甲"))
    assert shown["visible"] and "村级骨干" in question
    cleared = web.delete_conversation(conversation, "", _as("编辑甲"))
    assert cleared[0] is None and [v for _, v in cleared[5]["choices"]] == [second]
    assert web.restore(conversation, _as("编辑甲"))[0] is None  # a browser still pointing at it starts afresh


def test_passages_are_viewed_corrected_hidden_restored_and_kept_through_a_rebuild(office, tmp_path):
    web, kb = office
    report = tmp_path / "错字.txt"
    report.write_text(
        "错字县经验材料\n一、建强阵地\n错字县新建党群服务中心12个，配齐便民服务代办员，群众办事不出村，"
        "村级组织活动场所全部达标，党员群众有了议事说事的固定地方。\n"
        "二、培育骨干\n错字县推行“导师帮代”制度，由乡镇干部和老支书结对带教，培养后备力量36名，"
        "村级班子年龄结构和学历结构明显优化，为换届储备了人选。",
        encoding="utf-8",
    )
    ingest_uploads(web.ws, "default", [str(report)])
    [doc_id] = [row[0] for row in documents_table(web.ws, "default") if row[1] == "错字.txt"]
    rows = passages.passage_rows(web.ws, "default", doc_id)
    assert [row[1] for row in rows] == ["建强阵地", "培育骨干"] and all("–" in row[2] for row in rows)
    typo = next(row for row in rows if "帮代" in row[4])

    editor = _as("编辑甲")
    table, _, _, picked = kb.correct_passage("default", doc_id, str(typo[0]), typo[4].replace("帮代", "帮带"), editor)
    doc_id = picked["value"]  # indexed again, under a new id, and still the chosen document
    assert [row[0] for row in table] == [row[0] for row in rows] == [1, 2]  # numbers survive the re-index
    assert any("导师帮带" in row[4] and row[3] == "已校正" for row in table)
    assert any("导师帮带" in row[-1] for row in search_table(web.ws, "default", "导师帮带", 3))
    # the answer, its card, the article around it and a passage joined with its neighbour say it too
    answer = web.ws.answerer("default").ask("错字县建强阵地、培育骨干是怎么做的？")
    shown = answer.text + "".join(c.passage + c.quote for c in answer.citations)
    assert "导师帮带" in shown and "帮代" not in shown, shown
    articles = web.ws.article_texts("default", [c.article_id for c in answer.citations])
    assert articles and all("帮代" not in text for text in articles.values())
    assert all("帮代" not in row[-1] for row in search_table(web.ws, "default", "错字县党群服务中心 导师制度", 5))

    stronghold = next(row for row in table if "服务中心" in row[4])
    table, _, _, picked = kb.hide_passage("default", doc_id, str(stronghold[0]), editor)
    assert [row[3] for row in table] == ["已校正", "已隐藏"]
    assert all("党群服务中心12个" not in row[-1] for row in search_table(web.ws, "default", "错字县党群服务中心", 10))

    rebuild(web.ws, "default")  # the edits live beside the knowledge base, not in its index
    [doc_id] = [row[0] for row in documents_table(web.ws, "default") if row[1] == "错字.txt"]
    table = passages.passage_rows(web.ws, "default", doc_id)
    assert [row[3] for row in table] == ["已校正", "已隐藏"]
    hidden = table[-1][0]
    table, _, _, picked = kb.hide_passage("default", doc_id, hidden, editor)  # a hidden one chosen: restored
    assert sorted(row[3] for row in table) == ["", "已校正"]
    assert any("党群服务中心12个" in row[-1] for row in search_table(web.ws, "default", "错字县党群服务中心", 3))

    title, place, *_ = kb.pick_document("default", picked["value"], editor)  # the editor starts from current values
    assert (title, place) == ("错字县经验材料", "错字县")


def test_an_untitled_report_is_titled_by_its_file_name_unless_that_is_a_hash(office, tmp_path):
    web, _ = office
    body = "近年来，我市坚持健全党的领导体系，推行村级事务“阳光公开”，群众满意度明显提升。"
    named = tmp_path / "开平市村级事务公开经验.txt"
    hashed = tmp_path / "002_6c0b8a38d328fee4.txt"
    named.write_text(body, encoding="utf-8")
    hashed.write_text(body.replace("我市", "我县"), encoding="utf-8")
    ingest_uploads(web.ws, "default", [str(named), str(hashed)])
    titles = {row[1]: row[2] for row in documents_table(web.ws, "default")}
    assert titles["开平市村级事务公开经验.txt"] == "开平市村级事务公开经验"
    assert titles["002_6c0b8a38d328fee4.txt"].startswith("近年来")  # nothing better to go on


def test_the_parse_preview_shows_articles_and_passages_and_writes_nothing(office, tmp_path):
    web, kb = office
    report = tmp_path / "预览.txt"
    report.write_text("预览县经验\n一、做法\n预览县推行“预览工作法”，群众满意度明显提升。", encoding="utf-8")
    before = documents_table(web.ws, "default")
    shown = kb.preview([str(report)], _as("读者乙"))
    assert "《预览县经验》" in shown and "预览工作法" in shown and "尚未导入" in shown and "做法" in shown
    assert documents_table(web.ws, "default") == before


def test_settings_changed_in_the_page_take_effect_and_outlast_a_restart(office, tmp_path, monkeypatch):
    web, kb = office
    admin = _as("管理员")
    with FakeLLM() as llm:
        llm.reply = "好"
        assert "连接成功" in kb.test_connection("openai", llm.base_url, "fake", "", admin)
        llm.status = 401
        assert "连接失败" in kb.test_connection("openai", llm.base_url, "fake", "", admin)
        assert "连接失败" in kb.test_connection("openai", llm.base_url, "fake", "QA_TEST_NO_SUCH_KEY", admin)
        summary = kb.save_settings("default", "openai", llm.base_url, "fake", "", 4, admin)
        assert "大模型 `fake`" in summary
    assert web.ws.settings.answer.passages == 4
    with pytest.raises(gr.Error, match="1 到 20"):
        kb.save_settings("default", "none", "", "", "", 99, admin)

    config = tmp_path / "config.yaml"
    config.write_text(f"index_dir: {web.settings.index_dir}\nllm:\n  model: other\n", encoding="utf-8")
    monkeypatch.delenv("QA_LLM_MODEL", raising=False)
    again = load_settings(config)  # a restart: the page's choice wins over config.yaml
    assert again.llm.model == "fake" and again.answer.passages == 4
    monkeypatch.setenv("QA_LLM_MODEL", "from-env")
    assert load_settings(config).llm.model == "from-env"  # and the environment over both


def test_conversations_from_before_the_first_account_go_to_the_first_administrator(settings, capsys):
    alone = WebHandlers(settings)  # no accounts yet: one user, no login
    _ask(alone, None, "积分超市怎么运作？")
    _ask(alone, None, "思南县完成了多少支驻村工作队选派？")
    assert len(alone.conversations.list("")) == 2
    accounts = AccountStore(settings.index_dir)
    accounts.add("管理员", "admin-password", admin=True)
    accounts.add("读者乙", "reader-password", grants={"default": "reader"})
    web = WebHandlers(settings)  # the server started again, now with login
    assert "2 段对话已交给第一位管理员 管理员" in capsys.readouterr().out
    assert len(web.conversations.list("管理员")) == 2 and web.conversations.list("读者乙") == []
    assert web.conversations.list("") == []
