"""A ceiling on the body of every request to the page's server except uploads (Gradio limits those by
``ingest.max_file_size_mb``): a 30 MB JSON sent to ``/queue/join`` is refused while it arrives, chunked
or not, instead of being read whole first."""

from __future__ import annotations

import json

UPLOAD_ROUTE = "/upload"


class BodyLimit:
    def __init__(self, app, limit_bytes: int) -> None:
        self.app = app
        self.limit = limit_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"].endswith(UPLOAD_ROUTE):
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length", b"0")
        if declared.isdigit() and int(declared) > self.limit:
            await self._refuse(send)
            return
        received = 0
        refused = False

        async def counted():
            # over the limit: the refusal goes out at once and the app sees the client leave (an
            # exception here would be swallowed by the framework's body parsing as a 400)
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    refused = True
                    await self._refuse(send)
                    return {"type": "http.disconnect"}
            return message

        async def unless_refused(message):
            if not refused:
                await send(message)

        await self.app(scope, counted, unless_refused)

    async def _refuse(self, send) -> None:
        mb = self.limit / 1024 / 1024
        text = f"请求过大（上限 {mb:g} MB）：请缩短内容；上传文件请用上传按钮，或调大 config.yaml 的 ui.max_request_mb"
        body = json.dumps({"error": text}, ensure_ascii=False).encode("utf-8")
        headers = [(b"content-type", b"application/json; charset=utf-8"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})
