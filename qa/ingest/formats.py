"""Which reader a file needs, decided from its bytes as well as its name: many .wps files are Word
binary inside, a ".doc" may be a .docx, and a report saved as ".pdf.txt" is still text."""

from __future__ import annotations

import io
import zipfile

TEXT_SUFFIXES = (".txt", ".md", ".html", ".htm")
CONVERTED_SUFFIXES = (".doc", ".wps", ".rtf", ".odt", ".xls", ".et", ".ppt", ".dps")  # through LibreOffice
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")
SUPPORTED_SUFFIXES = (
    *TEXT_SUFFIXES,
    ".docx",
    ".xlsx",
    ".pptx",
    ".pdf",
    *CONVERTED_SUFFIXES,
    ".ofd",
    *IMAGE_SUFFIXES,
)
# what LibreOffice converts each legacy kind to (a spreadsheet to .xlsx, slides to .pptx, the rest to .docx)
CONVERTED_TO = {".xls": "xlsx", ".et": "xlsx", ".ppt": "pptx", ".dps": "pptx"}

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Word 97-2003, WPS, and other compound files
_IMAGES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*", b"BM")


def kind_of(data: bytes, suffix: str) -> str:
    """One of text, docx, xlsx, pptx, pdf, convert (LibreOffice), ofd, image."""
    if data.startswith(b"%PDF"):
        return "pdf"
    if data.startswith(_OLE2) or data.lstrip()[:5] == b"{\\rtf":
        return "convert"
    if data.startswith(b"PK\x03\x04"):
        return _zip_kind(data, suffix)
    if any(data.startswith(magic) for magic in _IMAGES) and suffix not in TEXT_SUFFIXES:
        return "image"
    if suffix in TEXT_SUFFIXES:
        return "text"
    by_name = {
        ".docx": "docx",
        ".xlsx": "xlsx",
        ".pptx": "pptx",
        ".pdf": "pdf",
        ".ofd": "ofd",
        **dict.fromkeys(CONVERTED_SUFFIXES, "convert"),
    }
    return by_name.get(suffix, "image")  # the reader of the named kind says what is wrong with the bytes


def _zip_kind(data: bytes, suffix: str) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist()[:2000])
    except (zipfile.BadZipFile, ValueError, OSError):
        return _ZIP_BY_NAME.get(suffix, "docx")  # let that reader name the damage
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "ppt/presentation.xml" in names:
        return "pptx"
    if "OFD.xml" in names:
        return "ofd"
    if "mimetype" in names or "content.xml" in names:  # OpenDocument
        return "convert"
    return _ZIP_BY_NAME.get(suffix, "docx")


_ZIP_BY_NAME = {".ofd": "ofd", ".odt": "convert", ".xlsx": "xlsx", ".pptx": "pptx"}
