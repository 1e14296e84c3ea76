"""The page in Chinese whatever the browser's language: Gradio chooses its own strings (the login form,
the upload box, "Use via API") from ``navigator.language``, so the HTML of the page is served with the
document's language set to zh-CN and a first script that reports zh-CN as the browser's language before
Gradio's code reads it. The login page is that same HTML, so it is covered too."""

from __future__ import annotations

LOCALE_SCRIPT = (
    b"<script>(function(){try{"
    b"Object.defineProperty(Navigator.prototype,'language',{get:function(){return 'zh-CN';},configurable:true});"
    b"Object.defineProperty(Navigator.prototype,'languages',{get:function(){return ['zh-CN','zh'];},configurable:true});"
    b"}catch(e){}document.documentElement.lang='zh-CN';})();</script>"
)
PAGE_PATHS = ("/", "/login")


class ChinesePage:
    """ASGI middleware: the HTML of the page gets ``LOCALE_SCRIPT`` as the first thing in its <head>."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"] not in PAGE_PATHS:
            await self.app(scope, receive, send)
            return
        start: dict = {}
        body = bytearray()

        async def held(message):
            if message["type"] == "http.response.start":
                start.update(message)
                return
            body.extend(message.get("body", b""))
            if message.get("more_body"):
                return
            headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
            page = bytes(body)
            if any(k.lower() == b"content-type" and b"text/html" in v for k, v in headers):
                page = page.replace(b"<head>", b"<head>" + LOCALE_SCRIPT, 1).replace(b'lang="en"', b'lang="zh-CN"', 1)
            headers.append((b"content-length", str(len(page)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": page})

        await self.app(scope, receive, held)
