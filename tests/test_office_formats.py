"""Every file on an official's disk, made by real tools: .doc, .wps (Word binary), .rtf and .odt from
LibreOffice, OFD from an OFD writer, scanned PDFs and photos of pages rendered with a CJK font and
read back by the offline OCR — each read exactly (OCR: ≥ 98% of characters) and searchable."""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import pytest

from qa.errors import LoadError
from qa.index.knowledge_base import KnowledgeBase
from qa.ingest import office
from qa.ingest.formats import kind_of
from qa.ingest.loaders import load_file
from qa.ingest.pipeline import ingest_paths
from qa.search.hybrid import HybridRetriever
from qa.settings import IngestSettings, Settings

from .office_files import CJK_FONT, convert, docx_file, needs_libreoffice

PARAGRAPHS = [
    "石阡县推行“党建+合作社”模式工作情况",
    "一、建强村级组织",
    "石阡县选派第一书记36名，建立村级后备力量库，每村储备后备人选2至3名，推动村级组织提质增效。",
    "二、壮大集体经济",
    "全县村集体经济收入全部达到10万元以上，其中“三变”改革带动农户增收1.2万户。",
]
SCAN_TEXT = (
    "近年来，德江县坚持党建引领基层治理，推行积分制管理，建立一户一档帮扶台账，"
    "全县选派驻村工作队员一百二十名，村集体经济收入实现全覆盖，群众满意度持续提升。"
)


def _settings(tmp_path: Path) -> Settings:
    return Settings(index_dir=str(tmp_path / "index")).replace(embedding={"model": "hash-test"})


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> dict[str, Path]:
    """The report as .docx, and LibreOffice's .doc, .wps (the .doc's bytes), .rtf and .odt of it."""
    if office.libreoffice() is None:
        return {}
    folder = tmp_path_factory.mktemp("office")
    source = docx_file(folder / "石阡.docx", PARAGRAPHS)
    files = {"docx": source}
    for to in ("doc", "rtf", "odt"):
        files[to] = convert(source, to, folder / to)
    wps = folder / "wps" / "石阡.wps"
    wps.parent.mkdir()
    wps.write_bytes(files["doc"].read_bytes())  # what many .wps files are: Word binary inside
    files["wps"] = wps
    return files


@needs_libreoffice
@pytest.mark.parametrize("kind", ["doc", "wps", "rtf", "odt"])
def test_legacy_office_files_read_exactly(made, kind):
    loaded, _ = load_file(made[kind])
    assert [line for line in loaded.text.split("\n") if line.strip()] == PARAGRAPHS
    assert loaded.format == kind


@needs_libreoffice
def test_files_are_read_by_what_they_are_not_only_their_name(made, tmp_path):
    disguised = tmp_path / "其实是docx.doc"
    disguised.write_bytes(made["docx"].read_bytes())
    assert kind_of(disguised.read_bytes(), ".doc") == "docx"
    assert [line for line in load_file(disguised)[0].text.split("\n") if line] == PARAGRAPHS
    assert kind_of(made["wps"].read_bytes(), ".wps") == "convert"
    broken = tmp_path / "坏的.doc"
    broken.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 4)
    with pytest.raises(LoadError, match="另存为 .docx"):
        load_file(broken)


def test_without_libreoffice_a_legacy_file_names_the_install_command(tmp_path, monkeypatch):
    monkeypatch.setattr(office, "libreoffice", lambda: None)
    path = tmp_path / "旧.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)
    with pytest.raises(LoadError, match="apt-get install libreoffice-writer-nogui"):
        load_file(path)


@needs_libreoffice
def test_an_ofd_written_by_an_ofd_writer_reads_exactly(made, tmp_path, monkeypatch):
    from easyofd.ofd import OFD

    monkeypatch.chdir(tmp_path)  # the writer leaves a working folder where it runs
    pdf = convert(made["docx"], "pdf", tmp_path / "pdf")
    ofd = tmp_path / "石阡.ofd"
    ofd.write_bytes(OFD().pdf2ofd(pdf.read_bytes(), optional_text=True))
    loaded, _ = load_file(ofd)
    assert loaded.format == "ofd" and loaded.text.split("\n") == PARAGRAPHS


