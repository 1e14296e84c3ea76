"""Metadata given beside the files: a ``<file>.meta.yaml`` sidecar, or a CSV table for a whole folder
(``qa ingest --meta``). Given fields override what was read from the text."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import yaml

from qa.errors import LoadError
from qa.ingest.loaders import decode_bytes
from qa.model import Article

META_FIELDS = ("title", "author", "place", "date", "province", "city", "county")


def sidecar_meta(path: Path) -> dict[str, Any]:
    sidecar = path.with_name(path.name + ".meta.yaml")
    if not sidecar.exists():
        return {}
    try:
        loaded = yaml.safe_load(sidecar.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise LoadError(f"元数据文件 {sidecar.name} 无法解析：{exc}") from exc
    if not isinstance(loaded, dict):
        raise LoadError(f"元数据文件 {sidecar.name} 应为 “字段: 值” 的格式")
    return loaded


def apply_meta(articles: list[Article], meta: dict[str, Any]) -> None:
    """Top-level fields apply to every article; ``articles: [{...}, ...]`` to each in order."""
    per_article = meta.get("articles") or []
    for i, article in enumerate(articles):
        overrides = {k: meta[k] for k in META_FIELDS if meta.get(k) not in (None, "")}
        if i < len(per_article) and isinstance(per_article[i], dict):
            overrides.update({k: v for k, v in per_article[i].items() if k in META_FIELDS and v not in (None, "")})
        for key, value in overrides.items():
            setattr(article, key, str(value))
        if "title" in overrides:
            for chunk in article.chunks:
                chunk.section[0] = article.title


def read_meta_csv(path: Path) -> dict[str, dict[str, Any]]:
    """A CSV with a ``file`` column (file name or path) and any of title/author/place/date."""
    text, _ = decode_bytes(path.read_bytes())
    rows = csv.DictReader(text.splitlines())
    if not rows.fieldnames or "file" not in rows.fieldnames:
        raise LoadError(f"元数据表 {path.name} 需要一列 file（文件名），以及 title/author/place/date 中的任意几列")
    return {row["file"].strip(): {k: v for k, v in row.items() if k in META_FIELDS and v} for row in rows}
