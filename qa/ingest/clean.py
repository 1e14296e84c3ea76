"""Normalise raw text into clean paragraph lines.

Whitespace, whole noise lines and web markup are touched, nothing else: HTML comments, Markdown
emphasis, link targets and heading marks, and a news agency's dateline ("央视网消息（新闻联播）：") are not
the author's words and are dropped; every other character stays as written (full-width and half-width
punctuation included), so every sentence a user quotes is found verbatim in the source as a reader sees it.
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
# Markup of text copied from web pages and Markdown files: removed, the words it wraps kept.
_HTML_COMMENT = re.compile(r"<!--.*?-->")
_ENTITY = re.compile(r"\\?&#x?[0-9A-Fa-f]{1,6};")
_LINK_LINE = re.compile(r"^(?:\[[^\]]*\]\([^)]*\)\s*)+$")  # a line that is only links ("[查看原文](…)")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
# bold marks, in text that shows other Markdown or web markup: elsewhere "**社区" is a masked name and stays
_EMPHASIS = re.compile(r"\*{4,}|\*\*([^*\n]+?)\*\*")
_MARKED_UP = re.compile(r"<!--|\]\(https?://|^#{1,6} ", re.M)
_HEADING_MARK = re.compile(r"^#{1,6}\s+")
# "央视网消息（新闻联播）：", "新华社北京3月5日电：": who reported it, not what was reported
_DATELINE = re.compile(r"^[\u4e00-\u9fff]{1,8}(?:消息|电)[（(][^）)]{1,20}[）)][：:]\s*")
# A line ending in one of these is complete; anything else may be a line broken mid-sentence.
COMPLETE_END = tuple("。！？；…”’」』）)】：:.!?;")
_BROKEN_MIN_CHARS = 50  # titles and headings are shorter; broken body lines are long
_CLAUSE_MARKS = "，,、；"
_STARTS_NEW_BLOCK = re.compile(
    r"^(?:[一二三四五六七八九十]+[、是]|[（(][一二三四五六七八九十\d]+[）)]|\d+[.、．]|第[一二三四五六七八九十]+|本报讯|本报记者)"
)


def clean_lines(raw: str) -> list[str]:
    """Return paragraph lines; ``GAP`` entries mark runs of 2+ blank lines."""
    raw = raw.translate(_INVISIBLE).replace("\r\n", "\n").replace("\r", "\n")
    lines: list[str] = []
    blank_run = 0
    emphasis = _MARKED_UP.search(raw) is not None
    for line in _HTML_COMMENT.sub("", raw).split("\n"):
        line = _SPACES.sub(" ", _unmark(line, emphasis)).strip()
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


def _unmark(line: str, emphasis: bool) -> str:
    """The line without web or Markdown markup (see the module docstring)."""
    if _LINK_LINE.match(line.strip()):
        return ""
    line = _LINK.sub(r"\1", _ENTITY.sub("", line)).strip()
    if emphasis:
        line = _HEADING_MARK.sub("", _EMPHASIS.sub(lambda m: m.group(1) or "", line))
    return _DATELINE.sub("", line)


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
            and not out[-1].endswith(COMPLETE_END)
            and any(mark in out[-1] for mark in _CLAUSE_MARKS)  # a title runs long without any
            and not _STARTS_NEW_BLOCK.match(line)
        ):
            joiner = " " if out[-1][-1].isascii() and line[0].isascii() and out[-1][-1].isalnum() else ""
            out[-1] = out[-1] + joiner + line
        else:
            out.append(line)
    return out
