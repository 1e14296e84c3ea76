"""Typed settings: built-in defaults (here, and only here) < config.yaml < the settings changed in the web
page (``<index_dir>/web_settings.yaml``) < QA_* environment variables.

``config.yaml`` is ``QA_CONFIG`` or ./config.yaml. Every key can be overridden by ``QA_`` + section +
key in upper case (``QA_INDEX_DIR``, ``QA_EMBEDDING_MODEL``, ``QA_LLM_BASE_URL``). Values are checked
on load: an unknown key or a value of the wrong type stops with a Chinese message naming the key.
"""

from __future__ import annotations

import dataclasses
import os
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from qa.errors import SettingsError


@dataclass(frozen=True)
class EmbeddingSettings:
    # use+e5 (USE and multilingual-e5-small, both inside their packages), use-multilingual-v3, e5-small,
    # or a sentence-transformers model name or local folder
    model: str = "use+e5"
    batch_size: int = 64
    query_prefix: str = ""  # added to queries only, for models trained with one (bge)


@dataclass(frozen=True)
class ChunkingSettings:
    min_chars: int = 60
    max_chars: int = 500


@dataclass(frozen=True)
class IngestSettings:
    """Limits checked before and while a file is read: hostile or broken files are refused, not read."""

    max_file_size_mb: float = 50
    max_unpacked_mb: float = 200  # .docx (a ZIP): all members decompressed, read from the central directory
    max_archive_members: int = 10_000
    max_pdf_pages: int = 3_000
    max_chars: int = 5_000_000  # characters of text a file may yield
    max_line_chars: int = 200_000  # a longer line is not a report (a dump, a minified page)
    max_sidecar_kb: float = 64  # a <file>.meta.yaml sidecar
    convert_timeout_s: float = 120  # LibreOffice converting one .doc/.wps/.rtf/.odt
    max_image_pixels: int = 40_000_000  # one image or scanned page (about A4 at 600 dpi)
    max_ocr_pages: int = 300  # pages of a scanned PDF read by OCR
    ocr_timeout_s: float = 600  # OCR of one file, all its pages

    @property
    def max_bytes(self) -> int:
        return int(self.max_file_size_mb * 2**20)


@dataclass(frozen=True)
class IndexSettings:
    approximate_above: int = 200_000  # exact chunk search up to this many chunks, IVF beyond


BACKENDS = ("faiss", "milvus")


@dataclass(frozen=True)
class StoreSettings:
    backend: str = field(default="faiss", metadata={"choices": BACKENDS})
    uri: str = "index/milvus.db"  # Milvus Lite file, or http://host:19530


@dataclass(frozen=True)
class RetrievalSettings:
    candidates: int = field(default=50, metadata={"range": (1, 1000)})  # per leg, before fusion
    reranker: str | None = None  # CrossEncoder name or folder; off by default
    k: int = field(default=10, metadata={"range": (1, 100)})  # passages `qa search` shows unless -k says otherwise
    # the dense leg's weight in the fusion, BM25's being 1 (qa.search.hybrid): 0.5 for USE; with use+e5, 1.0
    # serves everyday wording best (bench/results/embedders.md)
    dense_weight: float = field(default=0.5, metadata={"range": (0, 4)})


@dataclass(frozen=True)
class AnswerSettings:
    passages: int = field(default=6, metadata={"range": (1, 20)})  # passages retrieved for each answer


@dataclass(frozen=True)
class LLMSettings:
    # none: extractive, offline; openai: any OpenAI-compatible endpoint
    provider: str = field(default="none", metadata={"choices": ("none", "openai")})
    base_url: str = ""
    model: str = ""
    api_key_env: str = ""  # the name of the environment variable holding the key, never the key
    temperature: float = field(default=0.1, metadata={"range": (0, 2)})
    timeout: float = field(default=60, metadata={"range": (0.1, 3600)})  # seconds for all calls of one answer
    max_tokens: int = field(default=1024, metadata={"range": (1, 1_000_000)})
    max_retries: int = field(default=1, metadata={"range": (0, 10)})

    @property
    def enabled(self) -> bool:
        return self.provider.lower() not in ("none", "", "false")


@dataclass(frozen=True)
class CitationSettings:
    template: str = "（来源：{place}《{title}》{author_part}{section_part}{page_part}）"


@dataclass(frozen=True)
class LoginSettings:
    username: str
    password_env: str


