"""Spreadsheets (.xlsx; .xls and .et through LibreOffice) and slide decks (.pptx; .ppt and .dps
through LibreOffice) as text the rest of the flow reads like a report.

A sheet is a numbered heading (its name) and one line per row, each value beside its column's header
(「村名：东岭村，东岭村集体经济收入：35万元。」, one sentence), so a question about one row finds that row and quotes it whole.
A slide is a numbered heading (its title) and its other text; a table on a slide reads like a sheet.
"""

from __future__ import annotations

import datetime
import io
import re

from qa.errors import LoadError

MAX_COLUMNS = 60  # beyond this a sheet is a grid of numbers, not a table a question reads


def sheet_text(data: bytes) -> str:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError and XML errors alike
        raise LoadError(f"Excel 表格 (.xlsx) 已损坏，无法读取：请用 Excel/WPS 打开后另存再导入（{exc}）") from exc
    lines: list[str] = []
    try:
        for number, sheet in enumerate(workbook.worksheets, 1):
            rows = [[_cell(v) for v in row[:MAX_COLUMNS]] for row in sheet.iter_rows(values_only=True)]
            rows = [row for row in rows if any(row)]
            if rows:
                lines.append(f"{number}. {sheet.title}")
                lines.extend(table_lines(rows))
    finally:
        workbook.close()
    return "\n".join(lines)


def slide_text(data: bytes) -> str:
    from pptx import Presentation

    try:
        deck = Presentation(io.BytesIO(data))
    except Exception as exc:  # python-pptx raises zipfile, KeyError and XML errors alike
        raise LoadError(
            f"PowerPoint 文件 (.pptx) 已损坏，无法读取：请用 PowerPoint/WPS 打开后另存再导入（{exc}）"
        ) from exc
    lines: list[str] = []
    for number, slide in enumerate(deck.slides, 1):
        title_shape = slide.shapes.title
        title = _one_line(title_shape.text_frame.text) if title_shape is not None and title_shape.has_text_frame else ""
        lines.append(f"{number}. {title or f'第{number}页'}")
        for shape in slide.shapes:
            if title_shape is not None and shape.shape_id == title_shape.shape_id:
                continue
            if shape.has_text_frame:
                lines.extend(p for p in (_one_line(par.text) for par in shape.text_frame.paragraphs) if p)
            elif getattr(shape, "has_table", False) and shape.has_table:
                rows = [[_one_line(cell.text) for cell in row.cells] for row in shape.table.rows]
                lines.extend(table_lines([row for row in rows if any(row)]))
    return "\n".join(lines)


def table_lines(rows: list[list[str]]) -> list[str]:
    """The first row is the header; every other row one sentence of 「header：value」 pairs. A row named by
    its first cell (a village, a town) names it before each of its figures too — 「村名：东岭村，东岭村集体经济
    收入：35万元」 — so that a question in the usual order ("东岭村集体经济收入是多少？") finds its words together."""
    header, body = rows[0], rows[1:]
    if not body:
        return ["，".join(v for v in header if v) + "。"]
    lines = []
    for row in body:
        key = row[0] if row and row[0] and not _NUMERIC.fullmatch(row[0]) and header[0] else ""
        pairs = []
        for i, value in enumerate(row):
            if not value:
                continue
            name = header[i] if i < len(header) else ""
            pairs.append(f"{key if i and key else ''}{name}：{value}" if name else value)
        if pairs:
            lines.append("，".join(pairs) + "。")
    return lines


_NUMERIC = re.compile(r"[\d.,%％\s-]+")


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat(sep=" ")
    return _one_line(str(value))


def _one_line(text: str) -> str:
    return " ".join(text.split())
