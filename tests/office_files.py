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


def xlsx_file(path: Path, sheets: dict[str, list[list]]) -> Path:
    """A workbook made by openpyxl: each sheet's first row its header."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def pptx_file(path: Path, slides: list[tuple[str, list[str]]], table: list[list[str]] | None = None) -> Path:
    """A deck made by python-pptx: a title and bullet lines per slide, and a table on a last slide."""
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    for title, lines in slides:
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = title
        body = slide.placeholders[1].text_frame
        body.text = lines[0]
        for line in lines[1:]:
            body.add_paragraph().text = line
    if table:
        slide = deck.slides.add_slide(deck.slide_layouts[5])
        slide.shapes.title.text = "附表"
        shape = slide.shapes.add_table(len(table), len(table[0]), Inches(0.5), Inches(1.5), Inches(9), Inches(3))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                shape.table.cell(r, c).text = value
    deck.save(path)
    return path
