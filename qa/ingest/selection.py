"""Which entries of the paths given are read, and what each file is called in the knowledge base.

Files are taken as given; folders are walked for supported files (sorted: results never depend on
order). In a folder only regular files are read, and a link only when it points to a regular file
inside that folder: a link to /etc/passwd, a device, a pipe or a loop must not be indexed, nor hang the
import. Every entry not read gets a result row saying why.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from qa.ingest.formats import SUPPORTED_SUFFIXES
from qa.model import FileResult
from qa.text import stored_name


def expand_paths(paths: Iterable[Path]) -> tuple[list[Path], list[FileResult]]:
    """Files as given, and supported files under given folders (sorted: results never depend on order),
    with a result row for every entry of a folder that is not imported and why. In a folder only regular
    files are read, and a link only when it points to a regular file inside that folder: a link to
    /etc/passwd, a device, a pipe or a loop must not be indexed, nor hang the import."""
    files: list[Path] = []
    skipped: list[FileResult] = []
    for path in paths:
        if not path.is_dir():
            files.append(path)
            continue
        root = path.resolve()
        for entry in sorted(path.rglob("*")):
            if entry.suffix.lower() not in SUPPORTED_SUFFIXES:
                continue
            reason = _refusal(entry, root)
            if reason:
                skipped.append(FileResult(stored_name(str(entry)), "failed", reason=reason))
            else:
                files.append(entry)
    once: dict[str, Path] = {}  # a file named twice (a folder and a file in it) is read once
    for path in files:
        once.setdefault(file_key(path), path)
    return list(once.values()), skipped


def _refusal(entry: Path, root: Path) -> str:
    """Why an entry of an imported folder is not read, or "" when it is a file to import."""
    try:
        if entry.is_symlink():
            target = entry.resolve()
            if not target.is_file():
                return "符号链接指向的不是普通文件（设备、管道、文件夹或不存在），已跳过"
            if not target.is_relative_to(root):
                return "符号链接指向导入文件夹之外的文件，已跳过：如需导入，请把该文件本身复制到文件夹中"
            return ""
        if entry.is_dir():
            return "这是文件夹，不是文件（名字像文件），已跳过"
        if not entry.is_file():
            return "不是普通文件（设备或管道），已跳过"
    except RuntimeError:  # a link that points back to itself
        return "符号链接循环指向自身，已跳过"
    except OSError as exc:
        return f"无法读取：{exc.strerror or exc}"
    return ""


def file_key(path: Path) -> str:
    """How the knowledge base names a file: its absolute path (a link by its own name, not its target's,
    which may be imported too), as text SQLite can hold."""
    return stored_name(str(path.parent.resolve() / path.name))
