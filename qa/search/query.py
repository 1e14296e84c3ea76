"""What a query asks for, before either leg sees it: draft boilerplate and question words removed,
and whether it surveys many places."""

from __future__ import annotations

import re

# Question words and filler do not say what the user is looking for.
_QUESTION_WORDS = re.compile(
    r"怎么办|怎么做|怎样做|如何做|怎么样|怎样|怎么|如何|哪些|哪个|哪里|多少|是什么|什么|有没有|是否|请问|介绍一下|介绍|一下|吗|呢|吧|[？?！!。，,、：:；;“”\"'（）()\s]+"
)
# Questions about how places do something want many places, not five passages of one report.
_SURVEY = re.compile(r"各地|其他地方|其它地方|别的地方|哪些地方|外地|兄弟|类似|相似|经验|做法")
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


_OTHER_PLACES = re.compile(r"各地|其他|其它|别的|哪些地方|外地|兄弟|类似|相似|借鉴")


def wants_other_places(query: str) -> bool:
    """True for requests for practice elsewhere ("其他地方有没有类似做法？"), where a place named is the user's own."""
    return _OTHER_PLACES.search(query) is not None


def is_survey(query: str) -> bool:
    """True for questions about how places do something, which want many places."""
    return _SURVEY.search(query) is not None


def normalise_query(query: str) -> str:
    """The query without draft boilerplate, question words and punctuation (kept whole if nothing is left)."""
    stripped = _QUESTION_WORDS.sub(" ", _DRAFT_BOILERPLATE.sub(" ", query))
    stripped = re.sub(r"\s+", " ", stripped).strip()
    return stripped or query.strip()