@dataclass(frozen=True)
class UISettings:
    host: str = "127.0.0.1"
    port: int = field(default=7860, metadata={"range": (1, 65535)})
    # Requests waiting for a turn before new ones are turned away (Gradio's own "busy" notice); a waiting
    # request costs a few kilobytes, so an office's burst of questions waits rather than fails.
    queue_size: int = 512
    # the body of one request to the page (uploads excepted): a question, its chat and a draft fit easily
    max_request_mb: float = 4
    auth: tuple[LoginSettings, ...] = ()


@dataclass(frozen=True)
class ApiSettings:
    """Limits of the HTTP API (OpenAI-compatible chat, Dify retrieval, search)."""

    max_request_kb: float = 256  # a request body; conversation history included
    max_tokens: int = 8192  # the most a request may ask for
    concurrency: int = 8  # answers being produced at once; more wait their turn
    queue_wait_s: float = 60  # how long a request waits for a turn before 429 with Retry-After
    requests_per_minute: int = 60  # per API key (per client address without keys)


@dataclass(frozen=True)
class Settings:
    index_dir: str = "index"
    default_kb: str = "default"
    embedding: EmbeddingSettings = field(default_factory=EmbeddingSettings)
    chunking: ChunkingSettings = field(default_factory=ChunkingSettings)
    ingest: IngestSettings = field(default_factory=IngestSettings)
    index: IndexSettings = field(default_factory=IndexSettings)
    store: StoreSettings = field(default_factory=StoreSettings)
    retrieval: RetrievalSettings = field(default_factory=RetrievalSettings)
    answer: AnswerSettings = field(default_factory=AnswerSettings)
    llm: LLMSettings = field(default_factory=LLMSettings)
    citation: CitationSettings = field(default_factory=CitationSettings)
    ui: UISettings = field(default_factory=UISettings)
    api: ApiSettings = field(default_factory=ApiSettings)

    def replace(self, **changes: Any) -> Settings:
        """A copy with some values changed: ``replace(index_dir=...)`` or ``replace(llm={"model": "m"})``."""
        return build(Settings, _merged(dataclasses.asdict(self), changes), "")


WEB_SETTINGS_FILE = "web_settings.yaml"
# what the 设置 page may change while the app runs: nothing that alters an index or opens the server
WEB_EDITABLE = {"llm": ("provider", "base_url", "model", "api_key_env"), "answer": ("passages",)}


def save_web_settings(settings: Settings, changes: dict[str, dict[str, Any]]) -> Settings:
    """Check ``changes`` (only WEB_EDITABLE keys), keep them in ``<index_dir>/web_settings.yaml`` and
    return the settings with them applied. Raises SettingsError naming a bad value."""
    for section, values in changes.items():
        unknown = set(values) - set(WEB_EDITABLE.get(section, ()))
        if unknown:
            raise SettingsError(f"网页上不能修改 {section}.{sorted(unknown)[0]}", "请在 config.yaml 中修改")
    updated = settings.replace(**changes)
    path = Path(settings.index_dir) / WEB_SETTINGS_FILE
    kept = _merged(_read_yaml(path) if path.exists() else {}, changes)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(
        "# 在网页“设置”页修改的设置，优先于 config.yaml；删除本文件即恢复 config.yaml 的设置\n"
        + yaml.safe_dump(kept, allow_unicode=True, sort_keys=True),
        encoding="utf-8",
    )
    os.replace(temporary, path)
    return updated


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise SettingsError(f"配置文件 {path} 格式有误：{exc}") from exc
    if not isinstance(loaded, dict):
        raise SettingsError(f"配置文件 {path} 应为 “键: 值” 的格式")
    return loaded


def load_settings(path: str | Path | None = None) -> Settings:
    values: dict[str, Any] = {}
    path = Path(path or os.environ.get("QA_CONFIG", "config.yaml"))
    if path.exists():
        values = _beside(_read_yaml(path), path.resolve().parent)
    environment = _environment(Settings, "QA_")
    settings = build(Settings, _merged(values, environment), "")
    web = Path(settings.index_dir) / WEB_SETTINGS_FILE
    if web.exists():
        edited = {
            section: {key: v for key, v in values.items() if key in WEB_EDITABLE.get(section, ())}
            for section, values in _read_yaml(web).items()
            if isinstance(values, dict)
        }
        settings = build(Settings, _merged(_merged(values, edited), environment), "")
    return settings


