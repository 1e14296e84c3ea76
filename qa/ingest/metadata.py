"""Metadata given beside the files: a ``<file>.meta.yaml`` sidecar, or a CSV table for a whole folder
(``qa ingest --meta``). Given fields override what was read from the text."""

from __future__ import annotations

import csv
import datetime
from pathlib import Path
from typing import Any

import yaml

from qa.errors import LoadError
from qa.ingest.loaders import decode_bytes
from qa.model import Article

META_FIELDS = ("title", "author", "place", "date", "province", "city", "county")


class _NoAliasLoader(yaml.SafeLoader):
    """The safe loader, refusing anchors and aliases: a few lines of aliases can expand to gigabytes
    ("billion laughs"), and a metadata sidecar never needs them."""

    def compose_node(self, parent, index):  # noqa: ANN001 - PyYAML's signature
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(None, None, "不允许使用 YAML 别名（*）", event.start_mark)
        return super().compose_node(parent, index)


def sidecar_meta(path: Path, max_kb: float = 64) -> dict[str, Any]:
    """The ``<file>.meta.yaml`` beside a file: a mapping of plain values (dates become 2025-03-11)."""
    sidecar = path.with_name(path.name + ".meta.yaml")
    try:
        if not sidecar.is_file():
            return {}
    except OSError:  # a name near the 255-byte limit has no room for a sidecar's
        return {}
    if sidecar.stat().st_size > max_kb * 1024:
        raise LoadError(
            f"元数据文件 {sidecar.name} 过大（上限 {max_kb:g} KB）：元数据只需几行 “字段: 值”，"
            "或在 config.yaml 的 ingest.max_sidecar_kb 中调高上限"
        )
    try:
        loaded = yaml.load(sidecar.read_text(encoding="utf-8"), Loader=_NoAliasLoader) or {}
    except (yaml.YAMLError, UnicodeDecodeError, RecursionError) as exc:
        raise LoadError(f"元数据文件 {sidecar.name} 无法解析：{exc}") from exc
    except (ValueError, OverflowError) as exc:  # YAML reads 2025-13-45 as a date that does not exist
        raise LoadError(
            f"元数据文件 {sidecar.name} 中有不存在的日期或无法识别的值：日期请写成 2025-03-11 这样的真实日期"
        ) from exc
    if not isinstance(loaded, dict):
        raise LoadError(f"元数据文件 {sidecar.name} 应为 “字段: 值” 的格式")
    return _plain(loaded)


def _plain(value: Any) -> Any:
    """Values as JSON can hold them: YAML's dates and times as ISO text, keys as text."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, (datetime.date, datetime.time)):  # datetime is a date
        return value.isoformat()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


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
