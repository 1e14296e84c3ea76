"""Accounts of the web app: ``<index_dir>/accounts.sqlite``, managed with ``qa user``.

A user is an administrator (everything, every knowledge base, the settings page) or holds a role on
named knowledge bases ("*" for all): a reader asks, searches and exports; an editor also uploads,
edits and deletes. Passwords are kept as scrypt hashes (hashlib, backed by OpenSSL) with a random
salt per password, compared in constant time.

Without any account (and no ``ui.auth`` in config.yaml) the app asks for no login and everyone on it
is an administrator: that is a single-user tool on one machine.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from qa.errors import UserError
from qa.migrations import upgrade

FILE_NAME = "accounts.sqlite"
ALL_KBS = "*"
ROLES = ("reader", "editor")
ROLE_ZH = {"admin": "管理员", "editor": "编辑", "reader": "只读", None: "无权限"}
# scrypt cost: 2**14 × 8 × 1 takes ~50 ms and 16 MB here, the parameters OWASP lists for scrypt
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MIN_PASSWORD = 8
SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY, password TEXT NOT NULL, admin INTEGER NOT NULL DEFAULT 0, created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS grants (
    user TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE, kb TEXT NOT NULL, role TEXT NOT NULL,
    PRIMARY KEY (user, kb));
"""


STEPS = [SCHEMA]  # numbered upgrades of accounts.sqlite (qa.migrations)


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, maxmem=64 * 2**20)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def password_matches(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        computed = hashlib.scrypt(
            password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), maxmem=64 * 2**20
        )
    except ValueError:
        return False
    return hmac.compare_digest(computed.hex(), digest)


@dataclass(frozen=True)
class User:
    name: str
    admin: bool
    grants: dict[str, str]  # knowledge base (or "*") → reader | editor
    created: str

    def role(self, kb: str) -> str | None:
        """admin, editor, reader or None (no access) on ``kb``."""
        if self.admin:
            return "admin"
        return self.grants.get(kb) or self.grants.get(ALL_KBS)

    def may_read(self, kb: str) -> bool:
        return self.role(kb) is not None

    def may_edit(self, kb: str) -> bool:
        return self.role(kb) in ("admin", "editor")


# whoever uses the app when there are no accounts: a single-user tool
NO_LOGIN = User("", True, {}, "")


class AccountStore:
    def __init__(self, index_dir: str | Path) -> None:
        self.path = Path(index_dir) / FILE_NAME
        self._lock = threading.Lock()

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=30)
        conn.execute("PRAGMA foreign_keys=ON")
        upgrade(conn, STEPS, "账号文件 accounts.sqlite ")
        return conn

    def has_users(self) -> bool:
        if not self.path.exists():
            return False
        with self._lock, self._connect() as conn:
            return conn.execute("SELECT 1 FROM users LIMIT 1").fetchone() is not None

    def add(self, name: str, password: str, admin: bool = False, grants: dict[str, str] | None = None) -> User:
        name = (name or "").strip()
        if not name or len(name) > 40 or any(c.isspace() for c in name):
            raise UserError("用户名不能为空、不能含空格，最多 40 个字")
        _check_password(password)
        with self._lock, self._connect() as conn:
            if conn.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
                raise UserError(f"用户 {name} 已存在", "改密码用 qa user passwd，改权限用 qa user grant")
            created = time.strftime("%Y-%m-%d %H:%M:%S")
            conn.execute(
                "INSERT INTO users (name, password, admin, created) VALUES (?, ?, ?, ?)",
                (name, hash_password(password), int(admin), created),
            )
            for kb, role in (grants or {}).items():
                conn.execute("INSERT INTO grants (user, kb, role) VALUES (?, ?, ?)", (name, kb, _role(role)))
        return self.get(name)

    def get(self, name: str) -> User:
        with self._lock, self._connect() as conn:
            row = conn.execute("SELECT name, admin, created FROM users WHERE name = ?", (name,)).fetchone()
            if row is None:
                raise UserError(f"没有用户 {name}", "用 qa user list 查看已有用户")
            grants = dict(conn.execute("SELECT kb, role FROM grants WHERE user = ? ORDER BY kb", (name,)))
        return User(row[0], bool(row[1]), grants, row[2])

    def users(self) -> list[User]:
        if not self.path.exists():
            return []
        with self._lock, self._connect() as conn:
            names = [r[0] for r in conn.execute("SELECT name FROM users ORDER BY created, name")]
        return [self.get(name) for name in names]

    def verify(self, name: str, password: str) -> bool:
        if not self.path.exists():
            return False
        with self._lock, self._connect() as conn:
            row = conn.execute("SELECT password FROM users WHERE name = ?", (name,)).fetchone()
        if row is None:
            password_matches(password, hash_password("x" * MIN_PASSWORD))  # as slow as a known name
            return False
        return password_matches(password, row[0])

    def set_password(self, name: str, password: str) -> None:
        self.get(name)
        _check_password(password)
        with self._lock, self._connect() as conn:
            conn.execute("UPDATE users SET password = ? WHERE name = ?", (hash_password(password), name))

    def grant(self, name: str, kb: str, role: str) -> User:
        """Give ``name`` a role on ``kb`` ("*" for every knowledge base); role "none" takes it away."""
        self.get(name)
        with self._lock, self._connect() as conn:
            conn.execute("DELETE FROM grants WHERE user = ? AND kb = ?", (name, kb))
            if role != "none":
                conn.execute("INSERT INTO grants (user, kb, role) VALUES (?, ?, ?)", (name, kb, _role(role)))
        return self.get(name)

    def set_admin(self, name: str, admin: bool) -> User:
        self.get(name)
        with self._lock, self._connect() as conn:
            conn.execute("UPDATE users SET admin = ? WHERE name = ?", (int(admin), name))
        return self.get(name)

    def remove(self, name: str) -> None:
        self.get(name)
        with self._lock, self._connect() as conn:
            conn.execute("DELETE FROM users WHERE name = ?", (name,))


def _role(role: str) -> str:
    if role not in ROLES:
        raise UserError(
            f"未知的权限 {role}", "可用：reader（只读：提问、检索、导出）、editor（编辑：另可上传、修改、删除）"
        )
    return role


def _check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise UserError(f"密码至少 {MIN_PASSWORD} 位")
