"""What every `qa` command shares: the typer app, its options, settings, and the one place where
failures become a Chinese line instead of a traceback."""

from __future__ import annotations

import re
import sys
import tempfile
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.text import Text

from qa.app.cli.chinese import install as _chinese_labels
from qa.settings import Settings

_chinese_labels()
app = typer.Typer(add_completion=False, no_args_is_help=True, help="经验材料问答与检索工具")
# emoji codes off: a document's "root:x:0:0" must not print as "root❌0:0"
out = Console(soft_wrap=True, emoji=False)
err = Console(stderr=True, emoji=False)


KbOption = Annotated[Optional[str], typer.Option("--kb", help="知识库名称（默认取 config.yaml 的 default_kb）")]
IndexDirOption = Annotated[
    Optional[Path], typer.Option("--index-dir", envvar="QA_INDEX_DIR", help="知识库所在目录（默认 index/）")
]
JsonOption = Annotated[bool, typer.Option("--json", help="输出 JSON")]
ExportOption = Annotated[
    Optional[Path], typer.Option("--export", help="导出为 Word（.docx）或 Markdown（.md），按扩展名决定")
]
ConfigOption = Annotated[Optional[Path], typer.Option("--config", envvar="QA_CONFIG", help="配置文件路径")]


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def plain(text: str, lines: bool = False) -> Text:
    """Text from a file or its name, shown as it is: never read as Rich markup or emoji codes, and control
    characters (terminal escapes, a line break in a name) written as \\xNN; ``lines`` keeps line breaks."""
    return Text(_escaped(text, lines))


def safe(text: object) -> str:
    """Text from a file or its name, for a line that also has markup: its brackets escaped, control
    characters written as \\xNN."""
    return escape(_escaped(str(text), False))


def _escaped(text: str, lines: bool) -> str:
    pattern = _CONTROL_BUT_LINES if lines else _CONTROL
    return pattern.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


_CONTROL_BUT_LINES = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


@contextmanager
def user_errors() -> Iterator[None]:
    """Known failures become one clear line and exit code 1, not a traceback."""
    from qa.errors import UNEXPECTED, QAError

    try:
        yield
    except QAError as exc:
        err.print(f"[red]错误：[/red]{safe(exc)}", markup=True, highlight=False)
        raise typer.Exit(1) from None
    except (typer.Exit, typer.Abort, KeyboardInterrupt):
        raise
    except Exception:
        log_file = Path(tempfile.gettempdir()) / "qa-errors.log"
        with open(log_file, "a", encoding="utf-8") as handle:
            handle.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} {' '.join(sys.argv)}\n{traceback.format_exc()}")
        err.print(f"[red]错误：[/red]{UNEXPECTED}（{log_file}）", markup=True, highlight=False)
        raise typer.Exit(1) from None


def settings_from(config: Path | None, index_dir: Path | None) -> Settings:
    from qa.settings import load_settings

    settings = load_settings(config)
    return settings.replace(index_dir=str(index_dir)) if index_dir is not None else settings


def export_to(report: Any, path: Path) -> None:
    from qa.answer.export import write

    write(report, path)
    err.print(f"已导出到 {path}")


def kb_path(settings: Settings, kb: str | None) -> Path:
    from qa.index.schema import kb_folder

    return kb_folder(settings.index_dir, kb or settings.default_kb)
