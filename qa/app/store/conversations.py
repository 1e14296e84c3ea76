"""Conversations kept on the server: ``<index_dir>/conversations.sqlite``, beside the knowledge bases.

A conversation belongs to one user (the empty name without accounts) and holds its turns in order,
each the finished answer exactly as it was shown (``Answer.to_dict()``), so a conversation reopened
after a restart shows the same text, citations and cards. Titles come from the first question and
can be renamed; the list is newest first and searchable by title and by what was asked and answered.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from qa.errors import UserError
from qa.migrations import upgrade

FILE_NAME = "conversations.sqlite"
TITLE_CHARS = 30
SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id INTEGER PRIMARY KEY, user TEXT NOT NULL, title TEXT NOT NULL,
    created REAL NOT NULL, updated REAL NOT NULL);
CREATE TABLE IF NOT EXISTS turns (
    id INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    kb TEXT NOT NULL, question TEXT NOT NULL, answer TEXT NOT NULL, created REAL NOT NULL);
CREATE INDEX IF NOT EXISTS conversations_user ON conversations(user, updated);
CREATE INDEX IF NOT EXISTS turns_conversation ON turns(conversation_id, id);
"""


STEPS = [SCHEMA]  # numbered upgrades of conversations.sqlite (qa.migrations)


@dataclass
class ConversationSummary:
    id: int
    title: str
    updated: float
    turns: int


@dataclass
class Turn:
    kb: str
    answer: dict  # Answer.to_dict()


def title_from(question: str) -> str:
    """The first question, on one line and cut at TITLE_CHARS characters."""
    line = " ".join(question.split())
    return line if len(line) <= TITLE_CHARS else line[: TITLE_CHARS - 1] + "…"


class ConversationStore:
    """Every user's conversations in one SQLite file; each call is one short transaction."""

    def __init__(self, index_dir: str | Path) -> None:
        self.path = Path(index_dir) / FILE_NAME
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()  # one connection shared by the server's worker threads
        self._conn = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA foreign_keys=ON")
        upgrade(self._conn, STEPS, "对话记录文件 conversations.sqlite ")

    def close(self) -> None:
        self._conn.close()

    def hand_over(self, from_user: str, to_user: str) -> int:
        """Give ``from_user``'s conversations to ``to_user``; how many there were."""
        with self._lock, self._conn:
            moved = self._conn.execute("UPDATE conversations SET user = ? WHERE user = ?", (to_user, from_user))
        return moved.rowcount

    def create(self, user: str, question: str) -> int:
        now = time.time()
        with self._lock, self._conn:
            cursor = self._conn.execute(
                "INSERT INTO conversations (user, title, created, updated) VALUES (?, ?, ?, ?)",
                (user, title_from(question) or "新对话", now, now),
            )
        return int(cursor.lastrowid)

    def add_turn(self, user: str, conversation_id: int | None, kb: str, answer: dict) -> int:
        """Append a finished answer; a new conversation (titled by its question) when ``conversation_id``
        is None or no longer exists. Returns the conversation's id."""
        if conversation_id is None or not self._owned(user, conversation_id):
            conversation_id = self.create(user, answer["question"])
        now = time.time()
        with self._lock, self._conn:
            self._conn.execute(
                "INSERT INTO turns (conversation_id, kb, question, answer, created) VALUES (?, ?, ?, ?, ?)",
                (conversation_id, kb, answer["question"], json.dumps(answer, ensure_ascii=False), now),
            )
            self._conn.execute("UPDATE conversations SET updated = ? WHERE id = ?", (now, conversation_id))
        return conversation_id

    def list(self, user: str, search: str = "") -> list[ConversationSummary]:
        """The user's conversations, newest first; ``search`` matches titles, questions and answers."""
        sql = (
            "SELECT c.id, c.title, c.updated, (SELECT COUNT(*) FROM turns t WHERE t.conversation_id = c.id) "
            "FROM conversations c WHERE c.user = ?"
        )
        args: list = [user]
        if search.strip():
            pattern = "%" + search.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            sql += (
                " AND (c.title LIKE ? ESCAPE '\\' OR EXISTS (SELECT 1 FROM turns t WHERE t.conversation_id = c.id"
                " AND (t.question LIKE ? ESCAPE '\\' OR t.answer LIKE ? ESCAPE '\\')))"
            )
            args += [pattern, pattern, pattern]
        with self._lock:
            rows = self._conn.execute(sql + " ORDER BY c.updated DESC, c.id DESC", args).fetchall()
        return [ConversationSummary(*row) for row in rows]

    def turns(self, user: str, conversation_id: int) -> list[Turn]:
        self._check(user, conversation_id)
        with self._lock:
            rows = self._conn.execute(
                "SELECT kb, answer FROM turns WHERE conversation_id = ? ORDER BY id", (conversation_id,)
            ).fetchall()
        return [Turn(kb, json.loads(answer)) for kb, answer in rows]

    def title(self, user: str, conversation_id: int) -> str:
        self._check(user, conversation_id)
        with self._lock:
            return self._conn.execute("SELECT title FROM conversations WHERE id = ?", (conversation_id,)).fetchone()[0]

    def rename(self, user: str, conversation_id: int, title: str) -> None:
        title = " ".join((title or "").split())
        if not title:
            raise UserError("请输入新的对话标题")
        self._check(user, conversation_id)
        with self._lock, self._conn:
            self._conn.execute("UPDATE conversations SET title = ? WHERE id = ?", (title[:100], conversation_id))

    def delete(self, user: str, conversation_id: int) -> None:
        self._check(user, conversation_id)
        with self._lock, self._conn:
            self._conn.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))

    def _owned(self, user: str, conversation_id: int) -> bool:
        with self._lock:
            row = self._conn.execute("SELECT user FROM conversations WHERE id = ?", (int(conversation_id),)).fetchone()
        return row is not None and row[0] == user

    def _check(self, user: str, conversation_id: int | None) -> None:
        if conversation_id is None:
            raise UserError("请先在对话列表中选择一个对话")
        if not self._owned(user, conversation_id):
            raise UserError("找不到这个对话：它可能已被删除，请刷新页面")
