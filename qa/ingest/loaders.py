"""Bytes → text for every accepted type (``qa.ingest.formats``): text files with reliable encoding
detection, .docx here, and PDF, OFD, images and legacy office files through their own modules.

Every failure raises :class:`LoadError` with a Chinese message that says what is wrong and what to do;
ingestion records it for that file and carries on.
"""

from __future__ import annotations

import codecs
import io
import re
from dataclasses import dataclass
from pathlib import Path

from qa.errors import LoadError
from qa.ingest.characters import ordinary_characters
from qa.ingest.formats import CONVERTED_SUFFIXES, CONVERTED_TO, SUPPORTED_SUFFIXES, kind_of
from qa.ingest.ocr import PageProgress
from qa.ingest.pdf import pdf_text
from qa.settings import IngestSettings


@dataclass
class LoadedText:
    text: str
    format: str  # txt | md | html | docx | pdf | doc | wps | rtf | odt | ofd | png | jpg …
    encoding: str | None  # for text formats; None for the others
    page_starts: list[tuple[int, int]] | None = None  # paged formats: (offset in text, page number)


def load_file(
    path: Path, limits: IngestSettings | None = None, progress: PageProgress | None = None
) -> tuple[LoadedText, bytes]:
    """Read one file; returns the text and the raw bytes (for the content hash).

    Every limit in ``limits`` is checked before the work it bounds: the size before reading, a ZIP's
    unpacked size from its directory before unpacking, a PDF's page count before extracting, the text's
    length and longest line before cleaning. Each refusal names the limit and the setting that raises it."""
    limits = limits or IngestSettings()
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise LoadError(f"不支持的文件类型 “{suffix or '无扩展名'}”：支持 {'、'.join(SUPPORTED_SUFFIXES)}")
    try:
        if not path.is_file():  # a folder, a device or a pipe: reading could block or make no sense
            raise LoadError("不是普通文件，无法导入")
        size = path.stat().st_size
    except OSError as exc:
        raise LoadError(f"无法读取文件：{exc.strerror or exc}") from exc
    if size > limits.max_bytes:
        raise LoadError(
            f"文件过大（{size / 2**20:.1f} MB），超过上限 {limits.max_file_size_mb:g} MB："
            "请拆分文件，或在 config.yaml 的 ingest.max_file_size_mb 中调高上限"
        )
    if size == 0:
        raise LoadError("文件为空（0 字节）")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LoadError(f"无法读取文件：{exc.strerror or exc}") from exc
    loaded = _read(data, suffix, limits, progress)
    loaded.text = ordinary_characters(loaded.text)  # PDFs' radical look-alikes, also in text copied from them
    check_text_size(loaded.text, limits)
    if not loaded.text.strip():
        raise LoadError("文件中没有可读的文字")
    return loaded, data


def _read(data: bytes, suffix: str, limits: IngestSettings, progress: PageProgress | None) -> LoadedText:
    """The text of a file's bytes, by what they are (see ``kind_of``), not only by the file's name."""
    kind, name = kind_of(data, suffix), suffix[1:]
    if kind == "text":
        text, encoding = decode_bytes(data)
        check_plain_text(text)
        check_text_size(text, limits)  # before any parsing: BeautifulSoup on a huge line costs gigabytes
        if suffix == ".md":
            return LoadedText(_strip_markdown(text), "md", encoding)
        if suffix in (".html", ".htm"):
            return LoadedText(_html_text(text), "html", encoding)
        return LoadedText(text, "txt", encoding)
    if kind == "docx":
        check_archive(data, limits)
        return LoadedText(_docx_text(data), name, None)
    if kind in ("xlsx", "pptx"):
        return LoadedText(_office_text(data, kind, limits), name, None)
    if kind == "convert":
        from qa.ingest.office import convert

        given = suffix if suffix in CONVERTED_SUFFIXES else ".doc"
        if data.startswith(b"PK\x03\x04"):  # OpenDocument: LibreOffice would unpack it unchecked
            check_archive(data, limits, "OpenDocument 文档 (.odt)")
        target = CONVERTED_TO.get(given, "docx")
        converted = convert(data, given, target, limits.convert_timeout_s)
        if target == "docx":
            check_archive(converted, limits)
            text = _docx_text(converted)
        else:
            text = _office_text(converted, target, limits)
        try:
            check_plain_text(text)  # LibreOffice reads a broken file as raw text rather than refuse it
        except LoadError:
            raise LoadError(
                f"无法读取此 {given} 文件（已损坏，或不是文档）", "请用 Word/WPS 打开后另存为 .docx 再导入"
            ) from None
        return LoadedText(text, name, None)
    if kind == "ofd":
        from qa.ingest.ofd import ofd_text

        check_archive(data, limits, "OFD 文件")
        text, starts = ofd_text(data, limits.max_pdf_pages)
        return LoadedText(text, name, None, starts)
    if kind == "image":
        from qa.ingest.ocr import image_text

        return LoadedText(image_text(data, limits), f"{name}+ocr", None)
    text, ocr, starts = pdf_text(data, limits, progress)
    return LoadedText(text, "pdf+ocr" if ocr else "pdf", None, starts)


