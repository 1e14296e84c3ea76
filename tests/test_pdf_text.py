"""Text PDFs as a reader sees them: radical look-alikes mapped, lines joined, running headers, footers
and page numbers gone; made by LibreOffice from a .docx, as offices make them."""

from __future__ import annotations

import json

from qa.answer.citations import citation_from_hit
from qa.index.knowledge_base import KnowledgeBase
from qa.ingest.characters import ordinary_characters
from qa.ingest.layout import PARAGRAPH_END, layout_text
from qa.ingest.loaders import load_file
from qa.ingest.pipeline import ingest_paths
from qa.search.hybrid import HybridRetriever
from qa.settings import Settings

from .office_files import convert, docx_file, needs_libreoffice

SENTENCE = (
    "近年来，{place}紧扣乡村振兴发展主线，以农村党建为抓手，聚焦组织建设、队伍锻造、产业发展、治理提质精准发力，"
    "建立⼀⼾⼀档的帮扶台账，为⺠办实事，把⻝⽤油等⽣活⽤品送到群众家中，推动基层治理能力现代化⽔平不断提升。"
)


def test_radicals_and_compatibility_ideographs_become_ordinary_characters_and_nothing_else():
    assert ordinary_characters("⼀⼾⼀档，⺠⽣⾏动；⻓效⻔户“⻝⽤油”") == "一户一档，民生行动；长效门户“食用油”"
    kept = "全角（标点）“引号”！？１２３ＡＢＣ、·…—《》"
    assert ordinary_characters(kept) == kept
    assert ordinary_characters("\uf900\U0002f800") == "豈丽"  # compatibility ideographs → unified


def test_layout_lines_join_and_page_furniture_goes():
    full = "近年来思南县紧扣乡村振兴发展主线以农村党建为抓手聚焦组织建设队伍锻造"  # a full line, mid-sentence
    pages = [
        f"思南县委组织部\n一、精准培育村级骨干\n{full}\n产业发展精准发力。\n{full}\n- 1 -",
        f"思南县委组织部\n治理提质。\n（一）选好用好带头人\n{full}\n第 2 页 共 3 页",
        f"思南县委组织部\n{full}\n成效明显。\n3/3",
    ]
    assert layout_text(pages).split("\n") == [
        "一、精准培育村级骨干",
        f"{full}产业发展精准发力。",
        f"{full}治理提质。",  # across the page break, over the running header
        "（一）选好用好带头人",
        f"{full}{full}成效明显。",  # the sentence runs on over the page's number and the next page's header
    ]


def test_a_line_the_page_shows_ending_its_paragraph_is_not_joined_however_long():
    """OCR marks a title in a larger font: as long as a body line, it still stands alone."""
    full = "近年来思南县紧扣乡村振兴发展主线以农村党建为抓手聚焦组织建设队伍锻造"
    title = "思南县聚焦组织建设队伍锻造推动乡村振兴发展全面提质增效取得新成效"
    page = f"{title}{PARAGRAPH_END}\n{full}\n成效明显。\n{full}\n取得实效。"
    assert layout_text([page]).split("\n") == [title, f"{full}成效明显。", f"{full}取得实效。"]
    assert layout_text([page.replace(PARAGRAPH_END, "")]).split("\n")[0] == f"{title}{full}成效明显。"


@needs_libreoffice
def test_a_pdf_made_by_an_office_suite_reads_as_clean_searchable_text(tmp_path, embedder):
    paragraphs = ["思南县党建引领乡村振兴工作情况", "一、精准培育村级骨干"]
    paragraphs += [SENTENCE.format(place="思南县")] * 8 + ["二、壮大村集体经济"] + [SENTENCE.format(place="印江县")] * 8
    source = docx_file(tmp_path / "报告.docx", paragraphs, header="思南县委组织部 经验材料", page_numbers=True)
    pdf = convert(source, "pdf", tmp_path / "pdf")
    text = load_file(pdf)[0].text
    lines = text.split("\n")
    assert lines[:2] == ["思南县党建引领乡村振兴工作情况", "一、精准培育村级骨干"]
    assert lines[2] == SENTENCE.format(place="思南县").translate(str.maketrans("⼀⼾⺠⻝⽤⽣⽔", "一户民食用生水"))
    assert "二、壮大村集体经济" in lines and len(lines) == 19  # 16 whole paragraphs, 2 headings, the title
    assert "经验材料" not in text and "- 1 -" not in text and not any(line.strip("- ").isdigit() for line in lines)
    folder = tmp_path / "index" / "default"
    settings = Settings(index_dir=str(folder.parent)).replace(embedding={"model": "hash-test"})
    assert [r.status for r in ingest_paths([pdf], folder, settings, embedder)] == ["indexed"]
    kb = KnowledgeBase(folder)
    hits = HybridRetriever(kb, embedder).search("一户一档", k=5)
    sections = {tuple(json.loads(row[0])[1:]) for row in kb.conn.execute("SELECT section FROM chunks")}
    pages = [row[0] for row in kb.conn.execute("SELECT page FROM chunks ORDER BY id")]
    kb.close()
    assert pages[0] == 1 and max(pages) >= 2 and pages == sorted(pages)  # each passage knows its page
    line = citation_from_hit(1, hits[0], 0, 10).source_line
    assert line.endswith(f"，第{hits[0].page}页）") and hits[0].page in pages
    assert hits and all("一户一档" in h.text for h in hits)
    assert sections == {("精准培育村级骨干",), ("壮大村集体经济",)}  # the headings kept, no fragment taken for one
