"""Named practices: the quoted mechanism names of experience reports (“四议两公开”, “三色预警”,
“5人小分队”, “头雁”工程) as found at ingest.

A quoted term counts as a practice name when it holds a number word (四能一创, 2+1) or ends like
a mechanism (…工程, …模式, …工作法, …超市); a quote directly followed by such a word takes it
along (“头雁”工程 → 头雁工程). Rhetoric in quotes (“压舱石”, “蓄水池”) and institutions
(“两委”) are not practices. Names are found at ingest and stored with the chunk that first
uses them in each article, which is usually where the report explains them.
Listing them with the places that use them is a query: ``qa.index.catalog.list_practices``.
"""

from __future__ import annotations

import re

_SUFFIX = (
    "工程|行动|模式|机制|工作法|法|制度|计划|品牌|超市|银行|积分|之家|驿站|学堂|课堂|书院|中心|平台|联盟|"
    "小分队|服务队|队|班|站|网格|员|专员|优品|说事|共生|清单|预警|督战|帮带|议事会|理事会|会|团|链|工"
)
_QUOTE = re.compile(r"“([^”“，。；！？\n]{2,15})”(工程|行动|模式|机制|工作法|制度|计划|品牌)?")
_NUMBER_WORD = re.compile(r"[0-9一二三四五六七八九十两百千万+＋]")
_MECHANISM_END = re.compile(rf"(?:{_SUFFIX})$")
NOT_PRACTICES = {"两委", "村两委", "两代表一委员"}
_HONOUR = re.compile(r"^第.批|示范[村乡镇县]$|奖$|称号$")  # titles won, not practices


def extract_practices(text: str) -> list[tuple[str, int, int]]:
    """(name, start, end) of each practice name quoted in the text, in order.

    A word after the quote joins the name only when the quote alone is not a name:
    “头雁”工程 → 头雁工程, but “四议两公开”制度 → 四议两公开.
    """
    found = []
    for m in _QUOTE.finditer(text):
        quoted, suffix = m.group(1), m.group(2) or ""
        for name in (quoted, quoted + suffix) if suffix else (quoted,):
            if _is_practice_name(name):
                found.append((name, m.start(), m.end()))
                break
    return found


def _is_practice_name(name: str) -> bool:
    if "、" in name or name in NOT_PRACTICES or _HONOUR.search(name):
        return False
    if not re.search(r"[\u4e00-\u9fff]", name) and "+" not in name:  # a bare figure (“133”)
        return False
    if len(name) > 13 and "+" not in name:  # a quoted sentence, not a name
        return False
    return bool(_NUMBER_WORD.search(name) or _MECHANISM_END.search(name))
