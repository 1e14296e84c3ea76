"""Files the page makes for one user (conversation, similar-experience and draft exports): only their
owner may download them, and they are removed after a while.

Gradio serves every file it hands out at ``/gradio_api/file=<cache>/<hash>/<name>`` to anyone holding
the address. Its cache folder is named by a hash of the file's bytes (``hash_file``), so each export is
recorded by that hash with its owner; ``OwnerOnly`` sits in front of Gradio's file route and answers
404 to anyone else. Gradio's ``delete_cache`` removes the cached copies after ``KEEP_SECONDS``; the
originals here are swept on the same schedule.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote

KEEP_SECONDS = 3600
FILE_ROUTE = "/file="
REFUSED = "文件不存在，或不是当前账号导出的（导出文件只有导出人可以下载，且一小时后删除）"


class Exports:
    def __init__(self, keep_seconds: float = KEEP_SECONDS) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="qa-exports-"))
        self.keep_seconds = keep_seconds
        self._owners: dict[str, tuple[str, float]] = {}  # hash of the bytes → (owner, made at)
        self._lock = threading.Lock()

    def write(self, report, stem: str, owner: str | None) -> list[str]:
        """Write ``report`` as .docx and .md for ``owner`` (None without login: one user, no check)."""
        from gradio.processing_utils import hash_file

        from qa.answer.export import write

        self.sweep()
        folder = Path(tempfile.mkdtemp(dir=self.folder))
        paths = [folder / f"{stem}.docx", folder / f"{stem}.md"]
        for path in paths:
            write(report, path)
        with self._lock:
            for path in paths if owner is not None else []:
                self._owners[hash_file(path)] = (owner, time.time())
        return [str(p) for p in paths]

    def owner(self, url_path: str) -> str | None:
        """The owner of the export a file address points at, or None when it is not an export."""
        folder = Path(unquote(url_path.split(FILE_ROUTE, 1)[1])).parent.name
        with self._lock:
            entry = self._owners.get(folder)
        return entry[0] if entry else None

    def sweep(self) -> None:
        cutoff = time.time() - self.keep_seconds
        with self._lock:
            for digest, (_, made) in list(self._owners.items()):
                if made < cutoff:
                    del self._owners[digest]
        for folder in self.folder.iterdir():
            if folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder, ignore_errors=True)


class OwnerOnly:
    """ASGI middleware: a file address that points at an export is served only to its owner."""

    def __init__(self, app, exports: Exports, page_user: Callable) -> None:
        self.app = app
        self.exports = exports
        self.page_user = page_user  # (the app, the request) → the signed-in user's name, or None

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and FILE_ROUTE in scope.get("path", ""):
            owner = self.exports.owner(scope["path"])
            if owner is not None:
                from starlette.requests import Request
                from starlette.responses import PlainTextResponse

                request = Request(scope)
                if self.page_user(request.app, request) != owner:
                    await PlainTextResponse(REFUSED, status_code=404)(scope, receive, send)
                    return
        await self.app(scope, receive, send)
