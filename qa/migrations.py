"""Numbered upgrades for every SQLite file the product writes (a knowledge base's kb.sqlite, accounts.sqlite,
conversations.sqlite), the number reached recorded in the file itself (``PRAGMA user_version``).

Opening a file runs the steps after its number, each in one transaction with the new number, so a file
written by any earlier version opens in this one and a step interrupted halfway leaves the file as it was.
A file numbered beyond the steps known here was written by a newer version and is refused.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence

from qa.errors import KnowledgeBaseError

Step = str | Callable[[sqlite3.Connection], None]  # SQL statements, or a function of the connection


def upgrade(conn: sqlite3.Connection, steps: Sequence[Step], what: str) -> int:
    """Bring the file behind ``conn`` to ``len(steps)``; the number it had."""
    had = conn.execute("PRAGMA user_version").fetchone()[0]
    if had > len(steps):
        raise KnowledgeBaseError(
            f"{what}由更新版本的本程序写入（格式第 {had} 版，本程序认识到第 {len(steps)} 版）", "请升级本程序后再打开"
        )
    for number, step in enumerate(steps[had:], had + 1):
        conn.commit()
        conn.execute("BEGIN IMMEDIATE")
        try:
            if callable(step):
                step(conn)
            else:
                for statement in filter(str.strip, step.split(";")):
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
    return had


def add_columns(columns: Sequence[tuple[str, str, str]]) -> Step:
    """A step adding (table, column, type) where the column is missing (files that had it from the start)."""

    def step(conn: sqlite3.Connection) -> None:
        for table, column, kind in columns:
            present = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
            if column not in present:
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")

    return step
