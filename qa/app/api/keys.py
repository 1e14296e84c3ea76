"""API keys: created and revoked with ``qa apikey``, stored as SHA-256 digests in
``<index_dir>/api_keys.json`` (the key itself is shown once, never stored), each limited to named
knowledge bases ("*" for all)."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from qa.errors import UserError

PREFIX = "qa-"
ALL_KBS = "*"


@dataclass(frozen=True)
class ApiKey:
    id: str  # short, public: what `qa apikey list` shows and `revoke` takes
    name: str
    digest: str  # sha256 of the key; keys are 32 random bytes, so no slow hash is needed
    kbs: tuple[str, ...]
    created: str
    revoked: bool = False
    owner: str = ""  # the account it was made for: it then serves only what that account may read

    def may_use(self, kb: str) -> bool:
        return ALL_KBS in self.kbs or kb in self.kbs


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class KeyStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._cache: tuple[float, list[ApiKey]] | None = None

    def keys(self) -> list[ApiKey]:
        """All keys, revoked ones included; re-read when the file changes (a CLI may revoke meanwhile)."""
        try:
            mtime = self.path.stat().st_mtime
        except FileNotFoundError:
            return []
        with self._lock:
            if self._cache is None or self._cache[0] != mtime:
                rows = json.loads(self.path.read_text(encoding="utf-8"))
                self._cache = (mtime, [ApiKey(**{**row, "kbs": tuple(row["kbs"])}) for row in rows])
            return list(self._cache[1])

    def active(self) -> list[ApiKey]:
        return [k for k in self.keys() if not k.revoked]

    def find(self, secret: str) -> ApiKey | None:
        digest = _digest(secret)
        return next((k for k in self.active() if hmac.compare_digest(k.digest, digest)), None)

    def add(self, name: str, kbs: list[str], owner: str = "") -> tuple[ApiKey, str]:
        if not kbs:
            raise UserError("请用 --kb 指定此密钥可用的知识库", "如 --kb default；所有知识库用 --kb '*'")
        secret = PREFIX + secrets.token_urlsafe(32)
        key = ApiKey(
            id=secrets.token_hex(4),
            name=name,
            digest=_digest(secret),
            kbs=tuple(kbs),
            created=time.strftime("%Y-%m-%d %H:%M:%S"),
            owner=owner,
        )
        self._write([*self.keys(), key])
        return key, secret

    def revoke(self, key_id: str) -> ApiKey:
        keys = self.keys()
        found = next((k for k in keys if k.id == key_id), None)
        if found is None:
            raise UserError(f"没有编号为 {key_id} 的 API 密钥", "用 qa apikey list 查看编号")
        revoked = ApiKey(**{**asdict(found), "revoked": True})
        self._write([revoked if k.id == key_id else k for k in keys])
        return revoked

    def _write(self, keys: list[ApiKey]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # readable by the owner only
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump([asdict(k) for k in keys], handle, ensure_ascii=False, indent=1)
        os.replace(tmp, self.path)
        with self._lock:
            self._cache = None


def key_store(index_dir: str | Path) -> KeyStore:
    return KeyStore(Path(index_dir) / "api_keys.json")
