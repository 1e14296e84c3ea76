"""Find the place an article is about: the most specific named administrative unit.

Experience reports name their place in the title kicker ("思南:…", "德江台头村") or
in the opening sentence ("近年来,德江县平原镇台头村…"), as a chain from county
down to village. A masked name ("**州", "我市", "全县") means the author hid it:
the place stays unknown rather than being guessed from a later mention.
"""

from __future__ import annotations

import re

_CJK = "\u4e00-\u9fff"
# Words that follow a place name but end in a place suffix themselves ("乡村振兴", "市委").
_COUNTY = rf"[{_CJK}]{{2,4}}?(?:市(?![场委直级民])|县(?![委级域])|区(?![域别块委])|州(?![委])|旗)|[{_CJK}]{{2,8}}?自治[县州旗]"
_PROVINCE = rf"(?:[{_CJK}]{{2,3}}省|[{_CJK}]{{2,8}}?自治区)"
_TOWN = rf"[{_CJK}]{{2,4}}?(?:[{_CJK}]{{1,3}}族)?(?:街道|镇(?![委级域])|乡(?![村镇贤土风亲情愁]))"
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


def _names(m: re.Match[str]) -> list[str]:
    return [m.group(level) for level in _LEVELS if m.group(level)]


def _most_specific(m: re.Match[str]) -> str | None:
    for level in _LEVELS:
        name = m.group(level)
        if name:
            if level == "county":
                # "松桃苗族自治县" may be preceded by its city in the same group; keep the last unit
                units = re.findall(_COUNTY, name)
                return units[-1] if units else name
            return name
    return None