def _page_image(lines: list[str], width: int = 1654, height: int = 2339, columns: int = 1):
    """A white A4 page at 200 dpi with the lines drawn in a CJK font (two columns if asked)."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(str(CJK_FONT), 40, index=2)  # Noto Sans CJK SC
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    per_column = -(-len(lines) // columns)
    for n, line in enumerate(lines):
        column, row = divmod(n, per_column)
        draw.text((120 + column * (width // 2), 150 + row * 64), line, font=font, fill="black")
    return image


def _accuracy(expected: str, got: str) -> float:
    strip = lambda s: re.sub(r"\s+", "", s)  # noqa: E731
    return difflib.SequenceMatcher(None, strip(expected), strip(got)).ratio()


@pytest.mark.slow
def test_a_scanned_pdf_without_a_text_layer_is_read_by_ocr(tmp_path):
    second = SCAN_TEXT.replace("德江县", "沿河县").replace("持续提升", "明显提高")
    lines = [SCAN_TEXT[i : i + 36] for i in range(0, len(SCAN_TEXT), 36)]
    more = [second[i : i + 36] for i in range(0, len(second), 36)]
    pages = [_page_image(lines), _page_image(["二、加强队伍建设", *more])]
    pdf = tmp_path / "扫描件.pdf"
    pages[0].save(pdf, save_all=True, append_images=pages[1:], resolution=200)
    progress: list[tuple[int, int]] = []
    loaded, _ = load_file(pdf, IngestSettings(), lambda done, total: progress.append((done, total)))
    assert loaded.format == "pdf+ocr" and progress[-1] == (2, 2)
    assert _accuracy(SCAN_TEXT + "二、加强队伍建设" + second, loaded.text) >= 0.98
    assert SCAN_TEXT[:30] in loaded.text.replace("\n", "")  # lines joined back into the paragraph


@pytest.mark.slow
def test_a_scanned_reports_title_is_its_title_line_not_glued_to_the_first_sentence(tmp_path):
    """A 公文 page: the title centred in a larger font (22 pt over 16 pt), as long as a body line in
    characters; the first paragraph indented two characters. The title line is the report's title."""
    from PIL import Image, ImageDraw, ImageFont

    from qa.ingest.pipeline import parse_text

    title = "德江县推行党员联户工作法打通联系服务群众最后一公里"
    body = SCAN_TEXT + "各村党支部书记带头联系农户，每名党员联系十户群众，定期走访收集意见建议。"
    lines = ["　　" + body[:26]] + [body[i : i + 28] for i in range(26, len(body), 28)]
    page = Image.new("RGB", (1654, 2339), "white")
    draw = ImageDraw.Draw(page)
    large, normal = (ImageFont.truetype(str(CJK_FONT), size, index=2) for size in (61, 44))
    draw.text(((1654 - draw.textlength(title, font=large)) / 2, 160), title, font=large, fill="black")
    for n, line in enumerate(lines):
        draw.text((180, 320 + n * 70), line, font=normal, fill="black")
    pdf = tmp_path / "德江县党员联户 扫描.pdf"
    page.save(pdf, resolution=200)
    loaded, _ = load_file(pdf)
    articles = parse_text(loaded.text, Settings().chunking, pdf.stem)
    assert _accuracy(title, articles[0].title) >= 0.95, articles[0].title  # not the file name
    assert articles[0].text.startswith("近年来"), articles[0].text[:40]


@pytest.mark.slow
def test_a_photo_of_a_two_column_page_is_read_column_by_column(tmp_path):
    left = ["左栏第一行党建引领", "左栏第二行乡村振兴", "左栏第三行基层治理", "左栏第四行组织建设"]
    right = ["右栏第一行集体经济", "右栏第二行产业发展", "右栏第三行人才振兴", "右栏第四行文化振兴"]
    image = tmp_path / "两栏.png"
    _page_image(left + right, columns=2).save(image)
    loaded, _ = load_file(image)
    text = loaded.text.replace("\n", "")
    assert loaded.format == "png+ocr" and _accuracy("".join(left + right), text) >= 0.98
    assert text.index("左栏第四行") < text.index("右栏第一行")  # not read across the gutter


def test_an_image_too_large_is_refused_before_decoding(tmp_path):
    from PIL import Image

    path = tmp_path / "巨幅.png"
    Image.new("L", (12000, 12000), 255).save(path, optimize=True)
    with pytest.raises(LoadError, match="ingest.max_image_pixels"):
        load_file(path)


@pytest.mark.slow
@needs_libreoffice
def test_every_kind_is_searchable_after_ingest(made, tmp_path, embedder, monkeypatch):
    from easyofd.ofd import OFD

    folder = tmp_path / "index" / "default"
    image = tmp_path / "照片.jpg"
    _page_image([SCAN_TEXT[:36], SCAN_TEXT[36:72]], height=600).save(image)
    other = docx_file(tmp_path / "松桃.docx", [p.replace("石阡县", "松桃县") for p in PARAGRAPHS])
    pdf = convert(other, "pdf", tmp_path / "pdf")
    monkeypatch.chdir(tmp_path)  # the OFD writer leaves a working folder where it runs
    ofd = tmp_path / "松桃.ofd"
    ofd.write_bytes(OFD().pdf2ofd(pdf.read_bytes(), optional_text=True))
    files = [made[k] for k in ("doc", "wps", "rtf", "odt")] + [image, ofd]
    results = ingest_paths(files, folder, _settings(tmp_path), embedder)
    statuses = {Path(r.path).suffix: r.status for r in results}
    # the .doc, .rtf and .odt of one report are one text: the first is indexed, the others are duplicates
    assert statuses[".jpg"] == statuses[".ofd"] == "indexed" and sorted(statuses.values()).count("failed") == 0
    kb = KnowledgeBase(folder)
    retriever = HybridRetriever(kb, embedder)
    found = {q: [h.text for h in retriever.search(q, k=3)] for q in ("后备人选", "积分制管理", "松桃县选派第一书记")}
    kb.close()
    for query, texts in found.items():
        assert any(query in text for text in texts), (query, texts)


