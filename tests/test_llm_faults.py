"""Every way an OpenAI-compatible endpoint fails, against a real local HTTP server: each ends within the
configured timeout with a Chinese reason and the extractive answer, never a traceback."""

from __future__ import annotations

import time

import pytest

from qa.answer.answerer import Answerer
from qa.answer.citations import UNSUPPORTED_MARK
from qa.answer.llm import ChatClient
from qa.embeddings import HASH_MODEL
from qa.search.hybrid import HybridRetriever
from qa.settings import EmbeddingSettings, Settings

from .fake_llm import FakeLLM

QUESTION = "思南县完成了多少支驻村工作队选派？"
TIMEOUT = 1.5


def _answerer(seed_kb, embedder, server: FakeLLM) -> Answerer:
    settings = Settings(embedding=EmbeddingSettings(model=HASH_MODEL)).replace(
        llm=dict(provider="openai", base_url=server.base_url, model="fake-model", max_retries=0, timeout=TIMEOUT)
    )
    return Answerer(HybridRetriever(seed_kb, embedder), settings, ChatClient(settings.llm))


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        ({"delay": 30.0}, "没有响应"),  # hangs
        ({"status": 429}, "429"),
        ({"status": 500}, "500"),
        ({"status": 503}, "503"),
        ({"fault": "cut"}, "中途中断"),
        ({"fault": "malformed"}, "大模型服务"),
        ({"pause": 1.0}, "没有答完"),  # a piece a second, each read in time: the deadline is for the whole reply
    ],
    ids=["hang", "429", "500", "503", "cut", "malformed", "trickle"],
)
def test_a_failing_endpoint_falls_back_to_quotes_within_the_timeout(seed_kb, embedder, fault, expected):
    with FakeLLM() as server:
        server.reply = "思南县选派了301支驻村工作队[1]。" * 5
        for name, value in fault.items():
            setattr(server, name, value)
        answerer = _answerer(seed_kb, embedder, server)
        start = time.monotonic()
        events = list(answerer.stream(QUESTION))
        took = time.monotonic() - start
    answer = events[-1].answer
    # one deadline for the whole answer: the rewording and the answer's own call share it
    assert took < TIMEOUT + 2, took
    assert answer.mode == "extractive" and "摘录模式" in answer.notice and expected in answer.notice, answer.notice
    assert "301支" in answer.text and answer.citations  # the quotes still answer
    header = answer.text.splitlines()[0]  # the answer itself says why the model did not answer
    assert header.startswith("大模型") and header.endswith("以下为资料原文摘录：") and "未使用大模型" not in header
    assert not answer.unsupported


def test_llm_timeout_covers_every_call_of_one_answer(seed_kb, embedder):
    """Rewording and answering each finish within llm.timeout alone (3 pieces, 0.8 s apart: about 2.4 s of
    3 s), but not both together: the answer falls back to quotes and says the model did not finish."""
    with FakeLLM() as server:
        server.reply = "思南县选派了301支驻村工作队[1]。"  # 20 characters: 3 pieces
        server.pause = 0.8
        settings = Settings(embedding=EmbeddingSettings(model=HASH_MODEL)).replace(
            llm=dict(provider="openai", base_url=server.base_url, model="fake-model", max_retries=0, timeout=3.0)
        )
        answer = Answerer(HybridRetriever(seed_kb, embedder), settings, ChatClient(settings.llm)).ask(QUESTION)
        asked = len(server.requests)
    assert asked == 2 and answer.mode == "extractive", (asked, answer.mode, answer.notice)
    assert "没有答完" in answer.notice and answer.text.startswith("大模型超时未答完，以下为资料原文摘录：")


def test_an_answer_citing_passages_that_do_not_exist_or_inventing_numbers_is_flagged(seed_kb, embedder):
    with FakeLLM() as server:
        server.reply = "思南县选派了301支驻村工作队[1]。另有5000名党员参与[1]。详见资料[9]。"
        answer = _answerer(seed_kb, embedder, server).ask(QUESTION)
    problems = [p for s in answer.unsupported for p in s.problems]
    assert "引用了不存在的资料 [9]" in problems
    assert any("5000" in p for p in problems)
    assert answer.text.count(UNSUPPORTED_MARK) == 2 and "301支" in answer.text
