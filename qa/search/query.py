"""What a query asks for, before either leg sees it: draft boilerplate and question words removed,
and whether it surveys many places."""

from __future__ import annotations

import re

from qa.search.question import ASKS_OTHER_PLACES, ASKS_SURVEY, QUESTION_WORDS

# Draft boilerplate in "similar experience" requests: who is asking and what kind of material they want
# say nothing about the practice itself, and they pull both legs towards any text about "经验" or "我们".
_DRAFT_BOILERPLATE = re.compile(
    r"(?:想|希望|准备|打算)?(?:请|帮忙|帮我)*(?:看看|了解|参考|借鉴|找找|找到|提供|推荐|学习)(?:一下)?"
    r"(?:其他|其它|别的|外地|兄弟|各)(?:地方|地区|单位|省市|县区|县市|乡镇)的?"
    r"|(?:是|都是)?(?:怎么|怎样|如何)做的"
    r"|(?:请|帮忙|帮我)+(?:提供|推荐|找找|找)"
    r"|(?:可以|可供)?(?:参考|借鉴)的|类似的?|相似的?|相关的?(?=经验|做法|材料)"
    r"|(?:经验材料|经验做法|做法|经验|办法)(?=[。？?！!，,]|$)"
    r"|我们(?:村|乡|镇|县|区|市|街道|社区|单位)?|[我本](?:村|乡|镇|县|区|市)|县里|市里|乡里|镇里"
)


def wants_other_places(query: str) -> bool:
    """True for requests for practice elsewhere ("其他地方有没有类似做法？"), where a place named is the user's own."""
    return ASKS_OTHER_PLACES.search(query) is not None


def is_survey(query: str) -> bool:
    """True for questions about how places do something, which want many places."""
    return ASKS_SURVEY.search(query) is not None


def normalise_query(query: str) -> str:
    """The query without draft boilerplate, question words and punctuation (kept whole if nothing is left)."""
    stripped = QUESTION_WORDS.sub(" ", _DRAFT_BOILERPLATE.sub(" ", query))
    stripped = re.sub(r"\s+", " ", stripped).strip()
    return stripped or query.strip()
