"""Normalise raw text into clean paragraph lines.

Only whitespace and whole lines are touched: no character inside a paragraph is
changed (full-width and half-width punctuation stay as the author wrote them),
so every sentence a user quotes is found verbatim in the source.
"""

from __future__ import annotations

import re

GAP = ""  # marks two or more blank lines in the source: a hard boundary on a newspaper page

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_SPACES = re.compile(r"[ \t\u00a0\u3000\u2002\u2003\u2009\u202f]+")
_NOISE = re.compile(
    r"^(?:相关附件|附件|附件下载|相关链接|相关阅读|相关新闻|分享到|扫一扫|打印本页|关闭窗口|"
    r"【?字体[:：].{0,12}】?|责任编辑[:：].{0,12}|编辑[:：].{0,8}|来源[:：].{0,30}|"
    r"发布时间[:：].{0,30}|浏览次数[:：].{0,10}|点击[数量]?[:：]?\d*|上一篇.*|下一篇.*|返回顶部)"
    r"\s*[:：]?\s*$"
)
# A line ending in one of these is complete; anything else may be a line broken mid-sentence.
_COMPLETE_END = tuple("。！？；…”’」』）)】：:.!?;")
_BROKEN_MIN_CHARS = 50  # titles and headings are shorter; broken body lines are long
_STARTS_NEW_BLOCK = re.compile(
    r"^(?:[一二三四五六七八九十]+[、是]|[（(][一二三四五六七八九十\d]+[）)]|\d+[.、．]|第[一二三四五六七八九十]+|本报讯|本报记者)"
)


def clean_lines(raw: str) -> list[str]:
    """Return paragraph lines; ``GAP`` entries mark runs of 2+ blank lines."""
    raw = raw.translate(_INVISIBLE).replace("\r\n", "\n").replace("\r", "\n")
    lines: list[str] = []
    blank_run = 0
    for line in raw.split("\n"):
        line = _SPACES.sub(" ", line).strip()
        if not line:
            blank_run += 1
            continue
        if blank_run >= 2 and lines and lines[-1] != GAP:
            lines.append(GAP)
        blank_run = 0
        if _NOISE.match(line):
            continue
        lines.append(line)
    while lines and lines[-1] == GAP:
        lines.pop()
    lines = _drop_web_snippet(lines)
    lines = _drop_repeated_lines(lines)
    return _merge_broken_lines(lines)


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _drop_web_snippet(lines: list[str]) -> list[str]:
    """Drop a leading search-result stub ("标题正文开头...") that repeats the text below."""
    if len(lines) < 2:
        return lines
    first = lines[0]
    stub = re.sub(r"(?:\.{3,}|…+)$", "", first)
    if stub == first:
        return lines
    following = _squash("".join(lines[1:6]))
    if len(stub) >= 10 and following.startswith(_squash(stub)):
        return lines[1:]
    return lines


def _drop_repeated_lines(lines: list[str]) -> list[str]:
    """A title repeated on the next line (a common copy-paste artefact) is kept once."""
    out: list[str] = []
    for line in lines:
        if out and line != GAP and line == out[-1]:
            continue
        out.append(line)
    return out


def _merge_broken_lines(lines: list[str]) -> list[str]:
    """Join a long line that stops mid-sentence with the line that continues it."""
    out: list[str] = []
    for line in lines:
        if (
            out
            and line != GAP
            and out[-1] != GAP
            and len(out[-1]) >= _BROKEN_MIN_CHARS
            and not out[-1].endswith(_COMPLETE_END)
            and not _STARTS_NEW_BLOCK.match(line)
        ):
            joiner = " " if out[-1][-1].isascii() and line[0].isascii() and out[-1][-1].isalnum() else ""
            out[-1] = out[-1] + joiner + line
        else:
            out.append(line)
    return out
