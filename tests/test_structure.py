"""Cleaning, article splitting, headings and chunks, checked on the seed reports."""

from __future__ import annotations

import re

import pytest

from qa.ingest.clean import GAP, clean_lines
from qa.ingest.pipeline import parse_file, parse_text
from qa.ingest.structure import HEADING_CN
from qa.settings import ChunkingSettings, Settings

from .conftest import SEEDS


def seed(prefix: str):
    path = next(SEEDS.glob(f"{prefix}_*.txt"))
    return parse_file(path, Settings())


ALL_SEEDS = ["000", "001", "002", "003", "004"]


def test_newspaper_page_splits_into_five_articles():
    doc = seed("004")
    got = [(a.title, a.author, a.place) for a in doc.articles]
    assert got == [
        ("抓实农村党建 赋能乡村振兴", "杨铭", "思南县"),
        ("建强指导员队伍提升新兴领域党建质量", "莫利群", "万山区"),
        ("沿河土家族自治县新景镇姚溪贡茶园正式开启2026年春茶采摘", "张珣 摄", "新景镇"),
        ("“四领模式”发展壮大村级集体经济", "德轩", "台头村"),
        ("“四心”聚力强队伍 激活治理新动能", "黄小雷", "蓼皋街道"),
    ]


def test_single_report_metadata():
    assert seed("001").articles[0].title == "坚持党建引领打造乡村振兴“偏坡样板”"
    assert seed("001").articles[0].place == "偏坡布依族乡"
    assert seed("002").articles[0].title == "关于党建引领乡村振兴的经验材料"
    assert seed("003").articles[0].place == "开平市"


@pytest.mark.parametrize("prefix", ["000", "002"])
def test_masked_places_stay_unknown(prefix):
    # "我市" and "**州": the author hid the place; never guess it from a later mention
    assert seed(prefix).articles[0].place is None


def test_chunk_with_5_posts_20_grades_sits_under_its_section():
    article = seed("004").articles[4]
    [chunk] = [c for c in article.chunks if "5岗20级" in c.text]
    assert chunk.section[0] == "“四心”聚力强队伍 激活治理新动能"
    assert "真心留" in chunk.section[1]
    assert chunk.section[2] == "强化待遇保障,薪酬提升有质感"


def test_chunk_with_named_practice_carries_slogan_heading():
    [chunk] = [c for a in seed("001").articles for c in a.chunks if "四能一创" in c.text and c.kind == "point"]
    assert chunk.section[1] == "聚焦组织强引领，注入乡村振兴“红色动能”"
    assert chunk.section[2] == "探索支部“四能一创”工作法"


def test_points_become_their_own_chunks():
    chunks = seed("000").articles[0].chunks
    assert sum(c.kind == "point" for c in chunks) >= 12
    assert any(c.text.startswith("二是部门协同推进") for c in chunks)
    assert [c.section[-1] for c in chunks if "“三色预警”" in c.text] == ["专班专责推进"]


def test_heading_sentence_that_opens_a_paragraph():
    chunk = seed("000").articles[0].chunks[1]
    assert chunk.text.startswith("一、健全党的领导体系，扛牢政治责任。一是党委统筹推进。")
    assert chunk.section[1:] == ["健全党的领导体系，扛牢政治责任", "党委统筹推进"]


def test_paragraph_lead_phrase_names_section_in_unheaded_report():
    article = seed("004").articles[0]
    assert any(c.section[-1] == "精准培育村级骨干" for c in article.chunks)


@pytest.mark.parametrize("prefix", ALL_SEEDS)
def test_offsets_reproduce_text_exactly(prefix):
    for article in seed(prefix).articles:
        for chunk in article.chunks:
            assert article.text[chunk.start : chunk.end] == chunk.text
            assert chunk.text.strip() == chunk.text and chunk.text


@pytest.mark.parametrize("prefix", ALL_SEEDS)
def test_no_chunk_crosses_a_top_level_section(prefix):
    for article in seed(prefix).articles:
        top_headings = [m.start() for m in re.finditer(r"(?m)^[一二三四五六七八九十]{1,3}、", article.text)]
        for chunk in (c for c in article.chunks if c.kind != "caption"):
            inner = [s for s in top_headings if chunk.start < s < chunk.end]
            assert not inner, f"chunk crosses a top-level heading: {chunk.text[:40]}"
            # top-level section named in the path matches the nearest heading before the chunk
            before = [s for s in top_headings if s <= chunk.start]
            if before and HEADING_CN.match(article.text[before[-1] :]):
                line = article.text[before[-1] :].split("\n", 1)[0]
                assert chunk.section[1] and chunk.section[1] in line


@pytest.mark.parametrize("prefix", ALL_SEEDS)
def test_no_chunk_crosses_an_article(prefix):
    doc = seed(prefix)
    for article in doc.articles:
        for other in doc.articles:
            if other is not article:
                for chunk in article.chunks:
                    assert other.title not in chunk.text


def test_lines_broken_mid_sentence_are_joined():
    text = "\n".join(a.text for a in seed("004").articles)
    assert "优化调整党组织书记38人" in text
    assert "健全激励监督体系" in text
    assert "与贵州大学等高校院所" in text


def test_duplicated_title_snippet_and_noise_lines_are_dropped():
    assert seed("002").articles[0].text.count("关于党建引领乡村振兴的经验材料") == 0
    text_001 = seed("001").articles[0].text
    assert "..." not in text_001 and text_001.startswith("乌当区偏坡布依族乡位于贵阳市东北面")
    assert "相关附件" not in seed("003").articles[0].text


