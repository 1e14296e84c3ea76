"""Word files in 公文 layout (GB/T 9704-2012): A4, margins 37/35/28/26 mm (top/bottom/left/right), the
title in 方正小标宋简体 二号 centred, body text in 仿宋_GB2312 三号 at a fixed 28-point line with a
two-character first-line indent, headings in 黑体 (一、) and 楷体_GB2312 (（一）), quotes in 楷体, page
numbers "— 1 —" in 宋体 四号, 参考资料 at the end in the citation template's format.

Font names are set for East Asian text (``w:eastAsia``), which is what Word and WPS use for Chinese; each
also names a common font the machine is likelier to have (``w:altName`` in the font table is not read by
WPS, so the fallback is the run's ``w:hAnsi``/``w:ascii`` font, used for digits and Latin letters).
"""

from __future__ import annotations

import re
from pathlib import Path

TITLE_FONT, TITLE_SIZE = "方正小标宋简体", 22  # 二号
BODY_FONT, BODY_SIZE = "仿宋_GB2312", 16  # 三号
HEADING_FONTS = ("黑体", "楷体_GB2312", "仿宋_GB2312")  # 一、 （一） 1.
QUOTE_FONT = "楷体_GB2312"
PAGE_FONT, PAGE_SIZE = "宋体", 14  # 四号
LATIN_FONT = "Times New Roman"
LINE_PITCH = 28  # points, fixed
MARGINS_MM = {"top": 37, "bottom": 35, "left": 28, "right": 26}
_MARKER = re.compile(r"(\[\d+\])")


def write_docx(report, path: Path) -> None:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    doc = Document()
    _page(doc.sections[0])
    _style(doc.styles["Normal"], BODY_FONT, BODY_SIZE)
    # headings keep Word's heading styles (the navigation pane, a table of contents) in 公文 dress
    for name in ("Title", "Heading 1"):
        _style(
            doc.styles[name],
            TITLE_FONT if name == "Title" else HEADING_FONTS[0],
            TITLE_SIZE if name == "Title" else BODY_SIZE,
        )
    _paragraph(doc, report.title, TITLE_FONT, TITLE_SIZE, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False, style="Title")
    for kind, text in report.blocks:
        if kind == "heading":
            _paragraph(doc, text, HEADING_FONTS[0], BODY_SIZE, style="Heading 1")
        elif kind == "quote":
            _paragraph(doc, text, QUOTE_FONT, BODY_SIZE)
        elif kind == "paragraph":  # the words that answer in bold, as on the page
            _paragraph(doc, text, BODY_FONT, BODY_SIZE, bold=tuple(report.bold))
        else:  # note
            _paragraph(doc, text, BODY_FONT, BODY_SIZE)
    if report.references:
        _paragraph(doc, "参考资料", HEADING_FONTS[0], BODY_SIZE, style="Heading 1")
        for n, c in enumerate(report.references, 1):
            _paragraph(doc, f"[{n}] {c.source_line}", BODY_FONT, BODY_SIZE, superscript=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))


def _page(section) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm

    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(MARGINS_MM["top"]), Mm(MARGINS_MM["bottom"])
    section.left_margin, section.right_margin = Mm(MARGINS_MM["left"]), Mm(MARGINS_MM["right"])
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(footer.add_run("— "), PAGE_FONT, PAGE_SIZE)
    _page_field(footer)
    _font(footer.add_run(" —"), PAGE_FONT, PAGE_SIZE)


def _page_field(paragraph) -> None:
    """A PAGE field (the page number Word and WPS fill in), in the page-number font."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    for kind, text in (("begin", None), (None, "PAGE"), ("separate", None), (None, "1"), ("end", None)):
        run = paragraph.add_run()
        _font(run, PAGE_FONT, PAGE_SIZE)
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        elif text == "PAGE":
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = " PAGE "
        else:
            element = OxmlElement("w:t")
            element.text = text
        run._r.append(element)


def _style(style, font: str, size: int) -> None:
    """A style in 公文 dress: the font, its size, black, upright, not bold (Word's headings are blue)."""
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    style.font.size = Pt(size)
    style.font.name = LATIN_FONT
    style.font.color.rgb = RGBColor(0, 0, 0)
    style.font.bold = style.font.italic = False
    properties = style.element.pPr
    for border in properties.findall(qn("w:pBdr")) if properties is not None else []:
        properties.remove(border)  # Word's Title style underlines itself in blue
    style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)


def _font(run, font: str, size: int, bold: bool = False) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.name = LATIN_FONT
    run._r.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)


def _paragraph(
    doc,
    text: str,
    font: str,
    size: int,
    align=None,
    indent: bool = True,
    superscript: bool = True,
    style=None,
    bold: tuple[str, ...] = (),
):
    from docx.enum.text import WD_LINE_SPACING
    from docx.shared import Pt

    paragraph = doc.add_paragraph(style=style)
    layout = paragraph.paragraph_format
    layout.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    layout.line_spacing = Pt(LINE_PITCH)
    layout.space_before = layout.space_after = Pt(0)
    if indent:
        layout.first_line_indent = Pt(2 * size)  # two characters
    if align is not None:
        paragraph.alignment = align
    strong = re.compile("(" + "|".join(re.escape(b) for b in bold if b) + ")") if any(bold) else None
    for part in _MARKER.split(text) if superscript else [text]:
        for piece in strong.split(part) if strong and not _MARKER.fullmatch(part) else [part]:
            if piece:
                run = paragraph.add_run(piece)
                _font(run, font, size)
                run.font.superscript = superscript and bool(_MARKER.fullmatch(piece))
                run.bold = bool(strong and strong.fullmatch(piece)) or None
    return paragraph
