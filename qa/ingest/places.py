"""Find the place an article is about: the most specific named administrative unit.

Experience reports name their place in the title kicker ("思南:…", "德江台头村") or
in the opening sentence ("近年来,德江县平原镇台头村…"), as a chain from county
down to village. A masked name ("**州", "我市", "全县") means the author hid it:
the place stays unknown rather than being guessed from a later mention.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

_CJK = "\u4e00-\u9fff"
# Words that follow a place name but end in a place suffix themselves ("乡村振兴", "市委"), and common
# words that end like one ("革命老区", "城乡", "家乡", "神州", "超市") but name no place.
_COUNTY = rf"[{_CJK}]{{2,4}}?(?:(?<![超门城集夜股])市(?![场委直级民])|县(?![委级域])|(?<![老城景园矿牧社])区(?![域别块委])|(?<![神九])州(?![委])|旗)|[{_CJK}]{{2,8}}?自治[县州旗]"
_PROVINCE = rf"(?:[{_CJK}]{{2,3}}省|[{_CJK}]{{2,8}}?自治区)"
_TOWN = rf"[{_CJK}]{{2,4}}?(?:[{_CJK}]{{1,3}}族)?(?:街道|镇(?![委级域])|(?<![水家城故])乡(?![村镇贤土风亲情愁]))"
_VILLAGE = rf"[{_CJK}]{{2,4}}?(?:社区(?![工服治党])|(?<![乡农])村(?![民级集党干庄组寨务规委落容貌两]))"
_CHAIN = re.compile(
    rf"(?:(?<![{_CJK}])|(?<=年来)|(?<=以来)|(?<=目前))"
    rf"(?P<province>{_PROVINCE})?(?P<county>(?:{_COUNTY}){{1,2}})?(?P<town>{_TOWN})?(?P<village>{_VILLAGE})?"
)
_MASKED = re.compile(r"(?:\*+|[我本全该])(?:省|市|州|县|区|镇|乡|街道|村|社区)")
_LEVELS = ("village", "town", "county", "province")


def extract_place(lead: str, kicker: str | None = None) -> str | None:
    """The most specific place named at the start of ``lead``; ``kicker`` decides between several."""
    masked = _MASKED.search(lead)
    chains = [m for m in _CHAIN.finditer(lead) if m.group(0)]
    if kicker:
        short = re.sub(r"[:：\s]", "", kicker)
        for m in chains:
            for name in _names(m):
                if short and (short.startswith(name[:2]) or name[:2] in short):
                    return _most_specific(m)
    if not chains:
        return None
    first = chains[0]
    if masked and masked.start() < first.start():
        return None
    return _most_specific(first)


# "这个村", "哪个社区", "每个乡镇", "几个村": shaped like a place, naming none (全椒县 and 本溪市 do)
_POINTING = re.compile(r"^(?:这|那|哪|每|各|某|该|几|两|[一二三四五六七八九十]+)个|^(?:别的|其他|其它)")


def named_places(text: str) -> list[str]:
    """The most specific place of each place-name chain in the text ("九龙镇", "十八洞村"), in order."""
    chains = (_most_specific(m) for m in _CHAIN.finditer(text) if m.group(0))
    return [name for name in chains if name and not _POINTING.match(name)]


def _names(m: re.Match[str]) -> list[str]:
    return [m.group(level) for level in _LEVELS if m.group(level)]


# A question word inside a name means the pattern ran over a question: "仙林街道怎么化解社区矛盾？" holds
# 仙林街道, not a 社区 called 怎么化解社区
_ASKING = re.compile(r"怎么|怎样|如何|什么|哪|谁|为何")


def _most_specific(m: re.Match[str]) -> str | None:
    for level in _LEVELS:
        name = m.group(level)
        if name and not _ASKING.search(name):
            if level == "county":
                # "松桃苗族自治县" may be preceded by its city in the same group; keep the last unit
                units = re.findall(_COUNTY, name)
                return units[-1] if units else name
            return name
    return None


# ------------------------------------------------------------------ administrative divisions

DIVISIONS = Path(__file__).parent.parent / "data" / "divisions.tsv"
_UNNAMED = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}


@dataclass(frozen=True)
class Region:
    """Where a place sits: province, city and county names (None where unknown)."""

    province: str | None = None
    city: str | None = None
    county: str | None = None


@lru_cache(maxsize=1)
def _divisions() -> tuple[dict[str, str], dict[str, list[str]], re.Pattern[str]]:
    """code → name, name → codes, and a pattern finding any name of three characters or more."""
    names: dict[str, str] = {}
    codes: dict[str, list[str]] = {}
    for line in DIVISIONS.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            code, name = line.split("\t")
            names[code] = name
            if name not in _UNNAMED:
                codes.setdefault(name, []).append(code)
    # two-character names (城区, 郊区) are ordinary words in running text
    scannable = sorted((n for n in codes if len(n) >= 3), key=len, reverse=True)
    return names, codes, re.compile("|".join(map(re.escape, scannable)))


def divisions_named(text: str) -> list[str]:
    """The county-, city- and province-level division names in the text (three characters or more), in order."""
    return list(dict.fromkeys(m.group() for m in _divisions()[2].finditer(text)))


def short_name(name: str) -> str:
    """The name without its level ("清远市" → "清远"), as text often writes it; two-character names stay."""
    return name[:-1] if len(name) >= 3 and name[-1] in "省市县区旗州镇乡村" else name


def resolve_place(place: str | None, context: str) -> Region:
    """Province, city and county of ``place``, using the division names in ``context`` (the article).

    A county-level place is looked up directly; a town or village takes the county named right
    before it in the text ("乌当区偏坡布依族乡"), else the county the article names most. Where a
    name is shared by several divisions (朝阳区), the other names in the text decide; if they do
    not, the region stays unknown rather than guessed. An unknown place resolves to nothing.
    """
    if not place:
        return Region()
    names, codes, pattern = _divisions()
    matches = list(pattern.finditer(context))
    mentioned = [m.group() for m in matches]
    if place in codes:
        code = _disambiguate(codes[place], mentioned, codes)
    else:
        at = context.find(place)
        # the division named last before the place, at most a town name away ("德江县平原镇台头村")
        before = [m.group() for m in matches if at >= 0 and m.end() <= at and at - m.end() <= 8]
        counties = [n for n in mentioned if any(_level(c) == "county" for c in codes[n])]
        if before:
            anchor = before[-1]
        elif counties:
            anchor = max(counties, key=counties.count)
        else:
            return Region()
        code = _disambiguate(codes[anchor], mentioned, codes)
    if code is None:
        return Region()
    return _region(code, names)


def _level(code: str) -> str:
    if code[2:] == "0" * 10:
        return "province"
    if code[4:] == "0" * 8:
        return "city"
    return "county"


def _disambiguate(candidates: list[str], mentioned: list[str], codes: dict[str, list[str]]) -> str | None:
    if len(candidates) == 1:
        return candidates[0]
    # keep the candidates whose province or city is also named in the text
    prefixes = {code[:4] for name in mentioned for code in codes[name] if _level(code) == "city"}
    prefixes |= {code[:2] for name in mentioned for code in codes[name] if _level(code) == "province"}
    supported = [c for c in candidates if c[:4] in prefixes or c[:2] in prefixes]
    return supported[0] if len(supported) == 1 else None


def _region(code: str, names: dict[str, str]) -> Region:
    province = names.get(code[:2] + "0" * 10)
    city = names.get(code[:4] + "0" * 8) if _level(code) != "province" else None
    county = names[code] if _level(code) == "county" else None
    if city in _UNNAMED:
        city = None
    if province and city == province:  # municipalities: 北京市 → 北京市
        city = None
    return Region(province, city, county)
