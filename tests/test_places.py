"""Places resolved to province / city / county from the bundled division table."""

from __future__ import annotations

from qa.ingest.places import Region, extract_place, resolve_place


def test_county_level_places_resolve_directly():
    assert resolve_place("开平市", "开平市认真贯彻落实") == Region("广东省", "江门市", "开平市")
    assert resolve_place("思南县", "思南县抓实农村党建") == Region("贵州省", "铜仁市", "思南县")


def test_a_town_takes_the_county_named_before_it():
    text = "近年来，贵阳市乌当区偏坡布依族乡坚持党建引领"
    assert resolve_place("偏坡布依族乡", text) == Region("贵州省", "贵阳市", "乌当区")
    assert resolve_place("台头村", "近年来，德江县平原镇台头村…") == Region("贵州省", "铜仁市", "德江县")


def test_shared_names_are_decided_by_the_text_or_left_unknown():
    assert resolve_place("朝阳区", "朝阳区推进社区治理") == Region()  # Beijing and Changchun both have one
    assert resolve_place("朝阳区", "北京市朝阳区推进社区治理") == Region("北京市", None, "朝阳区")
    assert resolve_place("朝阳区", "吉林省长春市朝阳区推进社区治理") == Region("吉林省", "长春市", "朝阳区")


def test_unknown_or_masked_places_stay_unknown():
    assert resolve_place(None, "我市坚持健全党的领导体系") == Region()
    assert resolve_place("幸福村", "幸福村的做法") == Region()  # no county named anywhere


def test_a_community_is_not_a_district():
    # 社区 ends in 区 but is a neighbourhood, not a county-level 区: "…“总管”的社区带头人" names no place
    lead = "被居民亲切称为小巷“总管”的社区带头人——吉林省长春市宽城区团山街道长山花园社区第一书记吴亚琴。"
    assert extract_place(lead) == "长春市"
    assert extract_place("浦东新区推进基层治理") == "浦东新区"
