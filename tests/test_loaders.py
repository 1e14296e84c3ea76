"""Encodings and broken files, generated on the fly."""

from __future__ import annotations

import io

import pytest

from qa.errors import LoadError
from qa.ingest.loaders import decode_bytes, load_file
from qa.settings import IngestSettings

LONG = "近年来，思南县紧扣乡村振兴发展主线，以农村党建为抓手，聚焦组织建设、队伍锻造、产业发展、治理提质精准发力。"
SHORT = "党建引领"  # far below what statistical detectors can handle
TRADITIONAL = "黨建引領鄉村振興，健全村級事務準入制度，培育鄉村治理骨幹力量。"


@pytest.mark.parametrize(
    ("text", "encoding", "data_encoding"),
    [
        (LONG, "utf-8", "utf-8"),
        (SHORT, "utf-8", "utf-8"),
        (LONG, "utf-8-sig", "utf-8-sig"),
        (SHORT, "utf-8-sig", "utf-8-sig"),
        (LONG, "gbk", "gb18030"),
        (SHORT, "gbk", "gb18030"),
        ("一肩挑", "gbk", "gb18030"),
        (LONG + "𠀀", "gb18030", "gb18030"),  # a character outside GBK
        (LONG, "utf-16", "utf-16"),
        (SHORT, "utf-16", "utf-16"),
        (TRADITIONAL, "big5", "big5"),
        ("鄉村振興", "big5", "big5"),
    ],
)
def test_text_encodings_round_trip(tmp_path, text, encoding, data_encoding):
    path = tmp_path / "report.txt"
    path.write_bytes(text.encode(encoding))
    loaded, _ = load_file(path)
    assert loaded.text == text
    assert loaded.encoding == data_encoding


def test_gbk_is_not_mistaken_for_big5_on_real_report_text():
    raw = (LONG * 3).encode("gbk")
    text, encoding = decode_bytes(raw)
    assert (text, encoding) == (LONG * 3, "gb18030")


def test_markdown_headings_lose_their_hashes(tmp_path):
    path = tmp_path / "r.md"
    path.write_text("# 标题\n\n## 一、强化队伍建设\n正文。", encoding="utf-8")
    assert load_file(path)[0].text == "标题\n\n一、强化队伍建设\n正文。"


def test_html_text_without_scripts(tmp_path):
    path = tmp_path / "r.html"
    path.write_text(
        "<html><head><meta charset='utf-8'><script>alert(1)</script></head><body><h1>标题</h1><p>正文段落。</p></body></html>",
        encoding="utf-8",
    )
    text = load_file(path)[0].text
    assert "标题" in text and "正文段落。" in text and "alert" not in text


def test_docx_paragraphs_and_tables(tmp_path):
    from docx import Document

    doc = Document()
    doc.add_paragraph("关于党建引领乡村振兴的经验材料")
    doc.add_paragraph("一、强化队伍建设")
    table = doc.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "指标"
    table.rows[0].cells[1].text = "数值"
    path = tmp_path / "r.docx"
    doc.save(path)
    loaded, _ = load_file(path)
    assert loaded.format == "docx"
    assert "一、强化队伍建设" in loaded.text and "指标\t数值" in loaded.text


def _pdf_bytes(text: str | None = None, password: str | None = None) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    if text:
        pdf.set_font("helvetica", size=12)
        pdf.cell(text=text)
    raw = bytes(pdf.output())
    if password is None:
        return raw
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(raw)))
    writer.encrypt(password, algorithm="RC4-128")
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def test_pdf_text(tmp_path):
    path = tmp_path / "r.pdf"
    path.write_bytes(_pdf_bytes("Village committee report 2024"))
    assert "Village committee report 2024" in load_file(path)[0].text


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty.txt", b"", "文件为空"),
        ("blank.txt", b"   \n\n  ", "没有可读的文字"),
        ("fake.docx", "这其实是文本".encode(), "不是有效的 Word 文档"),
        ("broken.pdf", b"%PDF-1.4\n1 0 obj garbage", "PDF"),
        ("scan.pdf", None, "没有可提取的文字"),
        ("locked.pdf", None, "PDF 已加密"),
        ("old.doc", b"\xd0\xcf\x11\xe0", "另存为 .docx"),
        ("table.xlsx", b"PK\x03\x04", "Excel 表格"),
        ("table.numbers", b"PK\x03\x04", "不支持的文件类型"),
        ("garbage.txt", bytes(range(0x80, 0x100)) * 3, "无法识别文件编码"),
    ],
)
def test_unreadable_files_fail_clearly(tmp_path, name, data, message):
    if name == "scan.pdf":
        data = _pdf_bytes()
    elif name == "locked.pdf":
        data = _pdf_bytes("secret", password="pw")
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(LoadError, match=message):
        load_file(path)


def test_oversized_file_is_refused_without_reading(tmp_path):
    path = tmp_path / "huge.txt"
    with open(path, "wb") as handle:  # sparse: 2 GB on paper, nothing on disk
        handle.truncate(2 * 2**30)
    with pytest.raises(LoadError, match="文件过大"):
        load_file(path, IngestSettings(max_file_size_mb=50))


def test_a_pdf_locked_with_aes_says_it_is_encrypted_not_which_package_is_missing(tmp_path, monkeypatch):
    from pypdf import PdfReader
    from pypdf.errors import DependencyError

    def needs_cryptography(self, password):  # what pypdf raises for AES here, where cryptography is absent
        raise DependencyError("cryptography>=3.1 is required for AES algorithm")

    monkeypatch.setattr(PdfReader, "decrypt", needs_cryptography)
    path = tmp_path / "aes.pdf"
    path.write_bytes(_pdf_bytes("secret", password="pw"))
    with pytest.raises(LoadError) as refused:
        load_file(path)
    assert "PDF 已加密" in str(refused.value) and "密码" in str(refused.value)
    assert "cryptography" not in str(refused.value)
