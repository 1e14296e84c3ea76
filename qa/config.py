"""Settings from config.yaml, overridable by QA_* environment variables.

Lookup order: built-in defaults < config.yaml (``QA_CONFIG`` or ./config.yaml) <
environment (``QA_INDEX_DIR``, ``QA_EMBEDDING_MODEL``: ``QA_`` + section + key).
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import yaml

DEFAULTS: dict[str, Any] = {
    "index_dir": "index",
    "default_kb": "default",
    "embedding": {"model": "use-multilingual-v3", "batch_size": 64, "query_prefix": ""},
    "chunking": {"min_chars": 60, "max_chars": 500},
    "ingest": {"max_file_size_mb": 50},
    "index": {"approximate_above": 200_000},
    "store": {"backend": "faiss", "uri": "index/milvus.db"},
    "retrieval": {"k": 10, "candidates": 50, "reranker": None},
    "answer": {"passages": 6},
    "llm": {
        "provider": "none",
        "base_url": "",
        "model": "",
        "api_key_env": "",
        "temperature": 0.1,
        "timeout": 60,
        "max_tokens": 1024,
        "max_retries": 1,
    },
    "citation": {"template": "（来源：{place}《{title}》{author_part}{section_part}）"},
    "ui": {"host": "127.0.0.1", "port": 7860, "auth": []},
}


class ConfigError(Exception):
    pass


def load_settings(path: str | Path | None = None) -> dict[str, Any]:
    settings = copy.deepcopy(DEFAULTS)
    path = Path(path or os.environ.get("QA_CONFIG", "config.yaml"))
    if path.exists():
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"配置文件 {path} 格式有误：{exc}") from exc
        _merge(settings, loaded)
    _apply_env(settings)
    return settings


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value


def _apply_env(settings: dict[str, Any], prefix: str = "QA_") -> None:
    for key, value in settings.items():
        name = f"{prefix}{key.upper()}"
        if isinstance(value, dict):
            _apply_env(value, name + "_")
        elif name in os.environ:
            raw = os.environ[name]
            settings[key] = type(value)(raw) if isinstance(value, (int, float)) and not isinstance(value, bool) else raw
