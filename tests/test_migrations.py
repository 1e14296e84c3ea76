"""Every SQLite file the product writes opens in this version when an earlier one wrote it: the steps after
the number recorded in the file run, the rows stay, and a file from a newer version is refused."""

from __future__ import annotations

import sqlite3

import pytest

from qa.app.store import accounts as accounts_module
from qa.app.store import conversations as conversations_module
from qa.app.store.accounts import AccountStore, hash_password
from qa.app.store.conversations import ConversationStore
from qa.errors import KnowledgeBaseError
from qa.index import schema
from qa.index.schema import connect, migrate

# kb.sqlite as the first released version wrote it: articles without province/city/county, chunks without page
KB_FIRST_VERSION = """
CREATE TABLE manifest (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE documents (
    id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, file_name TEXT NOT NULL, format TEXT NOT NULL,
    encoding TEXT, content_hash TEXT NOT NULL, size INTEGER NOT NULL, ingested_at TEXT NOT NULL,
    meta TEXT NOT NULL DEFAULT '{}');
CREATE TABLE articles (
    id INTEGER PRIMARY KEY, doc_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    ord INTEGER NOT NULL, title TEXT NOT NULL, author TEXT, place TEXT, date TEXT, text TEXT NOT NULL);
CREATE TABLE chunks (
    id INTEGER PRIMARY KEY, article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    doc_id INTEGER NOT NULL, ord INTEGER NOT NULL, section TEXT NOT NULL, kind TEXT NOT NULL,
    text TEXT NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL, tokens TEXT NOT NULL);
INSERT INTO documents VALUES (1, '/材料/思南.txt', '思南.txt', 'txt', 'utf-8', 'abc', 10, '2025-01-01', '{}');
INSERT INTO articles VALUES (1, 1, 0, '思南县经验', NULL, '思南县', NULL, '思南县选派驻村工作队301支。');
"""


def _columns(conn, table: str) -> set[str]:
    return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}


def test_a_knowledge_base_file_of_the_first_version_is_upgraded_step_by_step(tmp_path):
    with sqlite3.connect(tmp_path / "kb.sqlite") as old:
        old.executescript(KB_FIRST_VERSION)
    conn = connect(tmp_path)
    migrate(conn)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(schema.STEPS) == 2
    assert {"province", "city", "county"} <= _columns(conn, "articles") and "page" in _columns(conn, "chunks")
    assert {"segments", "deleted_chunks", "terms"} <= {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert [tuple(r) for r in conn.execute("SELECT title, province FROM articles")] == [("思南县经验", None)]
    migrate(conn)  # current: nothing runs again
    assert conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0] == 1
    conn.close()


def test_the_app_stores_of_the_first_version_open_with_their_rows(tmp_path):
    with sqlite3.connect(tmp_path / accounts_module.FILE_NAME) as old:  # written before user_version was kept
        old.executescript(accounts_module.SCHEMA)
        old.execute("INSERT INTO users VALUES ('管理员', ?, 1, '2025-01-01')", (hash_password("admin-password"),))
    with sqlite3.connect(tmp_path / conversations_module.FILE_NAME) as old:
        old.executescript(conversations_module.SCHEMA)
        old.execute("INSERT INTO conversations VALUES (1, '管理员', '积分超市', 1.0, 1.0)")
    assert AccountStore(tmp_path).verify("管理员", "admin-password")
    assert [c.title for c in ConversationStore(tmp_path).list("管理员")] == ["积分超市"]
    for name, steps in (
        (accounts_module.FILE_NAME, accounts_module.STEPS),
        (conversations_module.FILE_NAME, conversations_module.STEPS),
    ):
        with sqlite3.connect(tmp_path / name) as conn:
            assert conn.execute("PRAGMA user_version").fetchone()[0] == len(steps)


def test_a_file_from_a_newer_version_is_refused_in_chinese(tmp_path):
    with sqlite3.connect(tmp_path / accounts_module.FILE_NAME) as newer:
        newer.execute("PRAGMA user_version = 99")
    with pytest.raises(KnowledgeBaseError, match="更新版本"):
        AccountStore(tmp_path).has_users()


def test_a_step_that_fails_leaves_the_file_at_its_number(tmp_path):
    from qa.migrations import upgrade

    conn = sqlite3.connect(tmp_path / "x.sqlite")
    steps = ["CREATE TABLE a (x INTEGER)", "CREATE TABLE b (y INTEGER); INSERT INTO nowhere VALUES (1)"]
    with pytest.raises(sqlite3.OperationalError):
        upgrade(conn, steps, "测试文件")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    assert {r[0] for r in conn.execute("SELECT name FROM sqlite_master")} == {"a"}  # b rolled back with it