@pytest.mark.slow
def test_answers_from_an_ocr_read_page_say_to_check_the_original(tmp_path, embedder):
    from qa.answer.answerer import Answerer
    from qa.app.web.render import citation_cards
    from qa.model import OCR_NOTE

    folder = tmp_path / "index" / "default"
    image = tmp_path / "扫描.png"
    _page_image([SCAN_TEXT[i : i + 36] for i in range(0, len(SCAN_TEXT), 36)], height=700).save(image)
    assert [r.status for r in ingest_paths([image], folder, _settings(tmp_path), embedder)] == ["indexed"]
    kb = KnowledgeBase(folder)
    answer = Answerer(HybridRetriever(kb, embedder), _settings(tmp_path)).ask("德江县推行了什么管理？")
    kb.close()
    assert answer.citations and all(c.note == OCR_NOTE for c in answer.citations)
    assert OCR_NOTE in citation_cards([c.to_dict() for c in answer.citations], {})


SHEET = [
    ["村名", "集体经济收入", "党员人数"],
    ["东岭村", "35万元", 42],
    ["西坪村", "18万元", 27],
]
SLIDES = [
    ("松桃县党建引领乡村振兴", ["松桃县推行“一村一品”，培育特色产业村56个。"]),
    ("二、培育骨干力量", ["全县选派驻村第一书记128名，每村储备后备力量3名。"]),
]


def test_a_spreadsheet_keeps_each_rows_header_and_slides_keep_their_titles(tmp_path):
    from .office_files import pptx_file, xlsx_file

    sheet = load_file(xlsx_file(tmp_path / "集体经济统计.xlsx", {"2024年": SHEET}))[0]
    assert sheet.format == "xlsx"
    assert sheet.text.splitlines() == [
        "1. 2024年",
        "村名：东岭村，东岭村集体经济收入：35万元，东岭村党员人数：42。",
        "村名：西坪村，西坪村集体经济收入：18万元，西坪村党员人数：27。",
    ]
    deck = load_file(pptx_file(tmp_path / "汇报.pptx", SLIDES, table=[["乡镇", "特色产业"], ["普觉镇", "茶叶"]]))[0]
    assert deck.format == "pptx"
    assert deck.text.splitlines() == [
        "1. 松桃县党建引领乡村振兴",
        "松桃县推行“一村一品”，培育特色产业村56个。",
        "2. 二、培育骨干力量",
        "全县选派驻村第一书记128名，每村储备后备力量3名。",
        "3. 附表",
        "乡镇：普觉镇，普觉镇特色产业：茶叶。",
    ]
    broken = tmp_path / "坏表.xlsx"
    broken.write_bytes(b"PK\x03\x04" + b"\x00" * 64)
    with pytest.raises(LoadError, match="xlsx"):
        load_file(broken)


@pytest.mark.slow
@needs_libreoffice
def test_sheets_and_slides_old_and_new_are_answered_with_the_row_and_slide_cited(tmp_path, embedder):
    """.xlsx and .pptx made by openpyxl and python-pptx, and LibreOffice's .xls and .ppt of them (what
    .et and .dps files are too): each ingested, and a question about one row or slide quotes it."""
    from qa.answer.answerer import Answerer

    from .office_files import pptx_file, xlsx_file

    made = tmp_path / "made"
    made.mkdir()
    xlsx = xlsx_file(made / "集体经济统计.xlsx", {"2024年": SHEET})
    pptx = pptx_file(made / "松桃汇报.pptx", SLIDES)
    old_sheet = xlsx_file(made / "旧表.xlsx", {"2023年": [["村名", "集体经济收入"], ["南山村", "12万元"]]})
    old_deck = pptx_file(made / "旧汇报.pptx", [("印江县经验", ["印江县建成村级综合服务站97个。"])])
    xls = convert(old_sheet, "xls", tmp_path / "xls")
    ppt = convert(old_deck, "ppt", tmp_path / "ppt")
    assert load_file(xls)[0].format == "xls" and load_file(ppt)[0].format == "ppt"
    folder = tmp_path / "index" / "default"
    results = ingest_paths([xlsx, pptx, xls, ppt], folder, _settings(tmp_path), embedder)
    assert [r.status for r in results] == ["indexed"] * 4, results
    answerer = Answerer.from_settings(_settings(tmp_path), folder, embedder)
    for question, stated in (
        ("东岭村集体经济收入是多少？", "东岭村集体经济收入：35万元"),
        ("南山村集体经济收入多少？", "南山村集体经济收入：12万元"),
        ("松桃县选派驻村第一书记多少名？", "128名"),
        ("印江县建成村级综合服务站多少个？", "97个"),
    ):
        answer = answerer.ask(question)
        first = answer.text.splitlines()[1]  # the first quote, under the line saying these are quotes
        assert not answer.abstained and stated in first and first.endswith("[1]"), (question, answer.text)
        assert answer.short_answer and answer.short_answer in first, (question, answer.short_answer)
    answerer.kb.close()
