"""The app's own records: conversations and accounts, in real SQLite files."""

from __future__ import annotations

import sqlite3

import pytest

from qa.answer.export import conversation_report, to_markdown
from qa.app.store.accounts import AccountStore, password_matches
from qa.app.store.conversations import ConversationStore, title_from
from qa.errors import UserError


def _answer(question: str, text: str = "答案[1]。", doc: str = "a.txt") -> dict:
    citation = {
        "n": 1,
        "chunk_id": 7,
        "doc": doc,
        "title": "抓党建促振兴",
        "place": "思南县",
        "province": "贵州省",
        "author": None,
        "section": ["抓党建促振兴", "精准培育村级骨干"],
        "passage": "选派15名乡村振兴专干。",
        "start": 0,
        "end": 11,
        "quote": "选派15名乡村振兴专干。",
        "quote_start": 0,
        "quote_end": 11,
        "article_id": 3,
        "source_line": "（来源：思南县《抓党建促振兴》，“精准培育村级骨干”部分）",
        "note": "",
        "page": None,
    }
    return {"question": question, "text": text, "citations": [citation], "unsupported": [], "related": []}


def test_conversations_are_listed_newest_first_renamed_searched_and_deleted(tmp_path):
    store = ConversationStore(tmp_path)
    first = store.add_turn("张三", None, "default", _answer("思南县怎样培育村级骨干？"))
    second = store.add_turn("张三", None, "default", _answer("“四议两公开”是怎么做的？"))
    assert store.add_turn("张三", first, "default", _answer("那万山区呢？")) == first  # continued
    assert [c.id for c in store.list("张三")] == [first, second]  # the continued one is newest
    assert [c.title for c in store.list("张三")] == ["思南县怎样培育村级骨干？", "“四议两公开”是怎么做的？"]
    assert [c.turns for c in store.list("张三")] == [2, 1]
    assert store.list("李四") == []  # another user sees none of them

    store.rename("张三", second, "  议事  规则 ")
    assert store.title("张三", second) == "议事 规则"
    assert [c.id for c in store.list("张三", "万山")] == [first]  # found by a later question
    assert [c.id for c in store.list("张三", "议事")] == [second]  # by title
    assert store.list("张三", "100%_") == []  # LIKE wildcards are literal
    with pytest.raises(UserError, match="找不到这个对话"):
        store.delete("李四", first)  # not hers

    store.delete("张三", first)
    assert [c.id for c in store.list("张三")] == [second]
    store.close()
    with sqlite3.connect(tmp_path / "conversations.sqlite") as conn:  # the turns went with it
        assert conn.execute("SELECT COUNT(*) FROM turns WHERE conversation_id = ?", (first,)).fetchone()[0] == 0


def test_a_conversation_outlives_its_store_and_exports_with_one_reference_list(tmp_path):
    store = ConversationStore(tmp_path)
    cid = store.add_turn("", None, "default", _answer("问一"))
    store.add_turn("", cid, "default", _answer("问二", "以下为资料原文摘录：\n- 另一答案[1]。", doc="b.txt"))
    store.close()

    again = ConversationStore(tmp_path)  # a server restart
    turns = again.turns("", cid)
    assert [t.answer["question"] for t in turns] == ["问一", "问二"]
    report = conversation_report(again.title("", cid), [t.answer for t in turns])
    markdown = to_markdown(report)
    assert "## 问：问一" in markdown and "## 问：问二" in markdown
    assert "另一答案[1]。" in markdown  # the same passage keeps its number across turns
    assert markdown.count("（来源：思南县《抓党建促振兴》") == 1
    # the chat's list marks are not text: no paragraph of the Word file opens with "- "
    from docx import Document as WordDocument

    from qa.answer.export import write

    write(report, tmp_path / "对话.docx")
    paragraphs = [p.text for p in WordDocument(str(tmp_path / "对话.docx")).paragraphs]
    assert "另一答案[1]。" in paragraphs and not any(p.startswith("- ") for p in paragraphs)


def test_long_questions_make_one_line_titles():
    assert title_from("思南县\n怎样 培育" + "村" * 40) == "思南县 怎样 培育" + "村" * 20 + "…"


def test_accounts_hash_passwords_and_give_roles_per_knowledge_base(tmp_path):
    store = AccountStore(tmp_path)
    assert not store.has_users()
    store.add("admin", "admin-password", admin=True)
    reader = store.add("李四", "reader-password", grants={"default": "reader"})
    assert store.has_users()
    assert reader.role("default") == "reader" and not reader.may_edit("default") and not reader.may_read("其他")
    assert store.grant("李四", "*", "editor").may_edit("其他")
    assert store.get("李四").role("default") == "reader"  # a named grant wins over "*"
    assert store.get("admin").may_edit("任何知识库")

    with sqlite3.connect(tmp_path / "accounts.sqlite") as conn:
        stored = conn.execute("SELECT password FROM users WHERE name = '李四'").fetchone()[0]
    assert "reader-password" not in stored and stored.startswith("scrypt$")
    assert password_matches("reader-password", stored) and not password_matches("reader-passwordx", stored)
    assert store.verify("李四", "reader-password") and not store.verify("李四", "wrong-password")
    assert not store.verify("王五", "reader-password")

    store.set_password("李四", "new-password-1")
    assert store.verify("李四", "new-password-1") and not store.verify("李四", "reader-password")
    with pytest.raises(UserError, match="已存在"):
        store.add("李四", "another-password")
    with pytest.raises(UserError, match="至少 8 位"):
        store.add("王五", "short")
    with pytest.raises(UserError, match="未知的权限"):
        store.grant("李四", "default", "owner")
    store.remove("李四")
    assert [u.name for u in store.users()] == ["admin"]


def test_the_user_command_manages_accounts(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from qa.app.cli import app

    runner = CliRunner()
    index = ["--index-dir", str(tmp_path)]
    monkeypatch.setenv("QA_TEST_PW", "first-password")
    added = runner.invoke(app, ["user", "add", "张三", "--reader", "default", "--password-env", "QA_TEST_PW", *index])
    assert added.exit_code == 0 and "第一个账号" in added.output
    granted = runner.invoke(app, ["user", "grant", "张三", "*", "editor", *index])
    assert "全部知识库：编辑" in granted.output and "default：只读" in granted.output
    typed = runner.invoke(app, ["user", "passwd", "张三", *index], input="second-password\nsecond-password\n")
    assert typed.exit_code == 0 and AccountStore(tmp_path).verify("张三", "second-password")
    short = runner.invoke(app, ["user", "add", "李四", "--password-env", "QA_TEST_NONE", *index])
    assert short.exit_code == 1 and "QA_TEST_NONE" in short.output
    assert runner.invoke(app, ["user", "remove", "张三", *index]).exit_code == 0
    assert "还没有账号" in runner.invoke(app, ["user", "list", *index]).output
