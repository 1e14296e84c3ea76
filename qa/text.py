"""Text helpers every stage shares: jieba tokens with the domain dictionary, sentences, character
pairs, and the thesaurus of everyday → official wording.

There is no stopword list: words like 加强 and 坚持 carry meaning in this genre.
Only whitespace and punctuation are dropped.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

DOMAIN_DICT = Path(__file__).parent / "data" / "domain_dict.txt"
_NOT_A_WORD = re.compile(r"^[\W_]+$")
SENTENCE = re.compile(r"[^。！？；]*(?:[。！？；]+[”’」』）)]?|$)")


@lru_cache(maxsize=1)
def _tokenizer():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.load_userdict(str(DOMAIN_DICT))
    return tokenizer


def stored_name(name: str) -> str:
    """A file name or path as text SQLite and a page can hold: bytes of the name that were not UTF-8
    (kept by Python as lone surrogates) written as \\xNN, so such a file is indexed like any other."""
    try:
        raw = name.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate that did not come from an undecodable byte
        raw = name.encode("utf-8", "backslashreplace")
    return raw.decode("utf-8", "backslashreplace")


def tokenize(text: str) -> list[str]:
    """Search-mode jieba tokens (words and their sub-words), lower-cased, punctuation dropped."""
    return [t.lower() for t in _tokenizer().lcut_for_search(text) if t.strip() and not _NOT_A_WORD.match(t)]


@lru_cache(maxsize=1)
def _tagger():
    from jieba import posseg

    return posseg.POSTokenizer(_tokenizer())


# how the names of lakes, mountains, rivers, islands and landmarks end; jieba also tags words such as
# 山沟, 外国, 城市 and 桥头堡 as places, which a question may well use for no place in particular
_PLACE_END = re.compile(r"[湖山峰岭河江海岛湾峡谷关寺宫园洲港]$")


def place_words(text: str) -> list[str]:
    """Names of lakes, mountains, rivers and landmarks jieba's dictionary knows (鄱阳湖, 珠穆朗玛峰):
    words of three characters or more tagged ns, ending like such a name, and in the dictionary rather
    than guessed by its HMM (which tags unknown runs of characters such as 商信 as names too)."""
    known = _tokenizer().FREQ
    return [
        p.word
        for p in _tagger().lcut(text)
        if p.flag == "ns" and len(p.word) > 2 and _PLACE_END.search(p.word) and known.get(p.word, 0) > 0
    ]


BIGRAM_MARK = "·"  # marks a character-pair token, so that it never collides with a jieba word
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")


def tagged(text: str) -> list[tuple[str, str]]:
    """jieba's words of a text with their parts of speech (思南县 ns, 完成 v), in order."""
    return [(p.word, p.flag) for p in _tagger().cut(text)]


_NOT_A_THING = ("v", "vd", "vi", "vg", "a", "ad", "d", "r", "p", "c", "u")


def names_a_thing(word: str) -> bool:
    """Whether a word, tagged on its own, is not a plain verb, adjective or adverb: 宅基地, 无人机, 短视频 and
    补偿 (a verbal noun) name something; 操作, 留住, 兑换 say how a question is asked."""
    alone = tagged(word)
    return not (len(alone) == 1 and alone[0][1] in _NOT_A_THING)


def in_dictionary(word: str) -> bool:
    """Whether jieba knows the word, or it is made of words of two characters or more that it knows (村民小组长
    = 村民 + 小组长); not a run of characters its HMM glued together where the text was new to it (户想 in
    "脱贫户想…", 乡管 in "归哪个乡管", 刘七是)."""
    known = _tokenizer().FREQ
    if known.get(word, 0) > 0:
        return True
    parts = _tokenizer().lcut(word, HMM=False)
    return len(parts) > 1 and all(len(part) > 1 and known.get(part, 0) > 0 for part in parts)


def words(text: str) -> list[str]:
    """Precise-mode jieba words (no sub-words), lower-cased, punctuation dropped: what a question asks about."""
    return [t.lower() for t in _tokenizer().lcut(text) if t.strip() and not _NOT_A_WORD.match(t)]


def passage_text(title: str, section: list[str], text: str) -> str:
    """What a passage is embedded and indexed as: its article's title, its section path and its text."""
    return "\n".join([title, " > ".join(section[1:]), text])


def index_terms(text: str) -> list[str]:
    """What BM25 indexes for a passage: its jieba tokens, and every pair of adjacent Chinese characters
    (marked). The pairs find what jieba splits wrongly: village names it has never seen (大湾村 → 大湾 / 村有),
    new coinages and practice names."""
    return tokenize(text) + char_bigrams(text)


