"""Text from OFD files (GB/T 33190, the fixed-layout format government systems issue).

An OFD is a ZIP of XML: ``OFD.xml`` names each document's root (``DocBody/DocRoot``), whose
``Document.xml`` lists the pages in order (``Pages/Page@BaseLoc``); each page's ``Content.xml`` holds
text objects (``TextObject@Boundary`` "x y w h", with ``TextCode`` runs at X/Y inside it). Text is put
back in reading order (top to bottom, then left to right, in lines), and the pages go through the same
line joining and header and footer removal as a PDF's. Elements are matched by local name: writers
differ in the namespace URI they declare. The ZIP's size was checked before this reads it.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from xml.etree import ElementTree

from qa.errors import LoadError
from qa.ingest.layout import layout_paragraphs, page_starts

BROKEN = "OFD 文件已损坏或结构不完整：请用 OFD 阅读器打开后另存，或导出为 PDF 再导入"


def ofd_text(data: bytes, max_pages: int = 3000) -> tuple[str, list[tuple[int, int]]]:
    """The text of an OFD, and where each page starts in it (offset, page)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            pages = [_page_lines(archive, path) for path in _page_paths(archive)]
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, ValueError) as exc:
        raise LoadError(BROKEN) from exc
    if len(pages) > max_pages:
        raise LoadError(f"OFD 页数过多（{len(pages)} 页，上限 {max_pages} 页）：请拆分文件")
    paragraphs = layout_paragraphs(["\n".join(lines) for lines in pages])
    text = "\n".join(paragraph for paragraph, _ in paragraphs)
    if not text.strip():
        raise LoadError("OFD 文件中没有文字（可能是扫描件）：请导出为 PDF 或图片后再导入")
    return text, page_starts(paragraphs)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(element: ElementTree.Element, name: str) -> list[ElementTree.Element]:
    return [e for e in element.iter() if _local(e.tag) == name]


def _read(archive: zipfile.ZipFile, path: str) -> ElementTree.Element:
    return ElementTree.fromstring(archive.read(path.lstrip("/")))


def _page_paths(archive: zipfile.ZipFile) -> list[str]:
    """Every page's Content.xml, document by document, in the order the documents list them."""
    paths = []
    for root in _children(_read(archive, "OFD.xml"), "DocRoot"):
        document_path = (root.text or "").strip().lstrip("/")
        folder = posixpath.dirname(document_path)
        for page in _children(_read(archive, document_path), "Page"):
            location = page.get("BaseLoc", "")
            if location:
                paths.append(posixpath.normpath(posixpath.join(folder, location.lstrip("/"))))
    if not paths:
        raise ValueError("no pages")
    return paths


def _page_lines(archive: zipfile.ZipFile, path: str) -> list[str]:
    runs: list[tuple[float, float, float, str]] = []  # (y, x, height, text)
    for text_object in _children(_read(archive, path), "TextObject"):
        x, y, _, height = (float(v) for v in (text_object.get("Boundary", "0 0 0 0").split() + ["0"] * 4)[:4])
        for code in _children(text_object, "TextCode"):
            if code.text and code.text.strip():
                runs.append((y + float(code.get("Y", 0)), x + float(code.get("X", 0)), height or 1.0, code.text))
    lines: list[list[tuple[float, float, float, str]]] = []
    for run in sorted(runs):
        if lines and abs(run[0] - lines[-1][-1][0]) <= 0.5 * max(run[2], lines[-1][-1][2]):
            lines[-1].append(run)
        else:
            lines.append([run])
    return ["".join(r[3] for r in sorted(line, key=lambda r: r[1])).strip() for line in lines]
