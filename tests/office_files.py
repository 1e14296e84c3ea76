"""Real office files made on the fly: .docx with python-docx, then PDF, .doc, .odt and .rtf through
LibreOffice headless (the same converter a user's machine would use), page images with a CJK font."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
CJK_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")

# CI sets QA_REQUIRE_TOOLS: there a missing LibreOffice fails these tests instead of skipping them
needs_libreoffice = pytest.mark.skipif(
    SOFFICE is None and not os.environ.get("QA_REQUIRE_TOOLS"),
    reason="LibreOffice 未安装（apt-get install libreoffice-writer-nogui）；CI 会安装",
)


def docx_file(path: Path, paragraphs: list[str], header: str | None = None, page_numbers: bool = False) -> Path:
    """A .docx of the paragraphs; optionally a running header and a "- N -" page number in the footer."""
    from docx import Document
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    doc = Document()
    style = doc.styles["Normal"]
    style.font.size = Pt(12)
    style.font.name = "Noto Sans CJK SC"
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "Noto Sans CJK SC")
    for text in paragraphs:
        doc.add_paragraph(text)
    section = doc.sections[0]
    if header:
        section.header.paragraphs[0].text = header
    if page_numbers:
        footer = section.footer.paragraphs[0]
        footer.add_run("- ")
        field = OxmlElement("w:fldSimple")
        field.set(qn("w:instr"), "PAGE")
        run = OxmlElement("w:r")
        text = OxmlElement("w:t")
        text.text = "1"
        run.append(text)
        field.append(run)
        footer._p.append(field)
        footer.add_run(" -")
    doc.save(path)
    return path


def convert(source: Path, to: str, out: Path) -> Path:
    """``source`` converted by LibreOffice headless to the format ``to`` (pdf, doc, odt, rtf) in ``out``."""
    assert SOFFICE, "LibreOffice is not installed"
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        subprocess.run(
            [
                SOFFICE,
                f"-env:UserInstallation=file://{profile}",
                "--headless",
                "--norestore",
                "--convert-to",
                to,
                "--outdir",
                str(out),
                str(source),
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )
    return out / f"{source.stem}.{to.split(':')[0]}"
