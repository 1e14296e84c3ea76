"""Who may call the API and how much: bearer keys, knowledge-base permissions, request size, a
per-key rate and a cap on answers produced at once. Every refusal is an ``ApiError`` with a Chinese
message; the routes render it in the shape their clients expect (OpenAI's or Dify's)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from dataclasses import dataclass

from qa.app.api.keys import ApiKey, KeyStore
from qa.app.store.accounts import AccountStore, User
from qa.errors import UserError
from qa.settings import ApiSettings

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


@dataclass
class ApiError(Exception):
    status: int
    message: str
    code: str  # OpenAI-style error code: invalid_api_key, rate_limit_exceeded, ...
    retry_after: int | None = None


@dataclass(frozen=True)
class Caller:
    """Who is calling: a key (and the account that owns it, if any), a signed-in page session's user,
    or nobody on an open single-user install."""

    key: ApiKey | None
    user: User | None
    address: str

    def may_use(self, kb: str) -> bool:
        if self.key is not None and not self.key.may_use(kb):
            return False
        return self.user is None or self.user.may_read(kb)

    @property
    def identity(self) -> str:
        if self.key:
            return f"key:{self.key.id}"
        return f"user:{self.user.name}" if self.user else f"addr:{self.address}"


class Guard:
    """Open access only for a single-user install: listening on this machine, with neither accounts nor
    keys. Once either exists (checked on every call, so `qa user add` closes a running server), every
    call needs a key or the caller's signed-in page session, and sees only what its owner may read."""

    def __init__(
        self,
        settings: ApiSettings,
        keys: KeyStore,
        host: str,
        accounts: AccountStore,
        config_users: frozenset[str] = frozenset(),
    ) -> None:
        self.settings = settings
        self.keys = keys
        self.accounts = accounts
        self.config_users = config_users  # ui.auth users of config.yaml: administrators, signed in on the page
        self.local = host in LOCAL_HOSTS
        self._answers = asyncio.BoundedSemaphore(settings.concurrency)  # used from the server's event loop
        self._calls: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def closed_because(self) -> str:
        """Why calls need credentials, or "" when the API is open (a single-user install)."""
        if self.config_users or self.accounts.has_users():
            return "已建立账号"
        if self.keys.active():
            return "已设置 API 密钥"
        return "" if self.local else "服务监听在本机以外的地址"

    def mode(self) -> str:
        """The start-up line's account of who may call."""
        why = self.closed_because()
        if not why:
            return "接口访问：本机开放（没有账号，也没有 API 密钥；建立任一项后须凭密钥或登录访问）"
        return f"接口访问：须带 API 密钥或已登录网页的会话（{why}）"

    def caller(self, authorization: str | None, address: str, session_user: str | None = None) -> Caller:
        """The caller behind a request's Authorization header or page session; raises ApiError (401)."""
        scheme, _, token = (authorization or "").partition(" ")
        why = self.closed_because()
        if not why:
            return Caller(None, None, address)  # clients that insist on some key (the openai SDK) may send any
        if scheme.lower() == "bearer" and token.strip():
            key = self.keys.find(token.strip())
            if key is None:
                raise ApiError(401, "API 密钥无效或已吊销：请检查密钥，或用 qa apikey add 新建一个", "invalid_api_key")
            return Caller(key, self._owner(key), address)
        if session_user and (user := self._account(session_user)) is not None:
            return Caller(None, user, address)
        raise ApiError(
            401,
            f"缺少 API 密钥（{why}）：请在请求头加 Authorization: Bearer <密钥>，密钥用 qa apikey add 创建",
            "invalid_api_key",
        )

    def _owner(self, key: ApiKey) -> User | None:
        if not key.owner:
            return None  # made at the command line by whoever runs the server: limited by its knowledge bases
        owner = self._account(key.owner)
        if owner is None:
            raise ApiError(401, f"此 API 密钥所属的账号 “{key.owner}” 已删除：请新建密钥", "invalid_api_key")
        return owner

    def _account(self, name: str) -> User | None:
        if name in self.config_users:
            return User(name, True, {}, "")
        try:
            return self.accounts.get(name)
        except UserError:
            return None

    def check_kb(self, caller: Caller, kb: str) -> None:
        if not caller.may_use(kb):
            who = "此 API 密钥" if caller.key else "当前账号"
            raise ApiError(403, f"{who}无权使用知识库 “{kb}”：请用有该知识库权限的密钥或账号", "permission_denied")

    def check_size(self, length: int) -> None:
        limit = int(self.settings.max_request_kb * 1024)
        if length > limit:
            raise ApiError(
                413,
                f"请求过大（{length // 1024} KB，上限 {self.settings.max_request_kb:g} KB）：请缩短对话历史，"
                "或调大 config.yaml 的 api.max_request_kb",
                "request_too_large",
            )

    def check_rate(self, caller: Caller) -> None:
        """At most ``requests_per_minute`` per key (per address without keys), over a sliding minute."""
        now = time.monotonic()
        with self._lock:
            calls = self._calls.setdefault(caller.identity, deque())
            while calls and now - calls[0] >= 60:
                calls.popleft()
            if len(calls) >= self.settings.requests_per_minute:
                wait = max(1, int(60 - (now - calls[0])) + 1)
                raise ApiError(
                    429,
                    f"请求过于频繁（每分钟上限 {self.settings.requests_per_minute} 次）：请 {wait} 秒后再试",
                    "rate_limit_exceeded",
                    retry_after=wait,
                )
            calls.append(now)

    async def answer_slot(self) -> asyncio.BoundedSemaphore:
        """A slot among the answers produced at once (release it when done), waited for up to
        ``queue_wait_s``: a burst waits its turn; only a backlog longer than that gets 429."""
        try:
            await asyncio.wait_for(self._answers.acquire(), timeout=self.settings.queue_wait_s)
        except TimeoutError:
            raise ApiError(
                429,
                f"系统繁忙（同时回答上限 {self.settings.concurrency} 个，已排队 {self.settings.queue_wait_s:g} 秒）：请稍后再试",
                "server_busy",
                retry_after=5,
            ) from None
        return self._answers