def test_captions_at_end_are_their_own_chunk():
    chunks = seed("003").articles[0].chunks
    assert chunks[-1].kind == "caption" and "红色示范村百合镇茅冈村" in chunks[-1].text
    assert chunks[-1].section == [seed("003").articles[0].title]


def test_clean_keeps_characters_and_marks_gaps():
    lines = clean_lines("标题\u3000一\r\n\r\n\r\n\r\n第二段，含半角,逗号。\ufeff")
    assert lines == ["标题 一", GAP, "第二段，含半角,逗号。"]


def test_long_points_split_at_sentence_ends_and_tiny_ones_merge():
    from qa.ingest.chunking import chunk_article
    from qa.ingest.structure import split_articles

    body = (
        "一、总体情况\n" + "一是" + "推进乡村治理现代化工作。" * 60 + "二是短。\n三是再说明一项措施的具体内容和成效。"
    )
    [article] = split_articles(clean_lines("测试标题\n" + body))
    chunks = chunk_article(article, min_chars=60, max_chars=300)
    assert all(len(c.text) <= 300 for c in chunks)
    assert all(c.text.endswith("。") for c in chunks)
    assert not any(c.text == "二是短。" for c in chunks)


def test_web_markup_is_dropped_and_masked_names_are_kept():
    from qa.ingest.clean import clean_lines

    copied = (
        "【新春走基层】西海固的新农人 长标题没有任何逗号所以它不是一行被截断的正文而是标题本身\n\n"
        "<!--repaste.body.begin-->**央视网消息**（新闻联播）：宁夏西吉县的土豆迎来热销。\n"
        "**马亮：回乡卖土豆**\n"
        "[查看原文](https://tv.cctv.com/x.shtml)\n"
        "详见[报道](https://example.com/a)。<!--repaste.body.end-->"
    )
    assert clean_lines(copied) == [
        "【新春走基层】西海固的新农人 长标题没有任何逗号所以它不是一行被截断的正文而是标题本身",
        "宁夏西吉县的土豆迎来热销。",
        "马亮：回乡卖土豆",
        "详见报道。",
    ]
    # plain text with no web markup: "**社区" is a masked place name and stays as written
    assert clean_lines("**社区打造红色组织，**村打造集生态环境。") == ["**社区打造红色组织，**村打造集生态环境。"]


def test_narrative_openings_are_not_headings_and_column_tags_are_not_places():
    text = (
        "【再访脱贫村 振兴气象新】强化人才支撑\n"
        "几十年来，赵亚夫走遍了茅山革命老区，常年做农技服务。2001年退休后，他又来到戴庄村。\n"
        "产业促进乡村发展。福建古田把零散的小菇棚改造成标准化菇棚。\n"
        "庙荒村背靠太行山，红旗渠穿村而过。党的十八大以来，庙荒村基础设施不断完善，发展起乡村旅游。\n"
    )
    [article] = parse_text(text, Settings().chunking)
    assert article.place != "再访脱贫村"
    headings = [c.section[1:] for c in article.chunks]
    assert ["产业促进乡村发展"] in headings
    assert not any(h and h[0].startswith("几十年来") for h in headings)
    # a sentence whose subject is a place describes it; headings name what was done
    assert not any(h and h[-1].startswith("庙荒村") for h in headings)


def test_a_short_paragraph_that_ends_a_sentence_is_text_not_a_heading():
    """News runs one-sentence paragraphs; taken for headings, they left every passage's text."""
    text = (
        "安徽：追梦不止的大湾村\n"
        "地处大别山革命老区腹地的安徽金寨县大湾村，在乡村振兴的新征程上谋划新发展。\n"
        "大湾村现在有50多户人家开了民宿、农家乐，现在面临的最大问题就是软硬件需要升级。\n"
        "升级乡村旅游，这一点大家非常坚定。村里请来专业团队一家家把脉问诊，把问题一一梳理出来。\n"
        "聚焦产业发展\n"
        "村里综合大家的意见，拿出了分类实施方案。\n"
    )
    [article] = parse_text(text, Settings().chunking)
    passages = "".join(c.text for c in article.chunks)
    assert "50多户人家开了民宿" in passages
    assert not any("50多户" in heading for c in article.chunks for heading in c.section)
    assert "聚焦产业发展" in [c.section[-1] for c in article.chunks]  # an own-line heading still is one


def test_a_paragraph_without_an_opening_phrase_is_not_filed_under_the_one_before():
    """In a report without headings each paragraph's opening phrase names it; a paragraph opening with a
    long clause has no name of its own, and the previous paragraph's would mislabel it and lend it words."""
    text = (
        "甘肃积石山：肖红坪村年味浓\n"
        "积石山6.2级地震发生后，甘肃省积石山县的58000多名受灾群众搬进了活动板房。\n"
        "肖红坪村是这次地震的重灾村之一，全村569户村民目前有379户1800多人住在集中安置点。\n"
        "孩子们的舞蹈整齐划一、年轻人的表演活力四射、老人们唱的秧歌小调有滋有味，彩排节目逐一登场。\n"
    )
    [article] = parse_text(text, ChunkingSettings(min_chars=20))
    sections = {c.text[:6]: c.section[1:] for c in article.chunks}
    assert sections["肖红坪村是这"] == ["肖红坪村是这次地震的重灾村之一"]
    assert sections["孩子们的舞蹈"] == []


def test_a_heading_that_repeats_the_one_before_is_shown_once():
    from qa.text import section_path

    assert (
        section_path(["积分超市", "一、明确积分标准", "一是明确积分标准", "明确积分标准"])
        == "一、明确积分标准 > 一是明确积分标准"
    )
    assert section_path(["积分超市"]) == "导语" and section_path(["积分超市"], lead="") == ""
