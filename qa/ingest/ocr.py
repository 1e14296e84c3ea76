"""Text from images and scanned pages, offline: the PP-OCR Chinese detection and recognition models
that the ``rapidocr-onnxruntime`` wheel ships (Apache-2.0), on the CPU; nothing is downloaded.

Boxes become lines (by height), lines read left to right; a page whose boxes fall in two columns
with a clear gutter is read column by column. Image size is checked from the header before decoding.
OCR'd text is marked in the document's format (``pdf+ocr``, ``png+ocr``) so citations can say so.
"""

from __future__ import annotations

import io
import statistics
import time
from collections.abc import Callable
from functools import lru_cache

from qa.errors import LoadError
from qa.ingest.layout import PARAGRAPH_END, layout_text
from qa.settings import IngestSettings

MIN_CONFIDENCE = 0.5  # boxes the recogniser is less sure of are noise (stamps, lines, specks)
LARGER_FONT = 1.2  # a line this much taller than the page's usual one is a title or heading
INDENT_LINES = 1.5  # an indent of this many line heights (about characters) starts a paragraph
PageProgress = Callable[[int, int], None]
Box = tuple[float, float, float, float, str]  # left, right, top, bottom, text


@lru_cache(maxsize=1)
def _engine():
    try:
        from rapidocr_onnxruntime import RapidOCR
    except ImportError as exc:
        raise LoadError(
            "读取扫描件和图片需要文字识别组件 rapidocr-onnxruntime，本机未安装",
            "请运行 .venv/bin/pip install rapidocr-onnxruntime（模型随安装包提供，无需联网下载）",
        ) from exc
    return RapidOCR()


def open_image(data: bytes, max_pixels: int):
    """A PIL image, its size checked from the header before any pixel is decoded."""
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = None  # our own limit applies, with a Chinese reason
    try:
        image = Image.open(io.BytesIO(data))
        width, height = image.size
    except Exception as exc:  # PIL raises many kinds for broken files
        raise LoadError("图片已损坏或格式不受支持：请重新扫描或另存为 PNG/JPG 后再导入") from exc
    if width * height > max_pixels:
        raise LoadError(
            f"图片过大（{width}×{height} 像素，上限 {max_pixels} 像素）：请降低扫描分辨率（300 dpi 足够），"
            "或调大 config.yaml 的 ingest.max_image_pixels"
        )
    try:
        image.load()
    except Exception as exc:
        raise LoadError("图片已损坏，无法读取：请重新扫描或另存为 PNG/JPG 后再导入") from exc
    return image


def image_text(data: bytes, limits: IngestSettings) -> str:
    """The text of an image file (a photo or scan of a page)."""
    text = layout_text([page_text(open_image(data, limits.max_image_pixels))])
    if not text.strip():
        raise LoadError("图片中没有识别出文字：请确认图片清晰、方向正确")
    return text


def page_text(image) -> str:
    """One page's text, a layout line a line."""
    import numpy as np

    rgb = image.convert("RGB")
    result, _ = _engine()(np.asarray(rgb))
    boxes = [
        (min(p[0] for p in box), max(p[0] for p in box), min(p[1] for p in box), max(p[1] for p in box), text)
        for box, text, score in (result or [])
        if float(score) >= MIN_CONFIDENCE and text.strip()
    ]
    return "\n".join(_reading_order(boxes, rgb.width))


def pages_text(images, limits: IngestSettings, progress: PageProgress | None = None) -> list[str]:
    """Several pages' text, within the file's page and time limits."""
    pages = list(images)
    if len(pages) > limits.max_ocr_pages:
        raise LoadError(
            f"需要文字识别的页数过多（{len(pages)} 页，上限 {limits.max_ocr_pages} 页）：请拆分文件，"
            "或调大 config.yaml 的 ingest.max_ocr_pages"
        )
    started = time.monotonic()
    texts = []
    for n, image in enumerate(pages):
        if time.monotonic() - started > limits.ocr_timeout_s:
            raise LoadError(
                f"文字识别超过 {limits.ocr_timeout_s:g} 秒（已识别 {n}/{len(pages)} 页）：请拆分文件，"
                "或调大 config.yaml 的 ingest.ocr_timeout_s"
            )
        if progress:
            progress(n, len(pages))
        texts.append(page_text(image))
    if progress:
        progress(len(pages), len(pages))
    return texts


def _reading_order(boxes: list[Box], width: int) -> list[str]:
    """Lines of text in reading order; two columns (a gutter down the middle) are read one after the other."""
    middle = width / 2
    left = [b for b in boxes if b[1] < middle]
    right = [b for b in boxes if b[0] > middle]
    spanning = [b for b in boxes if b[0] <= middle <= b[1]]
    if len(left) >= 3 and len(right) >= 3 and len(spanning) <= max(1, len(boxes) // 10):
        top = min(b[2] for b in left + right)
        heads = [b for b in spanning if b[3] <= top]  # a title across both columns
        rest = [b for b in spanning if b[3] > top]
        return _lines(heads) + _lines(left) + _lines(right) + _lines(rest)
    return _lines(boxes)


def _lines(boxes: list[Box]) -> list[str]:
    """Boxes grouped into lines by their vertical middle, each line read left to right and marked where
    the page shows its paragraph ends."""
    rows: list[list[Box]] = []
    for box in sorted(boxes, key=lambda b: (b[2] + b[3]) / 2):
        middle, height = (box[2] + box[3]) / 2, box[3] - box[2]
        if rows:
            last = rows[-1][-1]
            if abs(middle - (last[2] + last[3]) / 2) <= 0.5 * max(height, last[3] - last[2]):
                rows[-1].append(box)
                continue
        rows.append([box])
    texts = ["".join(b[4] for b in sorted(row, key=lambda b: b[0])) for row in rows]
    ends = _paragraph_ends(
        [(min(b[0] for b in r), max(b[1] for b in r), max(b[3] for b in r) - min(b[2] for b in r)) for r in rows]
    )
    return [text + (PARAGRAPH_END if end else "") for text, end in zip(texts, ends, strict=True)]


def _paragraph_ends(rows: list[tuple[float, float, float]]) -> list[bool]:
    """Which lines (left, right, height) end their paragraph by the look of the page, whatever their length:
    a line in a larger font (a title), a line centred between the margins, and the line before one that
    starts indented (a new paragraph's first line) or in a larger font. Needs a few lines to know the margins."""
    if len(rows) < 3:
        return [False] * len(rows)
    height = statistics.median(r[2] for r in rows)
    margin_left, margin_right = statistics.median(r[0] for r in rows), statistics.median(r[1] for r in rows)
    larger = [r[2] >= LARGER_FONT * height for r in rows]
    indented = [r[0] >= margin_left + INDENT_LINES * height for r in rows]
    centred = [i and r[1] <= margin_right - INDENT_LINES * height for r, i in zip(rows, indented, strict=True)]
    return [
        larger[n] or centred[n] or (n + 1 < len(rows) and (indented[n + 1] or larger[n + 1])) for n in range(len(rows))
    ]