# ---------------------------------------------------------------- limits

# What text in this tool's languages is made of: CJK ideographs and punctuation, kana, Latin letters,
# digits, general punctuation, whitespace. Random bytes decoded by some single-byte code page are not.
_TEXT_CHAR = re.compile(
    r"[\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff\u3000-\u303f\u3040-\u30ff\uff00-\uffef"
    r"\u2000-\u206f\u2e80-\u2fdf\u0020-\u007e\u00a0-\u00ff\u0370-\u03ff\u0400-\u04ff\u2100-\u27bf\s]"
)
MIN_TEXT_SHARE = 0.9
_SAMPLE = 200_000  # characters checked: enough to tell text from binary, cheap on large files


def check_plain_text(text: str) -> None:
    """Refuse bytes that decoded but are not text: binary files, or text in an encoding we misread."""
    sample = text[:_SAMPLE]
    if "\x00" in sample:
        raise LoadError("文件内容不是文字（含二进制数据）：请确认文件类型，或从原文件另存为 .txt/.docx")
    if sample and len(_TEXT_CHAR.findall(sample)) / len(sample) < MIN_TEXT_SHARE:
        raise LoadError("文件内容不像文字（多为乱码或二进制数据）：请确认文件未损坏，或另存为 UTF-8 编码的 .txt")


def check_text_size(text: str, limits: IngestSettings) -> None:
    if len(text) > limits.max_chars:
        raise LoadError(
            f"文件文字过多（{len(text)} 字，上限 {limits.max_chars} 字）：请拆分文件，"
            "或在 config.yaml 的 ingest.max_chars 中调高上限"
        )
    longest = max((len(line) for line in text.split("\n")), default=0)
    if longest > limits.max_line_chars:
        raise LoadError(
            f"文件中有一行长达 {longest} 字（上限 {limits.max_line_chars} 字），不像正常的文稿：请检查文件，"
            "或在 config.yaml 的 ingest.max_line_chars 中调高上限"
        )


def check_archive(data: bytes, limits: IngestSettings, kind: str = "Word 文档 (.docx)") -> None:
    """A ZIP-based document's member count and unpacked size, before any reader unpacks it: first from its
    central directory, then by inflating every member in 1 MB steps and counting the bytes that actually
    come out, since a directory may lie (1,000 bytes declared, 1 GB inside). Memory stays at one step."""
    import zipfile
    import zlib

    limit = limits.max_unpacked_mb * 2**20
    too_large = LoadError(
        f"文档解压后超过上限 {limits.max_unpacked_mb:g} MB，可能是压缩炸弹："
        "如确需导入，请在 config.yaml 的 ingest.max_unpacked_mb 中调高上限"
    )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise LoadError(f"不是有效的 {kind}：文件已损坏或扩展名不对，请用原软件打开后另存再导入") from exc
    with archive:
        members = archive.infolist()
        if len(members) > limits.max_archive_members:
            raise LoadError(
                f"文档内部文件过多（{len(members)} 个，上限 {limits.max_archive_members} 个），可能是恶意文件："
                "如确需导入，请在 config.yaml 的 ingest.max_archive_members 中调高上限"
            )
        if sum(m.file_size for m in members) > limit:
            raise too_large
        inflated = 0
        try:
            for member in members:
                with archive.open(member) as stream:
                    while step := stream.read(2**20):
                        inflated += len(step)
                        if inflated > limit:
                            raise too_large
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            # zipfile stops a member at its declared size and then finds the checksum wrong
            raise LoadError(
                f"{kind}的压缩内容与其目录不符（已损坏，或是伪装的压缩炸弹）：请用原软件打开后另存再导入"
            ) from exc
        except (ValueError, OSError, NotImplementedError, RuntimeError) as exc:  # encrypted, odd methods
            raise LoadError(f"{kind}无法解压（已损坏或已加密）：请用原软件打开后另存再导入") from exc