def _beside(values: dict[str, Any], folder: Path) -> dict[str, Any]:
    """Relative paths in a config file are relative to that file, so the tool finds its knowledge bases
    from any folder (``QA_INDEX_DIR`` and ``--index-dir`` stay relative to where the command runs)."""
    values = dict(values)
    if isinstance(values.get("index_dir"), str) and not Path(values["index_dir"]).is_absolute():
        values["index_dir"] = str(folder / values["index_dir"])
    store = values.get("store")
    if isinstance(store, dict) and isinstance(store.get("uri"), str) and "://" not in store["uri"]:
        if not Path(store["uri"]).is_absolute():
            values["store"] = {**store, "uri": str(folder / store["uri"])}
    return values


def _merged(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merged(merged[key], value)
        else:
            merged[key] = value
    return merged


def _environment(cls: type, prefix: str) -> dict[str, Any]:
    """QA_* variables for the fields of ``cls`` (sections recursively), as raw strings."""
    found: dict[str, Any] = {}
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        name = f"{prefix}{f.name.upper()}"
        if dataclasses.is_dataclass(hints[f.name]):
            section = _environment(hints[f.name], name + "_")
            if section:
                found[f.name] = section
        elif name in os.environ:
            found[f.name] = os.environ[name]
    return found


def build(cls: type, values: Any, where: str) -> Any:
    """An instance of the dataclass ``cls`` from a mapping, every value checked against its type."""
    if not isinstance(values, dict):
        raise SettingsError(f"config.yaml 的 {where or '顶层'} 应为 “键: 值” 的格式", f"现为 {values!r}")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - names)
    if unknown:
        key = f"{where}.{unknown[0]}" if where else unknown[0]
        raise SettingsError(f"config.yaml 中有未知的设置项 {key}", f"可用的设置项：{'、'.join(sorted(names))}")
    kwargs = {name: _value(hints[name], value, f"{where}.{name}" if where else name) for name, value in values.items()}
    for f in dataclasses.fields(cls):
        if f.name in kwargs:
            _check_allowed(f, kwargs[f.name], f"{where}.{f.name}" if where else f.name)
    try:
        return cls(**kwargs)
    except TypeError as exc:  # a required field left out (ui.auth entries)
        raise SettingsError(f"config.yaml 的 {where} 缺少必填项", str(exc)) from exc


def _value(kind: Any, value: Any, key: str) -> Any:
    if dataclasses.is_dataclass(kind):
        return build(kind, value if value is not None else {}, key)
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin in (typing.Union, types.UnionType):  # "str | None"
        if value is None:
            return None
        kind = next(a for a in args if a is not type(None))
        return _value(kind, value, key)
    if origin is tuple:  # a list of entries
        if value in (None, ""):
            return ()
        if not isinstance(value, (list, tuple)):
            raise SettingsError(f"config.yaml 的 {key} 应为列表", f"现为 {value!r}")
        return tuple(_value(args[0], item, key) for item in value)
    try:
        if kind is bool:
            return value if isinstance(value, bool) else _BOOLEAN[str(value).strip().lower()]
        if kind is int and not isinstance(value, bool):
            return int(value)
        if kind is float and not isinstance(value, bool):
            return float(value)
        if kind is str and isinstance(value, (str, int, float)):
            return str(value)
    except (TypeError, ValueError, KeyError):
        pass
    raise SettingsError(f"config.yaml 的 {key} 取值无效", f"应为{_KIND_ZH.get(kind, str(kind))}，现为 {value!r}")


def _check_allowed(f: dataclasses.Field, value: Any, key: str) -> None:
    """A field's range ("range": (low, high)) or its allowed values ("choices": (...)), from its metadata."""
    if "range" in f.metadata and value is not None:
        low, high = f.metadata["range"]
        if not low <= value <= high:
            raise SettingsError(f"config.yaml 的 {key} 应在 {low} 到 {high} 之间", f"现为 {value!r}")
    if "choices" in f.metadata and value not in f.metadata["choices"]:
        raise SettingsError(f"config.yaml 的 {key} 只能是 {' 或 '.join(f.metadata['choices'])}", f"现为 {value!r}")


_BOOLEAN = {
    **dict.fromkeys(("true", "yes", "on", "1", "是", "开"), True),
    **dict.fromkeys(("false", "no", "off", "0", "否", "关"), False),
}
_KIND_ZH = {int: "整数", float: "数字", str: "文字", bool: "true 或 false（是/否、1/0）"}
