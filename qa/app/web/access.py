"""Who is using the page and what they may do: the login check Gradio calls, and the role of the
signed-in user on a knowledge base (``qa.app.store.accounts``).

Login is asked for when there are accounts (``qa user add``) or users in config.yaml's ``ui.auth``.
``ui.auth`` users (passwords from environment variables) still sign in, as administrators; the app
says once at start that accounts made with ``qa user add`` replace them.
"""

from __future__ import annotations

import hmac
import logging
import os

from qa.app.store.accounts import NO_LOGIN, ROLE_ZH, AccountStore, User
from qa.errors import UserError
from qa.settings import Settings

log = logging.getLogger(__name__)
MIGRATE_NOTE = (
    "config.yaml 的 ui.auth 仍可登录，这些用户视为管理员；建议改用 qa user add 建立账号并按知识库分配只读或编辑权限，"
    "然后删去 ui.auth"
)


class Access:
    def __init__(self, settings: Settings) -> None:
        self.accounts = AccountStore(settings.index_dir)
        self.config_users = {entry.username: entry.password_env for entry in settings.ui.auth}
        for name, env in self.config_users.items():
            if not os.environ.get(env):
                raise UserError(f"用户 {name} 的密码未设置", f"请设置环境变量 {env}（config.yaml 的 ui.auth）")
        # decided once, at start: Gradio's login page is on or off for the server's lifetime
        self.login_required = bool(self.config_users) or self.accounts.has_users()
        if self.config_users:
            log.warning(MIGRATE_NOTE)

    def check_login(self, username: str, password: str) -> bool:
        """Gradio's login check."""
        if username in self.config_users:
            expected = os.environ.get(self.config_users[username], "")
            return bool(expected) and hmac.compare_digest(password.encode(), expected.encode())
        return self.accounts.verify(username, password)

    def user(self, request) -> User:
        """The signed-in user of a request (everyone is an administrator without login)."""
        if not self.login_required:
            return NO_LOGIN
        name = getattr(request, "username", None)
        if not name:
            raise UserError("请先登录")
        if name in self.config_users:
            return User(name, True, {}, "")
        return self.accounts.get(name)

    def readable(self, user: User, kbs: list[str]) -> list[str]:
        return [kb for kb in kbs if user.may_read(kb)]

    def require_read(self, user: User, kb: str) -> None:
        if not user.may_read(kb):
            raise UserError(f"当前账号没有知识库 “{kb}” 的权限", "请联系管理员用 qa user grant 分配")

    def require_edit(self, user: User, kb: str) -> None:
        if not user.may_read(kb):
            self.require_read(user, kb)
        if not user.may_edit(kb):
            raise UserError(
                f"当前账号在知识库 “{kb}” 上是{ROLE_ZH[user.role(kb)]}权限，不能上传、修改或删除",
                "如需编辑，请联系管理员用 qa user grant 分配编辑权限",
            )

    def require_admin(self, user: User) -> None:
        if not user.admin:
            raise UserError("只有管理员可以这样做", "请联系管理员")

    def describe(self, user: User, kb: str) -> str:
        if not self.login_required:
            return ""
        return f"当前用户：{user.name}（{ROLE_ZH[user.role(kb)]}）"