# ---------------------------------------------------------------- encodings

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode text bytes; returns (text, encoding name).

    Order matters: a BOM is certain; strict UTF-8 almost never decodes non-UTF-8
    Chinese by accident; GB18030 covers GBK/GB2312, the usual WPS/Word "ANSI"
    save. Statistical detectors guess badly on short texts, so they come last.
    """
    for bom, name in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(name), name
            except UnicodeDecodeError as exc:
                raise LoadError(f"文件带有 {name} 标记但内容损坏：{exc.reason}") from exc
    utf16 = _utf16_without_bom(data)
    if utf16:
        return utf16
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    gb = _strict(data, "gb18030")
    big5 = _strict(data, "big5")
    if gb is not None and (big5 is None or _gb2312_share(data) >= 0.9):
        return gb, "gb18030"
    if big5 is not None:
        return big5, "big5"
    if gb is not None:
        return gb, "gb18030"
    guess = _detector_guess(data)
    if guess:
        return guess
    raise LoadError("无法识别文件编码：请用记事本或 WPS 将文件另存为 UTF-8 编码后重试")


def _strict(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def _gb2312_share(data: bytes) -> float:
    """Share of double-byte pairs inside the GB2312 block (lead B0–F7, trail A1–FE).

    Real GBK Chinese text lives almost entirely there; Big5 bytes read as GBK
    land in the extension area about half of the time.
    """
    pairs = inside = 0
    i, n = 0, len(data)
    while i < n:
        b = data[i]
        if b < 0x80:
            i += 1
            continue
        if i + 1 < n:
            pairs += 1
            if 0xB0 <= b <= 0xF7 and 0xA1 <= data[i + 1] <= 0xFE:
                inside += 1
            elif 0xA1 <= b <= 0xA9 and 0xA1 <= data[i + 1] <= 0xFE:
                inside += 1  # GB2312 punctuation and symbols
        i += 2
    return inside / pairs if pairs else 1.0


def _utf16_without_bom(data: bytes) -> tuple[str, str] | None:
    if len(data) < 4 or len(data) % 2:
        return None
    even_nuls = data[0::2].count(0)
    odd_nuls = data[1::2].count(0)
    half = len(data) // 2
    # ASCII-heavy UTF-16 has NULs in every other byte; CJK-only text has few,
    # so this only catches the mixed case, which is where strict UTF-8 fails oddly.
    for nuls, name in ((odd_nuls, "utf-16-le"), (even_nuls, "utf-16-be")):
        if nuls > 0.3 * half:
            text = _strict(data, name)
            if text is not None:
                return text, name
    return None


def _detector_guess(data: bytes) -> tuple[str, str] | None:
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None or best.encoding is None:
        return None
    return str(best), best.encoding


# ---------------------------------------------------------------- formats


def _strip_markdown(text: str) -> str:
    return re.sub(r"(?m)^[ \t]{0,3}#{1,6}[ \t]+", "", text)


def _office_text(data: bytes, kind: str, limits: IngestSettings) -> str:
    """A spreadsheet's or a slide deck's text, its archive checked first."""
    from qa.ingest.sheets import sheet_text, slide_text

    check_archive(data, limits, "Excel 表格 (.xlsx)" if kind == "xlsx" else "PowerPoint 文件 (.pptx)")
    return sheet_text(data) if kind == "xlsx" else slide_text(data)


def _docx_text(data: bytes) -> str:
    import zipfile

    from docx import Document as DocxDocument

    try:
        doc = DocxDocument(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise LoadError(
            "不是有效的 Word 文档 (.docx)：文件已损坏或扩展名不对，请用 Word/WPS 打开后另存为 .docx"
        ) from exc
    except Exception as exc:  # python-docx raises several lxml/opc/zlib errors
        raise LoadError(f"Word 文档已损坏，无法读取：请用 Word/WPS 打开后另存再导入（{exc}）") from exc
    lines = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            cells = []
            for cell in row.cells:
                if cell.text and (not cells or cells[-1] != cell.text):  # merged cells repeat
                    cells.append(cell.text)
            lines.append("\t".join(cells))
    return "\n".join(lines)


def _html_text(html: str) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "noscript", "nav", "header", "footer", "iframe"]):
        tag.decompose()
    return soup.get_text("\n")
