"""Legacy and other office formats converted by LibreOffice headless — documents (.doc .wps .rtf .odt) to
.docx, spreadsheets (.xls .et) to .xlsx, slides (.ppt .dps) to .pptx — then read like those.

One conversion at a time (LibreOffice's user profile does not take two processes), each with a
profile folder of its own under a temporary directory and a time limit; a conversion that overruns
is killed with its whole process group, so a hostile file costs its time limit and nothing more.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import threading
from pathlib import Path

from qa.errors import LoadError

INSTALL = {
    "docx": "sudo apt-get install libreoffice-writer-nogui",
    "xlsx": "sudo apt-get install libreoffice-calc-nogui",
    "pptx": "sudo apt-get install libreoffice-impress-nogui",
}
FILTERS = {
    "docx": "docx:MS Word 2007 XML",
    "xlsx": "xlsx:Calc MS Excel 2007 XML",
    "pptx": "pptx:Impress MS PowerPoint 2007 XML",
}
SAVE_AS = {"docx": "Word/WPS 另存为 .docx", "xlsx": "Excel/WPS 另存为 .xlsx", "pptx": "PowerPoint/WPS 另存为 .pptx"}
_ONE_AT_A_TIME = threading.Lock()


def libreoffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert_to_docx(data: bytes, suffix: str, timeout_s: float) -> bytes:
    return convert(data, suffix, "docx", timeout_s)


def convert(data: bytes, suffix: str, target: str, timeout_s: float) -> bytes:
    """The .docx, .xlsx or .pptx (``target``) LibreOffice makes of a file; raises LoadError naming the
    cause and the fix."""
    program = libreoffice()
    if program is None:
        raise LoadError(
            f"读取 {suffix} 文件需要 LibreOffice，本机未安装",
            f"请安装：{INSTALL[target]}；或用 {SAVE_AS[target]} 后再导入",
        )
    with _ONE_AT_A_TIME, tempfile.TemporaryDirectory(prefix="qa-convert-") as work:
        folder = Path(work)
        source = folder / f"document{suffix}"
        source.write_bytes(data)
        command = [
            program,
            f"-env:UserInstallation=file://{folder / 'profile'}",
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--convert-to",
            FILTERS[target],
            "--outdir",
            str(folder / "out"),
            str(source),
        ]
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
        try:
            _, errors = process.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # soffice starts helpers: the whole group goes
            process.wait()
            raise LoadError(
                f"LibreOffice 转换 {suffix} 文件超过 {timeout_s:g} 秒",
                f"文件可能已损坏或过于复杂；可用 {SAVE_AS[target]}，或调大 config.yaml 的 ingest.convert_timeout_s",
            ) from None
        converted = folder / "out" / f"document.{target}"
        if process.returncode != 0 or not converted.is_file():
            detail = errors.decode("utf-8", "replace").strip().splitlines()[-1:] if errors else []
            raise LoadError(
                f"LibreOffice 无法转换此 {suffix} 文件（文件可能已损坏或不是文档）",
                f"请用 {SAVE_AS[target]} 再导入{('；' + detail[0]) if detail else ''}",
            )
        return converted.read_bytes()
