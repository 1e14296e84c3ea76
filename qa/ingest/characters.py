"""Look-alike characters that PDFs put in place of ordinary ones, mapped back.

Fonts in PDFs made by common office suites map some glyphs to the Kangxi Radicals block (⼀ ⾏ ⽤ for
一 行 用), the CJK Radicals Supplement (⺠ ⻝ ⻓ for 民 食 长) or the CJK Compatibility Ideographs, so
text extracted from them — or copied out of them — does not match what a user types: "一户一档" is not
found in "⼀⼾⼀档". Exactly these three blocks (and the compatibility supplement) are mapped; every
other character, full-width punctuation included, stays as written.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

# Where Unicode's own decomposition gives a form mainland text does not use, or gives none (the
# Radicals Supplement has almost no decompositions): the character a simplified-Chinese document means.
# Components that are no character of their own (⺮ bamboo top, ⺍) are left as they are.
_RADICAL_TO_CHARACTER = {
    "⼾": "户",  # Kangxi U+2F3E decomposes to 戶 (U+6236)
    "⾭": "青",  # Kangxi U+2FAD decomposes to 靑 (U+9751)
    "⺁": "厂",
    "⺅": "亻",
    "⺊": "卜",
    "⺐": "尢",
    "⺒": "巳",
    "⺓": "幺",
    "⺖": "忄",
    "⺘": "扌",
    "⺙": "攵",
    "⺝": "月",
    "⺠": "民",
    "⺡": "氵",
    "⺣": "灬",
    "⺤": "爫",
    "⺧": "牜",
    "⺨": "犭",
    "⺩": "王",
    "⺪": "疋",
    "⺫": "罒",
    "⺬": "示",
    "⺭": "礻",
    "⺯": "糸",
    "⺰": "纟",
    "⺱": "罓",
    "⺲": "罒",
    "⺹": "耂",
    "⺺": "肀",
    "⺻": "聿",
    "⺼": "月",
    "⺽": "臼",
    "⺾": "艹",
    "⺿": "艹",
    "⻀": "艹",
    "⻁": "虎",
    "⻂": "衤",
    "⻃": "覀",
    "⻄": "西",
    "⻅": "见",
    "⻆": "角",
    "⻈": "讠",
    "⻉": "贝",
    "⻋": "车",
    "⻌": "辶",
    "⻍": "辶",
    "⻎": "辶",
    "⻏": "阝",
    "⻐": "钅",
    "⻑": "長",
    "⻒": "镸",
    "⻓": "长",
    "⻔": "门",
    "⻖": "阝",
    "⻗": "雨",
    "⻘": "青",
    "⻙": "韦",
    "⻚": "页",
    "⻛": "风",
    "⻜": "飞",
    "⻝": "食",
    "⻟": "飠",
    "⻠": "饣",
    "⻢": "马",
    "⻣": "骨",
    "⻤": "鬼",
    "⻥": "鱼",
    "⻦": "鸟",
    "⻧": "卤",
    "⻨": "麦",
    "⻩": "黄",
    "⻪": "黾",
    "⻬": "齐",
    "⻮": "齿",
    "⻰": "龙",
    "⻱": "龜",
    "⻳": "龟",
}
_BLOCKS = (
    (0x2E80, 0x2EFF),  # CJK Radicals Supplement
    (0x2F00, 0x2FDF),  # Kangxi Radicals
    (0xF900, 0xFAFF),  # CJK Compatibility Ideographs
    (0x2F800, 0x2FA1F),  # CJK Compatibility Ideographs Supplement
)


@lru_cache(maxsize=1)
def _table() -> dict[int, str]:
    table: dict[int, str] = {}
    for first, last in _BLOCKS:
        for code in range(first, last + 1):
            char = chr(code)
            target = _RADICAL_TO_CHARACTER.get(char) or unicodedata.normalize("NFKC", char)
            if target != char and len(target) == 1:
                table[code] = target
    return table


def ordinary_characters(text: str) -> str:
    """The text with radical and compatibility look-alikes replaced by the ordinary characters."""
    return text.translate(_table())
