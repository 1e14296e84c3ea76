"""The API's routes, served beside the web page by ``qa serve`` or alone by ``qa api``.

- ``GET /v1/models``: one model per knowledge base the caller may use (``qa-<name>``).
- ``POST /v1/chat/completions``: the tool's own answer (extractive, or through the configured LLM;
  the same retrieval, abstention, place scoping and citation checks), streamed or not. The text
  carries [n] and a 参考资料 block; the ``qa`` field holds the citations. Earlier user messages are
  the conversation for follow-up questions. A streamed answer arrives sentence by sentence as each is
  verified and numbered as the finished answer numbers it, so numbers never change under the reader.
- ``POST /retrieval``: Dify's external-knowledge API (``knowledge_id`` is the knowledge base's name).
- ``POST /api/search``: passages as JSON, with the CLI's filters.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from qa.app.api import shapes
from qa.app.api.dify import matches
from qa.app.api.guard import ApiError, Caller, Guard
from qa.app.api.keys import key_store
from qa.app.store.accounts import AccountStore
from qa.app.workspace import Workspace, filters_from
from qa.errors import QAError
from qa.settings import Settings

PIECE = 24  # characters per streamed chunk


SessionUser = Callable[[Request], "str | None"]  # the signed-in page user of a request, when beside the page


def api_router(settings: Settings, ws: Workspace, host: str, session_user: SessionUser | None = None) -> APIRouter:
    """The API's routes over the knowledge bases of ``ws``; ``host`` is where the server listens."""
    api = Api(settings, ws, host, session_user)
    router = APIRouter()
    router.add_api_route("/v1/models", _openai_errors(api.models), methods=["GET"])
    router.add_api_route("/v1/chat/completions", _openai_errors(api.chat), methods=["POST"])
    router.add_api_route("/api/search", _openai_errors(api.search), methods=["POST"])
    router.add_api_route("/retrieval", api.retrieval, methods=["POST"])
    return router


def guard_for(settings: Settings, host: str) -> Guard:
    config_users = frozenset(entry.username for entry in settings.ui.auth)
    return Guard(settings.api, key_store(settings.index_dir), host, AccountStore(settings.index_dir), config_users)


def _openai_errors(handler: Callable) -> Callable:
    """Refusals and user errors in OpenAI's error shape."""

    async def run(request: Request):
        try:
            return await handler(request)
        except ApiError as exc:
            return _error_response(exc, shapes.openai_error(exc.status, exc.message, exc.code))
        except QAError as exc:
            return JSONResponse(shapes.openai_error(400, str(exc), "invalid_request_error"), 400)

    return run


