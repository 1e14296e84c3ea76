"""Text from PDFs: each page's text layer, or for a page without one (a scan) the OCR of its image;
then the pages' lines put back into paragraphs, without running headers, footers and page numbers
(``qa.ingest.layout``).
"""

from __future__ import annotations

import io

from qa.errors import LoadError
from qa.ingest.layout import layout_paragraphs, page_starts
from qa.ingest.ocr import PageProgress
from qa.settings import IngestSettings


def pdf_text(
    data: bytes, limits: IngestSettings, progress: PageProgress | None = None
) -> tuple[str, bool, list[tuple[int, int]]]:
    """The text of a PDF, whether any of it came from OCR (pages without a text layer, scans, are read
    from their page image), and where each page starts in it (offset, page). Raises LoadError for
    broken, encrypted or oversized ones."""
    pages, scanned = pdf_pages(data, limits)
    if scanned:
        from qa.ingest.ocr import pages_text

        for n, text in zip(scanned, pages_text((image for _, image in scanned.items()), limits, progress), strict=True):
            pages[n] = text
    paragraphs = layout_paragraphs(pages)
    text = "\n".join(paragraph for paragraph, _ in paragraphs)
    if not text.strip():
        raise LoadError("PDF 中没有可提取的文字：扫描件的页面图像也没有识别出文字，请确认文件清晰")
    return text, bool(scanned), page_starts(paragraphs)


ENCRYPTED = "PDF 已加密：请在 PDF 阅读器中输入密码打开，另存为不带密码的 PDF（或打印为 PDF）后再导入"
MIN_PAGE_TEXT = 10  # characters: a page with less text than this is a scan (a stray page number is not text)


def pdf_pages(data: bytes, limits: IngestSettings) -> tuple[list[str], dict[int, object]]:
    """Each page's text layer, and the page image of each page without one (page number → PIL image)."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not _opens_without_password(reader):
            raise LoadError(ENCRYPTED)
        if len(reader.pages) > limits.max_pdf_pages:
            raise LoadError(
                f"PDF 页数过多（{len(reader.pages)} 页，上限 {limits.max_pdf_pages} 页）：请拆分文件，"
                "或在 config.yaml 的 ingest.max_pdf_pages 中调高上限"
            )
        texts = [page.extract_text() or "" for page in reader.pages]
        scanned = {
            n: image
            for n, page in enumerate(reader.pages)
            if len(texts[n].strip()) < MIN_PAGE_TEXT and (image := _page_image(page, limits.max_image_pixels))
        }
        return texts, scanned
    except LoadError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        raise LoadError(f"PDF 文件已损坏，无法读取：{exc}") from exc
    except Exception as exc:  # pypdf surfaces crypto and stream errors of many kinds
        if "encrypt" in str(exc).lower() or "crypt" in type(exc).__name__.lower():
            raise LoadError(ENCRYPTED) from exc
        raise LoadError(f"PDF 文件无法读取：{exc}") from exc


def _opens_without_password(reader) -> bool:
    try:
        return bool(reader.decrypt(""))
    except Exception:  # AES without the cryptography package, odd handlers: it stays locked
        return False


def _page_image(page, max_pixels: int):
    """The largest image drawn on a page (a scan is one image a page), its size checked before decoding."""
    resources = page.get("/Resources") or {}
    xobjects = resources.get("/XObject") or {}
    sizes = []
    for ref in xobjects.values():
        image = ref.get_object()
        if image.get("/Subtype") == "/Image":
            sizes.append(int(image.get("/Width", 0)) * int(image.get("/Height", 0)))
    if not sizes:
        return None
    if max(sizes) > max_pixels:
        raise LoadError(
            f"扫描页图像过大（{max(sizes)} 像素，上限 {max_pixels} 像素）：请用 300 dpi 重新扫描，"
            "或调大 config.yaml 的 ingest.max_image_pixels"
        )
    images = page.images
    return max((i.image for i in images), key=lambda im: im.width * im.height) if len(images) else None