def char_bigrams(text: str) -> list[str]:
    """Marked adjacent-character pairs of each run of Chinese characters."""
    return [BIGRAM_MARK + run[i : i + 2] for run in _CJK_RUN.findall(text) for i in range(len(run) - 1)]


def char_pairs(text: str) -> set[str]:
    """The text's adjacent character pairs: a cheap overlap measure for Chinese without tokenising."""
    return {text[i : i + 2] for i in range(len(text) - 1)}


THESAURUS = Path(__file__).parent / "data" / "thesaurus.txt"


@lru_cache(maxsize=1)
def _thesaurus() -> dict[str, list[str]]:
    entries: dict[str, list[str]] = {}
    for line in THESAURUS.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            everyday, official = line.split("\t")
            entries[everyday] = [t.strip() for t in official.split(",") if t.strip()]
    return entries


def thesaurus_entries(query: str) -> list[tuple[str, list[str]]]:
    """(everyday word, its official terms) for each thesaurus entry whose everyday word is in ``query``."""
    return [(everyday, official) for everyday, official in _thesaurus().items() if everyday in query]


def official_tokens(query: str, terms: Iterable[str]) -> list[str]:
    """Tokens of official terms, once each, minus the query's own."""
    own = set(tokenize(query))
    return [t for t in dict.fromkeys(tokenize(" ".join(terms))) if t not in own]


def expand(query: str) -> list[str]:
    """Tokens of the official terms for the everyday words in ``query`` (the thesaurus), minus the query's own."""
    return official_tokens(query, [term for _, official in thesaurus_entries(query) for term in official])


def sentence_spans(text: str, min_chars: int = 8) -> list[tuple[int, int]]:
    """(start, end) of each sentence; fragments under min_chars join the next one (the last, the previous)."""
    spans: list[tuple[int, int]] = []
    pending: int | None = None
    for m in SENTENCE.finditer(text):
        start, end = trim_span(text, m.start(), m.end())
        if start == end:
            continue
        pending = start if pending is None else pending
        if end - pending >= min_chars:
            spans.append((pending, end))
            pending = None
    if pending is not None:
        tail_end = trim_span(text, pending, len(text))[1]
        if spans:
            spans[-1] = (spans[-1][0], tail_end)
        else:
            spans.append((pending, tail_end))
    return spans or [(0, len(text))]


def paragraph_sentence_spans(text: str, min_chars: int = 8) -> list[tuple[int, int]]:
    """``sentence_spans`` within each paragraph (line): no span runs across a line break, so a quote never
    glues the next paragraph's heading ("…达到18792元。聚焦组织强引领…") onto the sentence it quotes."""
    spans: list[tuple[int, int]] = []
    offset = 0
    for line in text.split("\n"):
        if line.strip():
            spans.extend((offset + s, offset + e) for s, e in sentence_spans(line, min_chars))
        offset += len(line) + 1
    return spans or [(0, len(text))]


def sentences(text: str, min_chars: int = 8) -> list[str]:
    """The sentences of a chunk, for sentence-level matching and quoting."""
    return [text[start:end] for start, end in sentence_spans(text, min_chars)]


def trim_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


_SLUG = re.compile(r"[^\w\u4e00-\u9fff-]+")


def safe_file_name(name: str) -> str:
    """A file name with no path parts or odd characters, keeping Chinese."""
    base = name.replace("\\", "/").split("/")[-1]
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = _SLUG.sub("_", stem).strip("._") or "文件"
    return f"{stem}.{suffix.lower()}" if suffix else stem


def section_path(section: list[str], lead: str = "导语") -> str:
    """Where a passage sits in its article, as shown to people: the headings under the title, without a
    heading that only repeats the one before it (一是明确积分标准 > 明确积分标准); ``lead`` before any heading."""
    parts: list[str] = []
    for part in section[1:]:
        if not (parts and part in parts[-1]):
            parts.append(part)
    return " > ".join(parts) or lead


def char_f1(found: str, gold: str) -> float:
    """Character-level F1 of two strings (CMRC's measure, on characters as counted, spaces left out)."""
    found, gold = found.replace(" ", ""), gold.replace(" ", "")
    common = sum((Counter(found) & Counter(gold)).values())
    if not common:
        return 0.0
    precision, recall = common / len(found), common / len(gold)
    return 2 * precision * recall / (precision + recall)