class Api:
    def __init__(self, settings: Settings, ws: Workspace, host: str, session_user: SessionUser | None = None) -> None:
        self.settings = settings
        self.ws = ws
        self.guard = guard_for(settings, host)
        self.session_user = session_user or (lambda request: None)
        self.mode = "llm" if settings.llm.enabled else "extractive"

    def caller(self, request: Request) -> Caller:
        return self.guard.caller(request.headers.get("authorization"), _address(request), self.session_user(request))

    async def models(self, request: Request) -> dict:
        caller = self.caller(request)
        data = [
            {
                "id": shapes.model_id(kb),
                "object": "model",
                "created": 0,
                "owned_by": "qa",
                "qa": {"kb": kb, "mode": self.mode},
            }
            for kb in self.ws.names()
            if caller.may_use(kb)
        ]
        return {"object": "list", "data": data}

    async def chat(self, request: Request):
        caller, body = await self._admitted(request)
        model = str(body.get("model") or "")
        kb = self._kb_for(caller, shapes.kb_of(model), f"model 应为 qa-<知识库名>，现为 “{model}”")
        question, history = _conversation(body.get("messages"))
        limit = self.settings.api.max_tokens
        max_tokens = body.get("max_tokens") or body.get("max_completion_tokens")
        if max_tokens is not None and (not isinstance(max_tokens, int) or max_tokens > limit):
            raise ApiError(400, f"max_tokens 应为不超过 {limit} 的整数，现为 {max_tokens!r}", "invalid_request_error")
        answerer = await run_in_threadpool(self.ws.answerer, kb)
        slot = await self.guard.answer_slot()
        if not body.get("stream"):
            try:
                answer = await run_in_threadpool(answerer.ask, question, history)
            finally:
                slot.release()
            return shapes.completion(answer, model)

        async def events() -> AsyncIterator[str]:
            answering = answerer.stream(question, history)
            try:
                completion_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
                yield _sse(shapes.chunk(completion_id, model, {"role": "assistant", "content": ""}))
                async for event in iterate_in_threadpool(answering):
                    if event.kind == "delta":
                        for start in range(0, len(event.text), PIECE):
                            piece = event.text[start : start + PIECE]
                            yield _sse(shapes.chunk(completion_id, model, {"content": piece}))
                    elif event.kind == "reset":  # the model failed midway: what it said does not stand
                        notice = f"\n\n——以上作废：{event.text or '改为只引用原文'}——\n\n"
                        yield _sse(shapes.chunk(completion_id, model, {"content": notice}))
                    elif event.kind == "done" and event.answer is not None:
                        tail = shapes.references(event.answer)
                        yield _sse(shapes.chunk(completion_id, model, {"content": tail} if tail else {}))
                        yield _sse(shapes.chunk(completion_id, model, {}, "stop", qa=shapes.extension(event.answer)))
                yield "data: [DONE]\n\n"
            finally:  # also when the client goes away (the task is being cancelled: no awaiting here)
                slot.release()
                with contextlib.suppress(ValueError):  # "generator already executing": it ends by itself
                    answering.close()  # the answer stops; a model's stream is abandoned

        return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})

    async def search(self, request: Request) -> dict:
        caller, body = await self._admitted(request)
        kb = self._kb_for(caller, body.get("kb") or self.settings.default_kb, "kb")
        query = _query(body)
        k = _bounded_int(body.get("k", self.settings.retrieval.k), "k", 1, 100)
        filters = filters_from(body.get("province"), body.get("place"), body.get("doc"))
        answerer = await run_in_threadpool(self.ws.answerer, kb)
        result = await run_in_threadpool(answerer.retriever.retrieve, query, k, filters)
        return {"kb": kb, "relevant": result.relevant, "hits": [h.to_dict() for h in result.hits]}

    async def retrieval(self, request: Request):
        """Dify's external knowledge API; errors in Dify's shape."""
        try:
            header = request.headers.get("authorization")
            if header is not None and not header.lower().startswith("bearer "):
                return JSONResponse(
                    {"error_code": 1001, "error_msg": "Authorization 请求头格式应为 Bearer <密钥>"}, 403
                )
            caller, body = await self._admitted(request)
            kb = self._kb_for(caller, str(body.get("knowledge_id") or ""), "knowledge_id")
            setting = body.get("retrieval_setting") or {}
            top_k = _bounded_int(setting.get("top_k", 5), "retrieval_setting.top_k", 1, 100)
            threshold = float(setting.get("score_threshold") or 0.0)
            query = _query(body)
            answerer = await run_in_threadpool(self.ws.answerer, kb)
            # more than top_k: the metadata filter and the threshold come after retrieval
            result = await run_in_threadpool(answerer.retriever.retrieve, query, min(100, top_k * 4))
            model = getattr(answerer.retriever.embedder, "name", "")
            records = [shapes.record(h, model) for h in result.hits]
            condition = body.get("metadata_condition")
            kept = [r for r in records if r["score"] >= threshold and matches(r["metadata"], condition)]
            return {"records": kept[:top_k]}
        except ApiError as exc:
            return _error_response(exc, shapes.dify_error(exc.status, exc.message))
        except (QAError, ValueError, TypeError) as exc:
            return JSONResponse(shapes.dify_error(400, str(exc)), 400)

    async def _admitted(self, request: Request) -> tuple[Caller, dict[str, Any]]:
        """The caller, if it may call now, and the request's JSON body, if it is not too large."""
        caller = self.caller(request)
        self.guard.check_rate(caller)
        self.guard.check_size(int(request.headers.get("content-length") or 0))
        raw = bytearray()
        async for piece in request.stream():  # a chunked body has no Content-Length: counted as it comes
            raw += piece
            self.guard.check_size(len(raw))
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError as exc:
            raise ApiError(400, f"请求体不是有效的 JSON：{exc.msg}", "invalid_request_error") from exc
        if not isinstance(body, dict):
            raise ApiError(400, "请求体应为 JSON 对象", "invalid_request_error")
        return caller, body

    def _kb_for(self, caller: Caller, kb: str | None, what: str) -> str:
        if not kb:
            raise ApiError(400, f"请指定知识库（{what}）", "invalid_request_error")
        names = self.ws.names()
        if kb not in names:
            usable = [name for name in names if caller.may_use(name)]  # never name the others
            raise ApiError(404, f"知识库 “{kb}” 不存在：可用的有 {'、'.join(usable) or '（无）'}", "model_not_found")
        self.guard.check_kb(caller, kb)
        return kb


def _address(request: Request) -> str:
    return request.client.host if request.client else ""


def _query(body: dict[str, Any]) -> str:
    query = str(body.get("query") or "").strip()
    if not query:
        raise ApiError(400, "请提供 query（检索内容）", "invalid_request_error")
    return query


def _conversation(messages: Any) -> tuple[str, list[str]]:
    """The last user message is the question; the user's earlier ones are the conversation."""
    if not isinstance(messages, list) or not messages:
        raise ApiError(400, "messages 应为非空列表", "invalid_request_error")
    said = [_text(m.get("content")) for m in messages if isinstance(m, dict) and m.get("role") == "user"]
    said = [s for s in said if s.strip()]
    if not said:
        raise ApiError(400, "messages 中没有用户的问题（role 为 user 的消息）", "invalid_request_error")
    return said[-1].strip(), said[:-1]


def _text(content: Any) -> str:
    """Message content as text: a string, or the text parts of a list of parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


def _bounded_int(value: Any, name: str, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ApiError(400, f"{name} 应为 {low}–{high} 的整数，现为 {value!r}", "invalid_request_error")
    return value


def _sse(payload: dict) -> str:
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"


def _error_response(exc: ApiError, payload: dict) -> JSONResponse:
    headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
    return JSONResponse(payload, exc.status, headers=headers)
