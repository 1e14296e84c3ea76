"""The HTTP API through real clients: the `openai` SDK against /v1, httpx against Dify's /retrieval
contract and /api/search, on a real uvicorn server over the seed reports."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import threading
import time
from pathlib import Path

import httpx
import openai
import pytest

from qa.app.api.guard import ApiError, Guard
from qa.app.api.keys import key_store
from qa.app.store.accounts import AccountStore
from qa.embeddings import HASH_MODEL
from qa.settings import ApiSettings, EmbeddingSettings, Settings

from .conftest import free_port


class ApiServer:
    """`qa api` in a thread: a real uvicorn server on 127.0.0.1."""

    def __init__(self, settings: Settings, host: str = "127.0.0.1") -> None:
        import uvicorn
        from fastapi import FastAPI

        from qa.app.api.routes import api_router
        from qa.app.workspace import Workspace

        app = FastAPI()
        app.include_router(api_router(settings, Workspace(settings), host))
        self.port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ApiServer:
        self.thread.start()
        deadline = time.time() + 30
        while not self.server.started:
            assert time.time() < deadline, "API server did not start"
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def index_dir(seed_kb, tmp_path_factory) -> Path:
    """Two knowledge bases (default, other) copied from the seed one, and two keys."""
    root = tmp_path_factory.mktemp("api-index")
    for name in ("default", "other"):
        shutil.copytree(seed_kb.folder, root / name)
    return root


@pytest.fixture(scope="module")
def keys(index_dir) -> dict[str, str]:
    store = key_store(index_dir)
    _, default_only = store.add("默认库", ["default"])
    _, everything = store.add("全部", ["*"])
    return {"default": default_only, "all": everything}


@pytest.fixture(scope="module")
def server(index_dir, keys):
    settings = Settings(index_dir=str(index_dir), embedding=EmbeddingSettings(model=HASH_MODEL))
    with ApiServer(settings) as running:
        yield running


def _client(server: ApiServer, key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key=key, max_retries=0)


def test_models_are_the_knowledge_bases_the_key_may_use(server, keys):
    assert [m.id for m in _client(server, keys["all"]).models.list()] == ["qa-default", "qa-other"]
    assert [m.id for m in _client(server, keys["default"]).models.list()] == ["qa-default"]


def test_a_streamed_answer_arrives_in_order_with_citations_and_references(server, keys, seed_kb):
    stream = _client(server, keys["default"]).chat.completions.create(
        model="qa-default", messages=[{"role": "user", "content": "思南县完成了多少支驻村工作队选派？"}], stream=True
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert chunks[0].choices[0].delta.role == "assistant" and chunks[-1].choices[0].finish_reason == "stop"
    assert len({c.id for c in chunks}) == 1 and len(chunks) > 3  # one completion, in several pieces
    assert "301支驻村工作队" in text and "[1]" in text and "\n\n参考资料：\n[1] （来源：思南县" in text
    extension = chunks[-1].model_extra["qa"]
    assert extension["mode"] == "extractive" and not extension["abstained"]
    assert extension["short_answer"] == "301支"  # the words that answer, inside the quoted sentence
    for citation in extension["citations"]:  # every quote verbatim in its document, at its offsets
        article = seed_kb.conn.execute("SELECT text FROM articles WHERE id = ?", (citation["article_id"],)).fetchone()[
            0
        ]
        assert article[citation["quote_start"] : citation["quote_end"]] == citation["quote"]
        assert citation["source_line"].startswith("（来源：")


def test_a_plain_answer_and_a_follow_up_scoped_to_the_place_it_names(server, keys):
    client = _client(server, keys["all"])
    first = client.chat.completions.create(
        model="qa-other", messages=[{"role": "user", "content": "台头村村集体经济怎么发展？"}]
    )
    assert "参考资料" in first.choices[0].message.content
    follow_up = client.chat.completions.create(
        model="qa-other",
        messages=[
            {"role": "user", "content": "台头村村集体经济怎么发展？"},
            {"role": "assistant", "content": first.choices[0].message.content},
            {"role": "user", "content": [{"type": "text", "text": "那万山区呢？"}]},
        ],
    )
    extension = follow_up.model_extra["qa"]
    assert extension["standalone_question"].startswith("万山区")
    if extension["abstained"]:
        assert "资料中没有万山区的相关内容" in follow_up.choices[0].message.content
    else:
        assert {c["place"] for c in extension["citations"]} == {"万山区"}


def test_unanswerable_question_says_so_without_references(server, keys):
    reply = _client(server, keys["default"]).chat.completions.create(
        model="qa-default", messages=[{"role": "user", "content": "如何防治小麦条锈病？"}]
    )
    assert reply.choices[0].message.content.startswith("资料中未找到相关内容")
    assert "参考资料：" not in reply.choices[0].message.content and reply.model_extra["qa"]["abstained"]


def test_bad_key_forbidden_knowledge_base_and_oversized_request_get_openai_errors(server, keys):
    ask = [{"role": "user", "content": "积分超市"}]
    with pytest.raises(openai.AuthenticationError) as bad_key:
        _client(server, "qa-not-a-key").chat.completions.create(model="qa-default", messages=ask)
    assert bad_key.value.status_code == 401 and "API 密钥无效" in bad_key.value.body["message"]
    assert bad_key.value.body["type"] == "authentication_error" and bad_key.value.body["code"] == "invalid_api_key"
    with pytest.raises(openai.PermissionDeniedError) as forbidden:
        _client(server, keys["default"]).chat.completions.create(model="qa-other", messages=ask)
    assert "无权使用知识库 “other”" in forbidden.value.body["message"]
    with pytest.raises(openai.NotFoundError) as missing:
        _client(server, keys["all"]).chat.completions.create(model="qa-nope", messages=ask)
    assert "不存在" in missing.value.body["message"]
    huge = [{"role": "user", "content": "积分超市" * 100_000}]
    with pytest.raises(openai.APIStatusError) as too_big:
        _client(server, keys["all"]).chat.completions.create(model="qa-default", messages=huge)
    assert too_big.value.status_code == 413 and "请求过大" in too_big.value.body["message"]
    with pytest.raises(openai.BadRequestError) as greedy:
        _client(server, keys["all"]).chat.completions.create(model="qa-default", messages=ask, max_tokens=10**6)
    assert "max_tokens" in greedy.value.body["message"]


def test_dify_retrieval_follows_the_external_knowledge_contract(server, keys):
    def retrieve(key: str, **body) -> httpx.Response:
        request = {
            "knowledge_id": "default",
            "query": "积分超市",
            "retrieval_setting": {"top_k": 5, "score_threshold": 0.0},
        }
        return httpx.post(
            f"{server.url}/retrieval", json={**request, **body}, headers={"Authorization": f"Bearer {key}"}
        )

    response = retrieve(keys["default"])
    assert response.status_code == 200
    records = response.json()["records"]
    assert 0 < len(records) <= 5
    for r in records:
        assert isinstance(r["content"], str) and isinstance(r["title"], str) and isinstance(r["metadata"], dict)
        assert isinstance(r["score"], float) and 0.0 <= r["score"] <= 1.0
    scores = sorted(r["score"] for r in records)
    middle = (scores[0] + scores[-1]) / 2
    if scores[0] < scores[-1]:  # score_threshold honoured
        kept = retrieve(keys["default"], retrieval_setting={"top_k": 5, "score_threshold": middle}).json()["records"]
        assert kept and all(r["score"] >= middle for r in kept) and len(kept) < len(records)
    condition = {
        "logical_operator": "and",
        "conditions": [{"name": "place", "comparison_operator": "is", "value": "思南县"}],
    }
    only = retrieve(keys["default"], metadata_condition=condition).json()["records"]
    assert only and {r["metadata"]["place"] for r in only} == {"思南县"}
    assert retrieve("qa-wrong").json() == {"error_code": 1002, "error_msg": retrieve("qa-wrong").json()["error_msg"]}
    assert retrieve("qa-wrong").status_code == 401
    assert retrieve(keys["all"], knowledge_id="nope").json()["error_code"] == 2001
    malformed = httpx.post(f"{server.url}/retrieval", json={}, headers={"Authorization": "Token abc"})
    assert malformed.status_code == 403 and malformed.json()["error_code"] == 1001


def test_search_endpoint_takes_the_clis_filters(server, keys):
    response = httpx.post(
        f"{server.url}/api/search",
        json={"kb": "default", "query": "积分超市", "k": 3, "place": "思南"},
        headers={"Authorization": f"Bearer {keys['default']}"},
    )
    body = response.json()
    assert response.status_code == 200 and body["relevant"] and len(body["hits"]) <= 3
    assert all("思南" in (h["place"] or "") for h in body["hits"])


def test_a_local_server_without_keys_is_open_but_one_on_the_network_is_not(seed_kb, tmp_path):
    shutil.copytree(seed_kb.folder, tmp_path / "default")
    settings = Settings(index_dir=str(tmp_path), embedding=EmbeddingSettings(model=HASH_MODEL))
    with ApiServer(settings) as local:
        assert [m.id for m in _client(local, "anything").models.list()] == ["qa-default"]
    with ApiServer(settings, host="0.0.0.0") as exposed:
        with pytest.raises(openai.AuthenticationError) as refused:
            _client(exposed, "anything").models.list()
        assert "qa apikey add" in refused.value.body["message"]


def test_rate_and_concurrency_limits_answer_429_with_retry_after(tmp_path):
    settings = ApiSettings(requests_per_minute=2, concurrency=1, queue_wait_s=0.05)
    guard = Guard(settings, key_store(tmp_path), "127.0.0.1", AccountStore(tmp_path))
    caller = guard.caller(None, "127.0.0.1")
    guard.check_rate(caller)
    guard.check_rate(caller)
    with pytest.raises(ApiError) as limited:
        guard.check_rate(caller)
    assert limited.value.status == 429 and 1 <= limited.value.retry_after <= 61

    async def turns() -> None:
        slot = await guard.answer_slot()
        with pytest.raises(ApiError) as busy:  # waited 0.05 s for a turn, then told to come back
            await guard.answer_slot()
        assert busy.value.status == 429 and busy.value.retry_after == 5 and "系统繁忙" in busy.value.message
        slot.release()
        (await guard.answer_slot()).release()  # free again once released

    asyncio.run(turns())


def test_over_the_rate_a_key_gets_429_with_retry_after_over_http(seed_kb, tmp_path):
    shutil.copytree(seed_kb.folder, tmp_path / "default")
    settings = Settings(index_dir=str(tmp_path), embedding=EmbeddingSettings(model=HASH_MODEL)).replace(
        api={"requests_per_minute": 2}
    )
    with ApiServer(settings) as local:
        calls = [httpx.post(f"{local.url}/api/search", json={"query": "积分超市"}) for _ in range(3)]
    assert [c.status_code for c in calls] == [200, 200, 429]
    assert int(calls[2].headers["Retry-After"]) >= 1
    assert (
        calls[2].json()["error"]["code"] == "rate_limit_exceeded"
        and "请求过于频繁" in calls[2].json()["error"]["message"]
    )


def test_apikey_commands_add_list_and_revoke(seed_kb, tmp_path):
    from typer.testing import CliRunner

    from qa.app.cli import app

    runner = CliRunner()
    added = runner.invoke(app, ["apikey", "add", "Dify 工作流", "--kb", "default", "--index-dir", str(tmp_path)])
    assert added.exit_code == 0, added.output
    secret = next(line for line in added.output.splitlines() if line.startswith("qa-"))
    store = key_store(tmp_path)
    (key,) = store.keys()
    assert store.find(secret) == key and secret not in (tmp_path / "api_keys.json").read_text(encoding="utf-8")
    listed = runner.invoke(app, ["apikey", "list", "--index-dir", str(tmp_path)])
    assert key.id in listed.output and "Dify 工作流" in listed.output and "有效" in listed.output
    revoked = runner.invoke(app, ["apikey", "revoke", key.id, "--index-dir", str(tmp_path)])
    assert revoked.exit_code == 0 and store.find(secret) is None
    missing = runner.invoke(app, ["apikey", "revoke", "nope", "--index-dir", str(tmp_path)])
    assert missing.exit_code == 1 and "没有编号为 nope 的 API 密钥" in missing.output


def _llm_settings(index_dir: Path, llm_url: str, **api) -> Settings:
    return Settings(index_dir=str(index_dir), embedding=EmbeddingSettings(model=HASH_MODEL)).replace(
        llm={"provider": "openai", "base_url": llm_url, "model": "fake", "max_retries": 0, "timeout": 30}, api=api
    )


def test_llm_answers_stream_sentence_by_sentence_and_a_client_leaving_frees_its_turn(seed_kb, tmp_path):
    from .fake_llm import FakeLLM

    shutil.copytree(seed_kb.folder, tmp_path / "default")
    with FakeLLM() as llm:
        llm.reply = lambda messages: (
            messages[-1]["content"]
            if "改写" in messages[0]["content"]
            else "思南县选派了301支驻村工作队[1]。推行积分超市[2]。" + "各地持续推进[1]。" * 40
        )
        llm.pause = 0.05
        with ApiServer(_llm_settings(tmp_path, llm.base_url, concurrency=1, queue_wait_s=2)) as server:
            client = _client(server, "local")
            ask = [{"role": "user", "content": "思南县完成了多少支驻村工作队选派？"}]
            chunks = list(client.chat.completions.create(model="qa-default", messages=ask, stream=True))
            text = "".join(c.choices[0].delta.content or "" for c in chunks)
            extension = chunks[-1].model_extra["qa"]
            assert extension["mode"] == "llm" and text.startswith("思南县选派了301支驻村工作队[1]")
            assert len(chunks) > 40 and "参考资料：" in text  # arrived as the model wrote it
            # a client that goes away after the first sentence: its turn (concurrency 1) is freed at once
            with httpx.stream(
                "POST",
                f"{server.url}/v1/chat/completions",
                json={"model": "qa-default", "messages": ask, "stream": True},
            ) as response:
                for line in response.iter_lines():
                    if "301" in line:
                        break
            start = time.monotonic()
            again = client.chat.completions.create(model="qa-default", messages=ask)
            assert "301支" in again.choices[0].message.content and time.monotonic() - start < 15


def _served_with_accounts(seed_kb, root: Path, kb: str | None = None):
    """`qa serve [--kb kb]` (page and API on one port) over knowledge bases A and B, with a reader and an
    editor of A."""
    from qa.app.web.layout import serve

    for name in ("A", "B"):
        shutil.copytree(seed_kb.folder, root / name)
    accounts = AccountStore(root)
    accounts.add("读者甲", "reader-password", grants={"A": "reader"})
    accounts.add("编辑甲", "editor-password", grants={"A": "editor"})
    settings = Settings(index_dir=str(root), embedding=EmbeddingSettings(model=HASH_MODEL))
    port = free_port()
    return serve(settings, "127.0.0.1", port, kb=kb, block=False), f"http://127.0.0.1:{port}"


PASSWORDS = {"读者甲": "reader-password", "编辑甲": "editor-password"}


def _signed_in(url: str, name: str) -> httpx.Client:
    """An HTTP client holding the page session of ``name`` (one of ``_served_with_accounts``'s accounts)."""
    client = httpx.Client()
    assert client.post(f"{url}/login", data={"username": name, "password": PASSWORDS[name]}).status_code == 200
    return client


# every route of the API and what it is asked, per knowledge base; a new route without a line here fails
ROUTE_CALLS = {
    ("GET", "/v1/models"): lambda kb: None,
    ("POST", "/v1/chat/completions"): lambda kb: {
        "model": f"qa-{kb}",
        "messages": [{"role": "user", "content": "积分超市"}],
    },
    ("POST", "/api/search"): lambda kb: {"kb": kb, "query": "积分超市"},
    ("POST", "/retrieval"): lambda kb: {"knowledge_id": kb, "query": "积分超市"},
}


def test_every_route_serves_only_what_the_callers_account_or_key_may_read(seed_kb, tmp_path):
    from qa.app.api.routes import api_router

    routes = {(m, r.path) for r in api_router(Settings(), None, "127.0.0.1").routes for m in r.methods}
    assert routes == set(ROUTE_CALLS)
    app, url = _served_with_accounts(seed_kb, tmp_path)
    try:  # accounts and no key yet: the API is closed like the page
        assert httpx.post(f"{url}/api/search", json={"kb": "B", "query": "积分超市"}).status_code == 401
        assert httpx.get(f"{url}/v1/models").status_code == 401
        store = key_store(tmp_path)
        _, key_a = store.add("A 专用", ["A"])
        _, reader_key = store.add("读者甲的密钥", ["*"], owner="读者甲")  # its owner reads A only
        clients = {"anonymous": httpx.Client(), "key A": httpx.Client(), "reader's key": httpx.Client()}
        clients["key A"].headers["Authorization"] = f"Bearer {key_a}"
        clients["reader's key"].headers["Authorization"] = f"Bearer {reader_key}"
        clients.update({name: _signed_in(url, name) for name in PASSWORDS})
        allowed = {"anonymous": set(), "key A": {"A"}, "reader's key": {"A"}, "读者甲": {"A"}, "编辑甲": {"A"}}
        for caller, client in clients.items():
            for (method, path), body_for in ROUTE_CALLS.items():
                for kb in ("A", "B"):
                    reply = client.request(method, f"{url}{path}", json=body_for(kb), timeout=60)
                    if caller == "anonymous":
                        assert reply.status_code == 401, (caller, path, kb, reply.text)
                    elif path == "/v1/models":
                        assert reply.status_code == 200
                        assert {m["qa"]["kb"] for m in reply.json()["data"]} == allowed[caller], caller
                    elif kb in allowed[caller]:
                        assert reply.status_code == 200, (caller, path, kb, reply.text)
                    else:
                        assert reply.status_code == 403, (caller, path, kb, reply.text)
                        assert "B" not in reply.text.replace("“B”", "")  # no other knowledge base is named
            missing = client.post(f"{url}/api/search", json={"kb": "C", "query": "积分超市"})
            if caller != "anonymous":
                assert missing.status_code == 404 and "“B”" not in missing.text and "、B" not in missing.text
        clients["anonymous"].headers["Authorization"] = "Bearer not-a-key"
        assert clients["anonymous"].post(f"{url}/api/search", json={"kb": "A", "query": "x"}).status_code == 401
    finally:
        app.close()


def test_the_start_up_line_says_who_may_call(seed_kb, tmp_path):
    from qa.app.api.routes import guard_for

    settings = Settings(index_dir=str(tmp_path))
    assert "本机开放" in guard_for(settings, "127.0.0.1").mode()
    assert "本机以外" in guard_for(settings, "0.0.0.0").mode()
    AccountStore(tmp_path).add("管理员", "admin-password", admin=True)
    assert "已建立账号" in guard_for(settings, "127.0.0.1").mode()


def test_an_export_is_downloaded_only_by_the_account_that_made_it(seed_kb, tmp_path):
    from gradio_client import Client

    from qa.app.web.exports import REFUSED

    app, url = _served_with_accounts(seed_kb, tmp_path)
    try:
        editor = Client(url, auth=("编辑甲", "editor-password"), verbose=False, download_files=False)
        _, _, files = editor.predict("我们村建了“积分超市”", None, "A", "", "", api_name="/similar")
        addresses = [f["url"] for f in files]
        assert sorted(Path(f["path"]).suffix for f in files) == [".docx", ".md"]
        sessions = {name: _signed_in(url, name) for name in PASSWORDS}
        for address in addresses:
            assert sessions["编辑甲"].get(address).status_code == 200
            refused = sessions["读者甲"].get(address)
            assert refused.status_code == 404 and refused.text == REFUSED
            assert httpx.get(address).status_code in (401, 403, 404)
        # the reader's own export is theirs
        _, _, own = Client(url, auth=("读者甲", "reader-password"), verbose=False, download_files=False).predict(
            "我们村建了“积分超市”、红黑榜", None, "A", "", "", api_name="/similar"
        )
        assert sessions["读者甲"].get(own[1]["url"]).status_code == 200
        assert sessions["编辑甲"].get(own[1]["url"]).status_code == 404
    finally:
        app.close()


def test_the_page_as_built_names_no_knowledge_base_a_caller_may_not_use(seed_kb, tmp_path):
    app, url = _served_with_accounts(seed_kb, tmp_path, kb="B")
    try:
        config = _signed_in(url, "读者甲").get(f"{url}/config").json()
        samples = [c["props"].get("samples") for c in config["components"] if c["props"].get("samples")]
        assert samples == []  # B's example questions were in the page as built
        kb_choices = [c["props"]["choices"] for c in config["components"] if c["props"].get("elem_id") == "qa-kb"]
        assert kb_choices == [[]]
    finally:
        app.close()


def test_a_refusal_to_write_names_the_missing_right_once(tmp_path):
    from qa.app.web.access import Access
    from qa.errors import UserError

    AccountStore(tmp_path).add("读者甲", "reader-password", grants={"A": "reader"})
    access = Access(Settings(index_dir=str(tmp_path)))
    reader = access.accounts.get("读者甲")
    with pytest.raises(UserError) as none:
        access.require_edit(reader, "B")
    assert "没有知识库 “B” 的权限" in str(none.value) and "权限权限" not in str(none.value)
    with pytest.raises(UserError) as read_only:
        access.require_edit(reader, "A")
    assert "是只读权限" in str(read_only.value)


def _chunked_until_answered(url: str, path: str, headers: dict[str, str], mb: int = 100) -> tuple[int, str, int]:
    """POST a chunked body of ``mb`` 1 MB pieces over a raw socket, stopping when the server answers:
    (status, body, megabytes sent before the answer came)."""
    import select
    import socket
    from urllib.parse import urlsplit

    host, port = urlsplit(url).hostname, urlsplit(url).port
    with socket.create_connection((host, port), timeout=30) as conn:
        head = f"POST {path} HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: chunked\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
        conn.sendall(head.encode())
        piece = b"[" + b"1," * (512 * 1024 - 1) + b"1"  # 1 MB of a JSON array that never closes
        sent = 0
        while sent < mb and not select.select([conn], [], [], 0)[0]:
            try:
                conn.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += 1
        reply = b""
        while b"\r\n\r\n" not in reply or len(reply) < reply.find(b"\r\n\r\n") + 60:
            try:
                data = conn.recv(65536)
            except TimeoutError:
                break
            if not data:
                break
            reply += data
    status = int(reply.split(b" ", 2)[1])
    return status, reply.decode("utf-8", errors="replace"), sent


def test_a_chunked_body_over_the_limit_is_refused_while_it_arrives(server, keys, seed_kb, tmp_path):
    status, reply, sent = _chunked_until_answered(
        server.url, "/api/search", {"Authorization": f"Bearer {keys['all']}", "Content-Type": "application/json"}
    )
    assert status == 413 and "请求过大" in reply and sent < 10, (status, sent)
    # the page's own routes: Gradio's queue takes no 30 MB question, not even from a signed-in user
    app, url = _served_with_accounts(seed_kb, tmp_path)
    try:
        status, reply, sent = _chunked_until_answered(
            url, "/gradio_api/queue/join", {"Content-Type": "application/json"}
        )
        assert status == 413 and "ui.max_request_mb" in reply and sent < 20, (status, sent)
        declared = httpx.post(f"{url}/gradio_api/queue/join", content=b"{" + b" " * (5 * 1024 * 1024) + b"}")
        assert declared.status_code == 413
        _signed_in(url, "读者甲").close()  # the server still serves after refusing both
    finally:
        app.close()


def test_every_page_endpoint_works_from_gradio_client_with_the_values_the_page_offers(seed_kb, tmp_path):
    """As the README shows: an editor of A and a reader of A call each endpoint through gradio_client; a
    document is named for /delete_document by what /documents returns (its id, the list's label, its file
    name); the reader is refused every write and every call on B, in Chinese."""
    from gradio_client import Client, handle_file
    from gradio_client.exceptions import AppError

    app, url = _served_with_accounts(seed_kb, tmp_path)
    report = tmp_path / "测试县经验.txt"
    report.write_text("测试县推行“积分超市”，村民以志愿服务积分兑换生活用品，全县建成积分超市42个。", encoding="utf-8")
    try:
        with pytest.raises(Exception, match="(?i)login|auth|401"):  # anonymous: no endpoint at all
            Client(url, verbose=False)
        for endpoint in ("/documents", "/search", "/ask"):  # and no page endpoint over plain HTTP either
            assert httpx.post(f"{url}/gradio_api/call{endpoint}", json={"data": ["A"]}).status_code in (401, 403)
        editor = Client(url, auth=("编辑甲", "editor-password"), verbose=False)
        reader = Client(url, auth=("读者甲", "reader-password"), verbose=False)
        api = editor.view_api(return_format="dict", print_info=False)["named_endpoints"]
        listed = {"/ask", "/similar", "/cite", "/cite_export", "/ingest", "/documents", "/delete_document", "/search"}
        assert listed <= set(api)
        examples = {name: [p["example_input"] for p in api[name]["parameters"]] for name in listed}
        assert examples["/ask"][:2] == ["思南县完成了多少支驻村工作队选派？", []]  # the page's own example question
        assert examples["/ingest"][1][0]["path"] == "jingyan.docx"  # a local file, not Gradio's sample URL
        assert not re.search(r"Hello|How can I|github|foo", json.dumps(examples, ensure_ascii=False))
        rows = editor.predict("A", [handle_file(str(report))], api_name="/ingest")
        assert "测试县经验.txt" in str(rows) and "已索引" in str(rows)
        documents = reader.predict("A", api_name="/documents")
        assert len(documents) == 6 and all(isinstance(row[0], int) for row in documents)
        table = reader.predict("A", "积分超市", 3, api_name="/search")
        assert any("积分超市" in row[-1] for row in table["data"])
        *_, last = reader.predict("测试县建成多少个积分超市？", [], None, "A", "", "", "", "", api_name="/ask")
        html, groups, files = reader.predict("我们村建了积分超市", None, "A", "", "", api_name="/similar")
        assert groups["groups"] and len(files) == 2
        _, chosen, state = reader.predict("我县推行积分超市，村民以积分兑换生活用品。", None, "A", "", api_name="/cite")
        assert len(reader.predict(state, chosen["value"], api_name="/cite_export")) == 2
        for caller, call in (
            ("reader deletes", lambda: reader.predict("A", str(documents[0][0]), api_name="/delete_document")),
            ("reader imports", lambda: reader.predict("A", [handle_file(str(report))], api_name="/ingest")),
            ("reader reads B", lambda: reader.predict("B", api_name="/documents")),
        ):
            with pytest.raises(AppError) as refused:
                call()
            assert "权限" in str(refused.value) and "upstream" not in str(refused.value), caller
        by_id, by_label, by_name = documents[0], documents[1], documents[2]
        for ref in (str(by_id[0]), f"{by_label[0]}：{by_label[1]}", by_name[1]):
            editor.predict("A", ref, api_name="/delete_document")
        left = {row[1] for row in editor.predict("A", api_name="/documents")}
        assert left.isdisjoint({by_id[1], by_label[1], by_name[1]}) and len(left) == 3
        with pytest.raises(AppError) as missing:
            editor.predict("A", "", api_name="/delete_document")
        assert "请先" in str(missing.value)
    finally:
        app.close()
