"""A real HTTP server speaking the OpenAI chat-completions protocol, standing in for an LLM endpoint.

Tests set ``server.reply`` (text, or a function of the request's messages), ``server.status``
(e.g. 429), ``server.delay`` (seconds before answering), ``server.pause`` (seconds between
streamed pieces), ``server.api_key`` (requests without ``Authorization: Bearer <key>`` get 401) or
``server.fault`` ("cut": the stream stops midway and the connection closes; "malformed": the body is
not JSON; from request ``server.fault_from`` on), and read ``server.requests`` and ``server.authorizations``.
Streaming requests get server-sent events, in small pieces, like a real endpoint.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeLLM(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.reply: str | Callable[[list[dict]], str] = "资料中未找到相关内容"
        self.status = 200
        self.delay = 0.0
        self.pause = 0.0  # seconds between streamed pieces
        self.fault: str | None = None  # "cut" | "malformed"
        self.fault_from = 0  # the fault applies from this request on (0: every request)
        self.requests: list[dict] = []
        self.api_key: str | None = None
        self.authorizations: list[str | None] = []  # the Authorization header of each request
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    def handle_error(self, request, client_address) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):  # a client that left
            super().handle_error(request, client_address)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"

    def __enter__(self) -> FakeLLM:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    server: FakeLLM

    def log_message(self, *args) -> None:  # keep test output clean
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append(body)
        self.server.authorizations.append(self.headers.get("Authorization"))
        if self.server.api_key is not None and self.headers.get("Authorization") != f"Bearer {self.server.api_key}":
            return self._error(401, "invalid api key")
        if self.server.delay:
            time.sleep(self.server.delay)
        if self.path != "/v1/chat/completions":
            return self._error(404, "not found")
        if self.server.status != 200:
            return self._error(self.server.status, "rate limited" if self.server.status == 429 else "error")
        reply = self.server.reply
        text = reply(body["messages"]) if callable(reply) else reply
        fault = self.server.fault if len(self.server.requests) > self.server.fault_from else None
        if fault == "malformed":
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream" if body.get("stream") else "application/json")
            self.end_headers()
            self.wfile.write(
                b'data: {"choices": [{"delta": {"content": "\xe5\x8f\n\n' if body.get("stream") else b"{not json"
            )
            return
        if body.get("stream"):
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            if fault == "cut":  # a few pieces, then the connection closes: no finish, no [DONE]
                for i in range(0, min(len(text), 21), 7):
                    self._event({"delta": {"content": text[i : i + 7]}, "finish_reason": None}, body)
                self.close_connection = True
                return
            for i in range(0, len(text), 7):
                self._event({"delta": {"content": text[i : i + 7]}, "finish_reason": None}, body)
                time.sleep(self.server.pause)
            self._event({"delta": {}, "finish_reason": "stop"}, body)
            self.wfile.write(b"data: [DONE]\n\n")
            return
        payload = {
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "fake"),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
        data = json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _event(self, choice: dict, body: dict) -> None:
        chunk = {
            "id": "chatcmpl-test",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": body.get("model", "fake"),
            "choices": [{"index": 0, **choice}],
        }
        self.wfile.write(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode())
        self.wfile.flush()

    def _error(self, status: int, message: str) -> None:
        data = json.dumps({"error": {"message": message, "type": "error", "code": status}}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if status == 429:
            self.send_header("Retry-After", "0")
        self.end_headers()
        self.wfile.write(data)
