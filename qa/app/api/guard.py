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
    key: ApiKey | None  # None: a local call to a server without keys
    address: str

    def may_use(self, kb: str) -> bool:
        return self.key is None or self.key.may_use(kb)

    @property
    def identity(self) -> str:
        return f"key:{self.key.id}" if self.key else f"addr:{self.address}"


class Guard:
    def __init__(self, settings: ApiSettings, keys: KeyStore, host: str) -> None:
        self.settings = settings
        self.keys = keys
        self.open_locally = host in LOCAL_HOSTS  # a fresh local server answers local calls without a key
        self._answers = asyncio.BoundedSemaphore(settings.concurrency)  # used from the server's event loop
        self._calls: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def caller(self, authorization: str | None, address: str) -> Caller:
        """The caller behind a request's Authorization header; raises ApiError (401) when it must have a key."""
        if self.open_locally and not self.keys.active():
            return Caller(None, address)  # clients that insist on some key (the openai SDK) may send any
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            key = self.keys.find(token.strip())
            if key is None:
                raise ApiError(401, "API 密钥无效或已吊销：请检查密钥，或用 qa apikey add 新建一个", "invalid_api_key")
            return Caller(key, address)
        why = "服务已设置 API 密钥" if self.keys.active() else "服务监听在本机以外的地址"
        raise ApiError(
            401,
            f"缺少 API 密钥（{why}）：请在请求头加 Authorization: Bearer <密钥>，密钥用 qa apikey add 创建",
            "invalid_api_key",
        )

    def check_kb(self, caller: Caller, kb: str) -> None:
        if not caller.may_use(kb):
            raise ApiError(403, f"此 API 密钥无权使用知识库 “{kb}”：请用有该知识库权限的密钥", "permission_denied")

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
