"""Named practices: the quoted mechanism names of experience reports (“四议两公开”, “三色预警”,
“5人小分队”, “头雁”工程) and the places that use them.

A quoted term counts as a practice name when it holds a number word (四能一创, 2+1) or ends like
a mechanism (…工程, …模式, …工作法, …超市); a quote directly followed by such a word takes it
along (“头雁”工程 → 头雁工程). Rhetoric in quotes (“压舱石”, “蓄水池”) and institutions
(“两委”) are not practices. Names are found at ingest and stored with the chunk that first
uses them in each article, which is usually where the report explains them.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field

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


@dataclass
class PracticeUse:
    place: str | None
    province: str | None
    doc: str
    title: str
    chunk_id: int | None  # the passage that names (and usually explains) it; None for an unquoted mention
    passage: str


@dataclass
class Practice:
    name: str
    uses: list[PracticeUse] = field(default_factory=list)

    @property
    def places(self) -> list[str]:
        return list(dict.fromkeys(u.place or f"《{u.title}》" for u in self.uses))


def list_practices(conn: sqlite3.Connection, search: str | None = None) -> list[Practice]:
    """Practices with the articles using them, most widely used first.

    With ``search``, the practices whose name contains it, and also articles that use such a name
    without quotes ("严格落实四议两公开制度")."""
    rows = conn.execute(
        "SELECT p.name, p.chunk_id, a.id AS article_id, a.place, a.province, a.title, d.file_name, c.text"
        " FROM practices p JOIN articles a ON a.id = p.article_id JOIN documents d ON d.id = a.doc_id"
        " JOIN chunks c ON c.id = p.chunk_id"
        + (" WHERE p.name LIKE ?" if search else "")
        + " ORDER BY d.file_name, a.ord",
        ([f"%{search}%"] if search else []),
    ).fetchall()
    practices: dict[str, Practice] = {}
    seen: dict[str, set[int]] = {}
    for r in rows:
        practice = practices.setdefault(r["name"], Practice(r["name"]))
        if r["article_id"] not in seen.setdefault(r["name"], set()):
            seen[r["name"]].add(r["article_id"])
            practice.uses.append(
                PracticeUse(r["place"], r["province"], r["file_name"], r["title"], r["chunk_id"], r["text"])
            )
    if search:
        for name, practice in practices.items():
            _add_unquoted_uses(conn, name, practice, seen[name])
    return sorted(practices.values(), key=lambda p: (-len(p.uses), p.name))


def _add_unquoted_uses(conn: sqlite3.Connection, name: str, practice: Practice, seen: set[int]) -> None:
    rows = conn.execute(
        "SELECT c.id, c.text, a.id AS article_id, a.place, a.province, a.title, d.file_name FROM chunks c"
        " JOIN articles a ON a.id = c.article_id JOIN documents d ON d.id = a.doc_id"
        " WHERE c.text LIKE ? ORDER BY d.file_name, a.ord, c.ord",
        (f"%{name}%",),
    )
    for r in rows:
        if r["article_id"] not in seen:
            seen.add(r["article_id"])
            practice.uses.append(PracticeUse(r["place"], r["province"], r["file_name"], r["title"], r["id"], r["text"]))
