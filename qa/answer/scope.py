"""The place a question is about: the one place it names, and places it names that no report mentions.

A question naming one known place is answered from that place's articles only; one naming a county,
city, lake or mountain that no passage mentions is answered with "the reports say nothing about it",
not with another place's quotes.
"""

from __future__ import annotations

from qa.index.knowledge_base import KnowledgeBase
from qa.ingest.places import divisions_named, named_places, short_name
from qa.search.query import wants_other_places
from qa.search.question import FOLLOWUP_LEAD
from qa.text import place_words


class PlaceScope:
    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.places = known_places(kb)

    def asked(self, question: str, followup: str | None = None) -> str | None:
        """The one place a question names, if it names exactly one: a place of the knowledge base, or a
        place-shaped name the user brought in with a follow-up ("那锦屏社区呢？")."""
        places = places_in(question, self.places)
        if not places and followup:
            places = [p for p in places_in(followup, self.places, shaped=True) if p in question]
        return places[0] if len(places) == 1 else None

    def not_in_corpus(self, question: str) -> str | None:
        """A county, city or province the question asks about that no passage mentions (黑龙江抚远市 in a
        corpus without 抚远), or a lake or mountain jieba knows by name (鄱阳湖, 珠穆朗玛峰). Requests for
        similar practice elsewhere are exempt: there the place is the user's own. Beside the division
        table, the names of lakes and mountains took CMRC's tuning-half negatives abstained 0.50 → 0.75
        and refused no answerable question of any development set."""
        if wants_other_places(question):
            return None
        for name in [*divisions_named(question), *place_words(question)]:
            if not self.kb.mentions(short_name(name)):  # 鄱阳湖 is its own short name
                return name
        return None


def places_in(text: str, places: set[str], shaped: bool = False) -> list[str]:
    """Places named in the text, in order of appearance, longest first where they overlap: the knowledge
    base's places (with short forms: 思南), and with ``shaped`` also names shaped like a place (…村, …镇,
    …社区) that are no article's place — for follow-ups, where the user names the place on purpose."""
    text = FOLLOWUP_LEAD.sub("", text)
    found: list[tuple[int, str]] = []
    for place in sorted({*places, *(named_places(text) if shaped else [])}, key=len, reverse=True):
        at = text.find(place)
        if at >= 0 and not any(s <= at < s + len(p) for s, p in found):
            found.append((at, place))
    return [p for _, p in sorted(found)]


def names_of(place: str | None) -> tuple[str, ...]:
    """How a sentence may name the place: in full, and a county or city by its short form (思南 for 思南县);
    a village's or town's short form is too often a word of its own (振兴 of 振兴村)."""
    if not place:
        return ()
    short = short_name(place)
    return (place, short) if short != place and place[-1] in "省市县区旗州" else (place,)


def known_places(kb: KnowledgeBase) -> set[str]:
    """Places of the knowledge base's articles and their counties and cities, with short forms (思南 for 思南县)."""
    names = kb.place_names()
    short = {n[:-1] for n in names if len(n) >= 3 and n[-1] in "县市区乡镇村"}
    return names | {s for s in short if len(s) >= 2}
