"""Similar experience grouped by place, named practices, draft citations and exports (read back)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from docx import Document as WordDocument

from qa.answer.drafts import suggest_citations
from qa.answer.export import answer_report, draft_report, similar_report, to_markdown, write
from qa.answer.similar import find_similar, input_pieces
from qa.index.catalog import list_practices
from qa.ingest.practices import extract_practices
from qa.search.hybrid import HybridRetriever

from .test_cli import qa

CLEARING_PARAGRAPH = (
    "我县深入推进村级事务准入制度，全面清理规范村级组织挂牌和各类证明事项，切实为村干部减负，"
    "让村干部把更多精力用在服务群众上。"
)
DRAFT = """关于我县党建引领基层治理工作的汇报

今年以来，我县坚持党建引领，持续推动基层治理提质增效。

一、减轻基层负担
我县全面推行村级事务准入制度，清理村级组织挂牌，规范各类证明事项，切实为基层减负。

二、建强社区工作者队伍
我县建立社区工作者职业体系，实行岗位等级薪酬，推行导师传帮带，帮助年轻社区工作者快速成长。
"""


@pytest.fixture
def retriever(seed_kb, embedder) -> HybridRetriever:
    return HybridRetriever(seed_kb, embedder)


def test_clearing_village_plaques_finds_both_reports_as_separate_places(retriever):
    groups = find_similar(retriever, CLEARING_PARAGRAPH)
    places = [g.place for g in groups]
    assert "思南县" in places and "《关于党建引领乡村振兴的经验材料》" in places
    sinan = next(g for g in groups if g.place == "思南县")
    assert sinan.province == "贵州省" and any("准入" in h.text for h in sinan.hits)
    without = find_similar(retriever, CLEARING_PARAGRAPH, exclude_place="思南县")
    assert "思南县" not in [g.place for g in without]
    assert [g.place for g in without] == [p for p in places if p != "思南县"][: len(without)]
    assert [[h.chunk_id for h in g.hits] for g in without] == [
        [h.chunk_id for h in g.hits] for g in groups if g.place != "思南县"
    ][: len(without)]


def test_long_input_is_matched_passage_by_passage(retriever):
    assert len(input_pieces(DRAFT)) >= 2
    groups = find_similar(retriever, DRAFT, k=10)
    assert {"思南县", "蓼皋街道"} <= {g.place for g in groups}


def test_province_limits_similar_experience(retriever):
    groups = find_similar(retriever, "乡贤参与乡村治理", province="广东")
    assert [g.place for g in groups] == ["开平市"]


def test_a_quoted_practice_name_is_strong_evidence(retriever):
    groups = find_similar(retriever, "我们村推行“积分超市”，效果不错。")
    assert groups[0].place == "思南县" and "积分超市" in groups[0].hits[0].text


def test_practice_names_are_found_and_rhetoric_is_not():
    text = "推行“四议两公开”制度，实施“头雁”工程，建立“三色预警”机制，打造“压舱石”，配齐“两委”，荣获“第二批全国乡村治理示范村”。"
    assert [name for name, _, _ in extract_practices(text)] == ["四议两公开", "头雁工程", "三色预警"]


def test_practices_search_lists_the_places_that_use_it(seed_kb):
    [practice, *_] = list_practices(seed_kb.conn, "四议两公开")
    assert practice.name == "四议两公开"
    assert {u.doc[:3] for u in practice.uses} == {"002", "003", "004"}
    assert "台头村" in practice.places and "开平市" in practice.places
    everything = list_practices(seed_kb.conn)
    assert {"三色预警", "四能一创", "5人小分队", "头雁工程", "积分超市"} <= {p.name for p in everything}


def test_draft_paragraphs_get_suggestions_and_headings_do_not(retriever):
    paragraphs = suggest_citations(retriever, DRAFT)
    by_text = {p.text: p for p in paragraphs}
    assert by_text["一、减轻基层负担"].suggestions == []
    clearing = next(p for p in paragraphs if p.text.startswith("我县全面推行村级事务准入"))
    assert clearing.accepted == [0] and clearing.suggestions[0].source_line.startswith("（来源：")
    assert any("准入" in s.passage for s in clearing.suggestions)
    without = suggest_citations(retriever, DRAFT, exclude_place="思南县")
    assert all(s.place != "思南县" for p in without for s in p.suggestions)


def test_draft_exports_to_word_and_markdown_with_references(retriever, tmp_path):
    paragraphs = suggest_citations(retriever, DRAFT)
    report = draft_report("汇报", paragraphs)
    write(report, tmp_path / "draft.docx")
    write(report, tmp_path / "draft.md")
    word = WordDocument(str(tmp_path / "draft.docx"))
    texts = [p.text for p in word.paragraphs]
    assert "参考资料" in texts
    cited = next(p for p in word.paragraphs if p.text.startswith("我县全面推行村级事务准入"))
    marker = [r for r in cited.runs if r.text.startswith("[")]
    assert marker and marker[0].font.superscript
    references = [t for t in texts if t.startswith("[1] （来源：")]
    assert len(references) == 1
    markdown = (tmp_path / "draft.md").read_text(encoding="utf-8")
    assert "## 参考资料" in markdown and "1. （来源：" in markdown


def test_answer_and_similar_export(retriever, seed_kb, tmp_path):

    from qa.answer.answerer import Answerer
    from qa.settings import Settings

    answer = Answerer(retriever, Settings()).ask("思南县完成了多少支驻村工作队选派？")
    markdown = to_markdown(answer_report(answer))
    assert "301支" in markdown and answer.citations[0].source_line in markdown
    # the words that answer are bold in both exports, as on the page
    assert answer.short_answer == "301支" and "**301支**" in markdown
    write(answer_report(answer), tmp_path / "a.docx")
    runs = [r for p in WordDocument(str(tmp_path / "a.docx")).paragraphs for r in p.runs]
    assert [r.text for r in runs if r.bold] == ["301支"]
    write(similar_report(CLEARING_PARAGRAPH, find_similar(retriever, CLEARING_PARAGRAPH)), tmp_path / "s.docx")
    headings = [p.text for p in WordDocument(str(tmp_path / "s.docx")).paragraphs if p.style.name == "Heading 1"]
    assert "思南县（贵州省）" in headings and "参考资料" in headings


def test_word_exports_follow_the_gongwen_layout(retriever, tmp_path):
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.oxml.ns import qn
    from docx.shared import Pt

    from qa.answer.drafts import suggest_citations
    from qa.answer.export import draft_report

    draft = "关于推进村级事务减负的情况汇报\n" + CLEARING_PARAGRAPH
    paragraphs = suggest_citations(retriever, draft)
    for paragraph in paragraphs:
        paragraph.accepted = [0] if paragraph.suggestions else []
    write(draft_report("稿件（附引用）", paragraphs), tmp_path / "稿件.docx")
    doc = WordDocument(str(tmp_path / "稿件.docx"))
    section = doc.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)  # A4
    margins = (section.top_margin, section.bottom_margin, section.left_margin, section.right_margin)
    assert [round(m.mm) for m in margins] == [37, 35, 28, 26]
    east_asian = lambda run: run._r.rPr.rFonts.get(qn("w:eastAsia"))  # noqa: E731
    title, body = doc.paragraphs[0], doc.paragraphs[1]
    assert title.text == "关于推进村级事务减负的情况汇报"  # the draft's own title kept, not a generic one
    assert title.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert east_asian(title.runs[0]) == "方正小标宋简体" and title.runs[0].font.size == Pt(22)
    assert east_asian(body.runs[0]) == "仿宋_GB2312" and body.runs[0].font.size == Pt(16)
    layout = body.paragraph_format
    assert layout.line_spacing_rule == WD_LINE_SPACING.EXACTLY and layout.line_spacing == Pt(28)
    assert layout.first_line_indent == Pt(32)  # two characters of 三号
    assert not any(r.font.italic for p in doc.paragraphs for r in p.runs)
    assert "w:pBdr" not in doc.styles["Title"].element.xml  # no blue rule under the title
    texts = [p.text for p in doc.paragraphs]
    references = texts[texts.index("参考资料") + 1 :]
    assert references and all(re.match(r"\[\d+\] （来源：", r) for r in references)
    footer = section.footer.paragraphs[0]
    assert footer.text.startswith("— ") and footer.text.endswith(" —") and "PAGE" in footer._p.xml
    assert east_asian(footer.runs[0]) == "宋体" and footer.runs[0].font.size == Pt(14)


def test_similar_practices_and_cite_commands(seed_kb, tmp_path):
    index_dir = seed_kb.folder.parent
    data = json.loads(qa("similar", "--text", CLEARING_PARAGRAPH, "--json", index_dir=index_dir).stdout)
    group = data["groups"][0]
    assert set(group) == {"place", "province", "hits"}
    assert set(group["hits"][0]) == {"doc", "title", "section", "text", "start", "end", "score"}
    practices = json.loads(qa("practices", "--search", "四议两公开", "--json", index_dir=index_dir).stdout)
    assert practices[0]["name"] == "四议两公开" and len(practices[0]["places"]) == 3
    draft = tmp_path / "汇报.txt"
    draft.write_bytes(DRAFT.encode("gbk"))  # drafts come in any encoding
    out = tmp_path / "汇报_引用.docx"
    proc = qa("cite", str(draft), "-o", str(out), "--exclude-place", "思南县", index_dir=index_dir)
    assert "（来源：" in proc.stdout and out.exists()
    assert any(p.text == "参考资料" for p in WordDocument(str(out)).paragraphs)
    assert Path(out).stat().st_size > 0
