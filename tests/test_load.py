"""100 concurrent chats through gradio_client against a real server and the local fake LLM: every chat
completes, a search still answers meanwhile, an upload goes through. Latency figures are the
benchmark's (bench/load_bench.py), never asserted here."""

from __future__ import annotations

import pytest


@pytest.mark.slow
def test_a_hundred_concurrent_chats_all_complete_while_search_and_upload_work():
    from bench.load_bench import run

    figures = run(chats=100, users=20, embedder="hash-test")
    assert figures["errors"] == {} and figures["completed"] == 100
    assert figures["searches_answered_under_load"] == 5  # each found passages while the chats queued
    assert figures["upload_indexed"] is True  # the upload in the middle of the load was indexed


@pytest.mark.slow
def test_fifty_concurrent_streamed_api_chats_complete_or_get_an_explicit_429():
    from bench.api_load_bench import run

    figures = run(chats=50, embedder="hash-test")
    assert set(figures["errors"]) <= {"429 (explicit, with Retry-After)"}, figures["errors"]
    assert figures["completed"] + sum(figures["errors"].values()) == 50 and figures["completed"] >= 45
