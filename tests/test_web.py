"""The web app: a real Gradio server in this process, driven by Debian's headless Chromium through
Playwright, and called through gradio_client. Screenshots land in tests/artifacts/."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from qa.settings import Settings

from .conftest import ROOT, free_port
from .fake_llm import FakeLLM

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
ARTIFACTS = ROOT / "tests" / "artifacts"
EVIL = "<script>window.__pwned = 1</script>![追踪](http://127.0.0.1:9/pixel.png)"


def _start(settings: dict):
    from qa.app.web.layout import serve

    port = free_port()
    app = serve(settings, "127.0.0.1", port, block=False)
    return app, app.local_url.rstrip("/")


@pytest.fixture(scope="module")
def index_dir(real_seed_kb, tmp_path_factory) -> Path:
    """A private copy of the seed knowledge base, built with the real default model as `make run` builds it:
    these tests add and delete documents."""
    folder = tmp_path_factory.mktemp("web-index")
    shutil.copytree(real_seed_kb.folder, folder / "default")
    return folder


@pytest.fixture(scope="module")
def offline_url(index_dir):
    settings = Settings(index_dir=str(index_dir))
    app, url = _start(settings)
    yield url
    app.close()


@pytest.fixture(scope="module")
def llm_server():
    with FakeLLM() as server:
        yield server


@pytest.fixture(scope="module")
def llm_url(index_dir, llm_server):
    settings = Settings(index_dir=str(index_dir))
    settings = settings.replace(llm=dict(provider="openai", base_url=llm_server.base_url, model="fake", max_retries=0))
    app, url = _start(settings)
    yield url
    app.close()


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        if os.environ.get("QA_REQUIRE_BROWSER"):
            pytest.fail("chromium is not installed: .ci/run installs it (apt-get install chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium chromium-driver)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request):
    context, page = _new_page(browser, 1400, 1000)
    yield page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


def _new_page(browser, width: int, height: int, locale: str = "zh-CN"):
    """A browser context of its own (cookies, locale) and its page; the caller closes the context."""
    context = browser.new_context(viewport={"width": width, "height": height}, locale=locale)
    page = context.new_page()
    page.set_default_timeout(90_000)
    return context, page


def _assert_no_english(seen: list[str]) -> None:
    from .test_chinese import english_words

    words = sorted({w for text in seen for w in english_words(text)})
    assert not words, [(w, [t[max(0, t.find(w) - 40) : t.find(w) + 40] for t in seen if w in t][:1]) for w in words]


def _wait_text(page, selector: str, text: str, present: bool = True) -> None:
    """Wait until the element holds (or no longer holds) ``text``; an element not there yet is waited for."""
    page.wait_for_function(
        "([selector, text, present]) => { const e = document.querySelector(selector);"
        " return !!e && e.innerText.includes(text) === present; }",
        arg=[selector, text, present],
    )


def _ask(page, question: str) -> None:
    page.fill("#qa-question textarea", question)
    page.click("#qa-send")


def _article_texts(index_dir: Path) -> list[str]:
    import sqlite3

    with sqlite3.connect(index_dir / "default" / "kb.sqlite") as conn:
        return [r[0] for r in conn.execute("SELECT text FROM articles")]


def test_ask_shows_answer_and_a_citation_card_highlighting_the_source(page, offline_url, index_dir):
    page.goto(offline_url)
    _ask(page, "思南县完成了多少支驻村工作队选派？")
    page.wait_for_selector("#qa-cards .qa-card")
    assert "301支" in page.inner_text("#qa-chat")
    assert "回答方式：摘录" in page.inner_text("#qa-badge")
    card = page.locator("#qa-cards .qa-card").first
    marked = card.locator(".qa-passage mark").inner_text()
    assert "301支驻村工作队" in marked
    assert any(marked in text for text in _article_texts(index_dir))  # the highlight is the source's own text
    assert card.locator(".qa-source").inner_text().startswith("（来源：思南县《抓实农村党建 赋能乡村振兴》")
    card.locator("summary").click()  # 展开全文
    assert "301支驻村工作队" in card.locator(".qa-article mark").inner_text()
    card.locator(".qa-copy").first.click()
    page.wait_for_function("() => document.querySelector('#qa-cards .qa-copy').innerText === '已复制'")
    copies = card.locator(".qa-copy")
    assert copies.nth(0).get_attribute("data-cite").startswith("“")  # the quote with its source line
    assert copies.nth(1).get_attribute("data-cite").startswith("（来源：")  # the source line alone
    card.locator("summary").click()  # closed again: clicking [1] opens it
    page.locator("#qa-chat a[href='#cite-0-1']").first.click()
    page.wait_for_function("() => document.querySelector('#cite-0-1 details').open")
    mark = page.locator("#cite-0-1 .qa-article mark")
    assert "301支驻村工作队" in mark.inner_text() and mark.is_visible()
    box = mark.bounding_box()
    assert 0 <= box["y"] < page.viewport_size["height"]  # scrolled to the highlighted sentence
    # the conversation and its citations survive a page refresh
    page.reload()
    page.wait_for_selector("#qa-cards .qa-card")
    assert "思南县完成了多少支驻村工作队选派" in page.inner_text("#qa-chat")


def test_llm_answer_streams_and_renders_inert(page, llm_url, llm_server):
    def reply(messages):
        if "注入" in messages[-1]["content"]:
            return (
                f"{EVIL}蓼皋街道全面落实社区工作者“5岗20级”薪酬增长机制[1]。"
                "详情见蓼皋街道薪酬机制 https://evil.example/x?a=1 和 www.evil.example[1]。"
            )
        return "蓼皋街道全面落实社区工作者“5岗20级”薪酬增长机制，构建复合型薪酬体系[1]。" * 3

    llm_server.reply, llm_server.pause = reply, 0.15
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(llm_url)
    _ask(page, "蓼皋街道社区工作者的薪酬增长机制是什么？")
    bot = page.locator("#qa-chat .bot, #qa-chat [data-testid='bot']").last
    page.wait_for_function(
        "() => { const c = document.querySelector('#qa-chat'); return c && c.innerText.includes('5岗20级'); }"
    )
    partial_had_no_card = page.locator("#qa-cards .qa-card").count() == 0
    page.wait_for_selector("#qa-cards .qa-card")
    assert partial_had_no_card, "the answer appeared only when complete: it was not streamed"
    assert "回答方式：大模型" in page.inner_text("#qa-badge")
    assert bot.count() >= 1

    llm_server.pause = 0.0
    _ask(page, "注入测试：蓼皋街道薪酬机制")
    _wait_text(page, "#qa-chat", "<script>")
    page.wait_for_timeout(500)
    assert page.evaluate("() => window.__pwned") is None
    assert page.locator("#qa-chat script").count() == 0
    assert page.locator("#qa-chat img[src*='127.0.0.1:9']").count() == 0
    assert not any("127.0.0.1:9/" in url for url in requests)
    # addresses are shown as text, never as a link out, and the [n] after one still opens its card
    assert page.locator("#qa-chat a[href*='evil.example']").count() == 0
    _wait_text(page, "#qa-chat", "https://evil.example/x?a=1")
    last = page.locator("#qa-chat a[href^='#cite-']").last
    assert last.inner_text() == "[1]"


def test_similar_tab_groups_results_by_place(page, offline_url):
    page.goto(offline_url)
    page.get_by_role("tab", name="相似经验").click()
    page.fill("#qa-similar-text textarea", "我县深入推进村级事务准入制度，全面清理规范村级组织挂牌，为村干部减负。")
    page.click("#qa-similar-go")
    page.wait_for_selector("#qa-similar-result .qa-group")
    places = page.locator("#qa-similar-result .qa-group h3").all_inner_texts()
    assert any(p.startswith("思南县") for p in places)
    assert any("关于党建引领乡村振兴的经验材料" in p for p in places)


def _options(page, selector: str) -> list[str]:
    """The choices a dropdown offers (opened, read, closed)."""
    page.click(f"{selector} input")
    options = page.locator("ul[role=listbox] li").all_inner_texts()
    page.keyboard.press("Escape")
    return options


def test_upload_gbk_file_then_delete_it(page, offline_url, tmp_path):
    report = tmp_path / "测试县经验.txt"
    report.write_bytes(
        "寿光市推行“彩虹积分”经验\n近年来，山东省寿光市推行“彩虹积分”管理办法，党员参与志愿服务积分兑换，群众满意度明显提升。".encode(
            "gbk"
        )
    )
    page.goto(offline_url)
    page.get_by_role("tab", name="知识库").click()
    page.locator("#qa-upload input[type=file]").set_input_files(str(report))
    page.wait_for_timeout(1000)
    page.click("#qa-upload-go")
    _wait_text(page, "#qa-upload-result", "已索引")
    _wait_text(page, "#qa-docs", "测试县经验.txt")

    # every list and filter of the page knows it, without a restart
    assert any("测试县经验.txt" in o for o in _options(page, "#qa-doc-pick"))
    page.get_by_role("tab", name="问答").click()
    page.get_by_text("示例问题与检索范围").click()
    assert "测试县经验.txt" in _options(page, "#qa-doc-filter")
    assert "山东省" in _options(page, "#qa-province")
    page.get_by_role("tab", name="知识库").click()

    page.fill("#qa-probe textarea", "彩虹积分")
    page.click("#qa-probe-go")
    _wait_text(page, "#qa-probe-result", "测试县经验.txt")

    assert page.locator("#qa-doc-pick input").input_value() == ""  # nothing chosen by default
    page.click("#qa-doc-pick input")
    page.locator("ul[role=listbox] li", has_text="测试县经验.txt").click()
    page.get_by_text("修改元数据").click()  # the editor starts from the document's current values
    page.wait_for_function(
        "() => { const box = document.querySelector('#qa-meta-0 textarea'); return box && box.value.includes('彩虹积分'); }"
    )
    page.click("#qa-delete")  # the first click only asks, naming the document
    page.wait_for_selector("#qa-delete-confirm", state="visible")
    assert "测试县经验.txt" in page.inner_text("#qa-delete-question")
    page.click("#qa-delete-no")
    page.wait_for_selector("#qa-delete-confirm", state="hidden")
    assert "测试县经验.txt" in page.inner_text("#qa-docs")
    page.click("#qa-delete")
    page.click("#qa-delete-yes")
    _wait_text(page, "#qa-docs", "测试县经验.txt", present=False)
    assert not any("测试县经验.txt" in o for o in _options(page, "#qa-doc-pick"))
    page.click("#qa-probe-go")
    page.wait_for_timeout(1500)
    _wait_text(page, "#qa-probe-result", "测试县经验.txt", present=False)


def test_every_function_is_reachable_through_gradio_client(offline_url):
    from gradio_client import Client

    client = Client(offline_url, verbose=False)
    api = client.view_api(return_format="dict", print_info=False)
    names = set(api["named_endpoints"])
    assert {
        "/ask",
        "/similar",
        "/cite",
        "/cite_export",
        "/ingest",
        "/documents",
        "/delete_document",
        "/search",
    } <= names
    docs = client.predict("default", api_name="/documents")
    assert sorted(row[1][:3] for row in docs) == ["000", "001", "002", "003", "004"]
    table = client.predict("default", "积分超市", 3, api_name="/search")
    assert table["headers"][0] == "排名" and any("积分超市" in row[-1] for row in table["data"])
    html, groups, files = client.predict("我们村建了“积分超市”", None, "default", "", "", api_name="/similar")
    assert groups["groups"][0]["place"] == "思南县" and "思南县" in html
    assert sorted(Path(f).suffix for f in files) == [".docx", ".md"]
    draft = "我县全面推行村级事务准入制度，清理村级组织挂牌，规范各类证明事项，切实为基层减负。"
    html, chosen, state = client.predict(draft, None, "default", "", api_name="/cite")
    accepted = chosen["value"]  # the checkbox update: every suggestion as a choice, the first accepted
    assert accepted == ["第1段·建议1：" + state[0]["suggestions"][0]["source_line"]] and "（来源：" in html
    files = client.predict(state, accepted, api_name="/cite_export")
    markdown = next(Path(f) for f in files if f.endswith(".md")).read_text(encoding="utf-8")
    assert "[1]" in markdown and "## 参考资料" in markdown


def test_login_is_required_when_users_are_configured(index_dir, monkeypatch):
    import httpx

    monkeypatch.setenv("QA_TEST_UI_PASSWORD", "口令-123")
    settings = Settings(index_dir=str(index_dir))
    settings = settings.replace(ui={"auth": [{"username": "zuzhibu", "password_env": "QA_TEST_UI_PASSWORD"}]})
    app, url = _start(settings)
    try:
        assert httpx.get(f"{url}/config").status_code == 401
        with httpx.Client() as client:
            login = client.post(f"{url}/login", data={"username": "zuzhibu", "password": "口令-123"})
            assert login.status_code == 200
            assert client.get(f"{url}/config").status_code == 200
        assert httpx.post(f"{url}/login", data={"username": "zuzhibu", "password": "错"}).status_code == 400
    finally:
        app.close()


def test_missing_login_password_is_named(index_dir, monkeypatch):
    from qa.app.web.access import Access
    from qa.errors import UserError

    monkeypatch.delenv("QA_TEST_UNSET", raising=False)
    settings = Settings(index_dir=str(index_dir))
    with pytest.raises(UserError, match="QA_TEST_UNSET"):
        Access(settings.replace(ui={"auth": [{"username": "a", "password_env": "QA_TEST_UNSET"}]}))


def test_uploaded_file_names_cannot_escape_the_upload_folder():
    from qa.text import safe_file_name

    assert safe_file_name("../../etc/passwd") == "passwd"
    assert safe_file_name("..\\..\\报告 (1).DOCX") == "报告_1.docx"
    assert re.fullmatch(r"[\w\u4e00-\u9fff.-]+", safe_file_name("<script>.txt"))


def test_the_openai_compatible_api_is_served_beside_the_page(offline_url, page):
    import html

    import httpx
    import openai

    client = openai.OpenAI(base_url=f"{offline_url}/v1", api_key="local", max_retries=0)
    assert [m.id for m in client.models.list()] == ["qa-default"]
    question = "思南县完成了多少支驻村工作队选派？"
    reply = client.chat.completions.create(model="qa-default", messages=[{"role": "user", "content": question}])
    text = reply.choices[0].message.content
    assert "301支" in text and "参考资料：" in text
    assert httpx.get(offline_url).text.count("经验材料问答") >= 1  # the page is still there
    # the reply as a text-only chat client shows it (the README's picture of the API)
    page.set_content(
        "<html><body style='font-family: Noto Sans CJK SC; max-width: 900px; margin: 24px'>"
        f"<p><b>用户</b>：{html.escape(question)}</p><p><b>qa-default</b>：</p>"
        f"<pre style='white-space: pre-wrap; font-family: inherit'>{html.escape(text)}</pre></body></html>"
    )
    assert page.locator("pre").inner_text().startswith(text.split("\n")[0])


# ------------------------------------------------------------------ an office's daily use


def _login(page, url: str, name: str, password: str) -> None:
    page.goto(url)
    page.fill("input[type=text]", name)
    page.fill("input[type=password]", password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_selector("#qa-question textarea")


def _conversations(page) -> list[str]:
    return page.locator("#qa-conv-list label").all_inner_texts()


def _wait_answered(page, turns: int) -> None:
    page.wait_for_function(
        f"() => document.querySelectorAll('#qa-chat [data-testid=bot]').length >= {turns}"
        " && document.querySelector('#qa-cards').innerText.length > 0"
    )
    page.wait_for_timeout(500)


@pytest.fixture
def office_dir(real_seed_kb, tmp_path) -> Path:
    """A knowledge base with two accounts, made as an administrator makes them: an editor and a reader."""
    import subprocess
    import sys

    shutil.copytree(real_seed_kb.folder, tmp_path / "default")
    for name, role, password in [("编辑甲", "--editor", "editor-password"), ("读者乙", "--reader", "reader-password")]:
        command = [sys.executable, "-m", "qa.app.cli", "user", "add", name, role, "default", "--password-env", "PW"]
        command += ["--index-dir", str(tmp_path)]
        subprocess.run(command, check=True, env={**os.environ, "PW": password}, capture_output=True)
    return tmp_path


def test_accounts_and_conversations_outlast_a_reload_and_a_server_restart(browser, office_dir):
    settings = Settings(index_dir=str(office_dir))
    app, url = _start(settings)
    context, page = _new_page(browser, 1366, 900)
    try:
        # the reader asks, but may not delete: the button is off, and the server refuses anyway
        _login(page, url, "读者乙", "reader-password")
        _wait_text(page, "#qa-user", "当前用户：读者乙（只读）")
        page.get_by_role("tab", name="知识库").click()
        _wait_text(page, "#qa-docs", "000_")
        assert page.locator("#qa-delete").is_disabled() and page.locator("#qa-upload-go").is_disabled()

        # the editor: two conversations, one renamed, one continued after a reload
        context.clear_cookies()
        _login(page, url, "编辑甲", "editor-password")
        _ask(page, "思南县完成了多少支驻村工作队选派？")
        _wait_answered(page, 1)
        page.click("#qa-new-conv")
        page.wait_for_function("() => document.querySelectorAll('#qa-chat [data-testid=bot]').length === 0")
        _ask(page, "“四议两公开”是怎么做的？")
        _wait_answered(page, 1)
        assert _conversations(page) == ["“四议两公开”是怎么做的？（1问）", "思南县完成了多少支驻村工作队选派？（1问）"]
        page.get_by_text("管理当前对话").click()
        # the accordion's box must be shown before typing: text typed while it is still being drawn is lost
        page.wait_for_selector("#qa-conv-title textarea", state="visible")
        page.fill("#qa-conv-title textarea", "四议两公开")
        page.wait_for_function("() => document.querySelector('#qa-conv-title textarea').value === '四议两公开'")
        page.click("#qa-conv-rename")
        _wait_text(page, "#qa-conv-list", "四议两公开（1问）")

        page.reload()  # the open conversation comes back
        _wait_text(page, "#qa-chat", "四议两公开")
        _ask(page, "具体有哪些程序？")
        _wait_answered(page, 2)
        _wait_text(page, "#qa-conv-list", "四议两公开（2问）")
    finally:
        app.close()

    app, url = _start(settings)  # a server restart
    try:
        context.clear_cookies()
        _login(page, url, "编辑甲", "editor-password")
        _wait_text(page, "#qa-conv-list", "四议两公开（2问）")
        page.get_by_text("思南县完成了多少支驻村工作队选派？（1问）").click()
        _wait_text(page, "#qa-chat", "301支")
        page.wait_for_selector("#qa-cards .qa-card")
        page.get_by_text("管理当前对话").click()
        page.click("#qa-conv-delete")  # asks first, naming the conversation
        _wait_text(page, "#qa-conv-question", "思南县完成了多少支驻村工作队选派？")
        page.click("#qa-conv-delete-yes")
        _wait_text(page, "#qa-conv-list", "驻村工作队", present=False)
        assert _conversations(page) == ["四议两公开（2问）"]

        context.clear_cookies()  # conversations are per user
        _login(page, url, "读者乙", "reader-password")
        page.wait_for_timeout(1000)
        assert _conversations(page) == []
    finally:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "conversations.png"), full_page=True)
        context.close()
        app.close()


@pytest.mark.parametrize("width, height", [(1366, 768), (390, 844)])
def test_layouts_keep_the_question_box_and_every_tab_in_reach(browser, offline_url, width, height):
    context, page = _new_page(browser, width, height)
    try:
        page.goto(offline_url)
        page.wait_for_selector("#qa-question textarea")
        page.wait_for_timeout(1000)
        tabs = page.get_by_role("tab")
        assert tabs.all_inner_texts() == ["问答", "相似经验", "起草引用", "知识库", "设置"]  # none behind "…"
        assert all(tab.is_visible() for tab in tabs.all())
        if width > 1000:  # on a laptop the question box is in view without scrolling
            box = page.locator("#qa-question textarea").bounding_box()
            assert box["y"] + box["height"] <= height
        _ask(page, "思南县完成了多少支驻村工作队选派？")
        page.wait_for_selector("#qa-cards .qa-card")
        page.wait_for_timeout(500)
        chat, cards = page.locator("#qa-chat").bounding_box(), page.locator("#qa-cards").bounding_box()
        conversations = page.locator("#qa-conv-list").bounding_box()
        if width < 500:  # on a phone the cards follow the answer; the conversation list comes after them
            assert chat["y"] < cards["y"] < conversations["y"]
        page.screenshot(path=str(ARTIFACTS / f"layout_{width}x{height}.png"))
        page.get_by_role("tab", name="知识库").click()
        _wait_text(page, "#qa-docs", "000_")
        table = page.locator("#qa-docs table").first
        if width > 1000:  # the document table shows every column without sideways scrolling
            assert table.evaluate("t => t.scrollWidth <= t.parentElement.clientWidth + 2")
        page.screenshot(path=str(ARTIFACTS / f"layout_{width}x{height}_kb.png"))
    finally:
        context.close()


def test_no_english_meets_the_eye_in_the_web_page(page, offline_url):

    page.goto(offline_url)
    page.wait_for_selector("#qa-question textarea")
    _ask(page, "   ")  # an empty question: one notice, no red badges
    page.wait_for_selector(".toast-body")
    page.wait_for_timeout(300)
    notices = page.locator(".toast-body").all_inner_texts()
    assert len(notices) == 1 and "请先输入问题" in notices[0] and "注意" in notices[0]
    assert page.locator(".error").count() == 0
    page.add_style_tag(content="code, pre {display: none !important}")  # settings keys and commands are code
    seen = [page.inner_text("body")]
    for name in ["相似经验", "起草引用", "知识库", "设置"]:
        page.get_by_role("tab", name=name).click()
        page.wait_for_timeout(500)
        for accordion in page.locator("button.label-wrap:visible").all():
            accordion.click()
        page.wait_for_timeout(300)
        seen.append(page.inner_text("body"))
    _assert_no_english(seen)


def test_an_english_browser_sees_chinese_on_the_login_and_on_every_page(browser, office_dir):
    """An office PC set to English: the login form, the upload box, the footer and the tabs are Chinese
    all the same (Gradio takes its own strings from the browser's language)."""
    from .test_chinese import english_words

    app, url = _start(Settings(index_dir=str(office_dir)))
    context, page = _new_page(browser, 1366, 900, locale="en-US")
    try:
        page.goto(url)
        page.wait_for_selector("input[type=password]")
        page.wait_for_timeout(500)
        login = page.inner_text("body")
        assert "登录" in login and not english_words(login), login
        assert page.evaluate("() => document.documentElement.lang") == "zh-CN"
        _login(page, url, "编辑甲", "editor-password")
        page.add_style_tag(content="code, pre {display: none !important}")
        seen = [page.inner_text("body")]
        page.get_by_role("tab", name="知识库").click()
        _wait_text(page, "#qa-docs", "000_")
        seen.append(page.inner_text("body"))
        _assert_no_english(seen)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "english_browser_kb.png"), full_page=True)
        # the API page: Gradio's own phrases and the endpoints' descriptions in Chinese (names and types are code)
        page.get_by_text("通过 API 使用").first.click()
        page.wait_for_selector("text=接口名：")
        page.add_style_tag(content="span.code {display: none !important}")
        api_page = page.inner_text("body")
        assert "必填" in api_page and "的输入值" in api_page and "知识库中的文档：编号" in api_page, api_page[:2000]
        _assert_no_english([api_page])
        assert not re.search(r"接口\s*s\b", api_page)  # "8 API endpoints": no plural s left behind
        page.get_by_text("MCP", exact=True).first.click()  # the MCP tab's note, its code left as code
        page.wait_for_selector("text=MCP 服务器")
        page.add_style_tag(content="code {display: none !important}")
        _assert_no_english([page.inner_text("body")])
        page.goto(url)  # the page again, without the API panel over it
        page.wait_for_selector("#qa-logout")
        page.click("#qa-logout")  # signing out returns to the login form
        page.wait_for_selector("input[type=password]")
        page.goto(url)
        page.wait_for_selector("input[type=password]")
    finally:
        context.close()
        app.close()


def test_clicking_an_example_question_asks_it(page, offline_url):
    page.goto(offline_url)
    page.wait_for_selector("#qa-question textarea")
    page.get_by_text("示例问题与检索范围").click()
    example = page.get_by_role("button").filter(has_text="是怎么做的？").first  # every example asks how
    asked = example.inner_text().strip()
    example.click()
    page.wait_for_function("() => document.querySelectorAll('#qa-chat [data-testid=bot]').length >= 1")
    _wait_text(page, "#qa-chat", asked[:8])


def test_a_long_answer_is_shown_from_its_start_under_no_label(page, offline_url):
    page.goto(offline_url)
    page.wait_for_selector("#qa-question textarea")
    assert page.locator("#qa-chat label:visible, #qa-chat [data-testid='block-label']:visible").count() == 0
    for turns, question in enumerate(("思南县完成了多少支驻村工作队选派？", "各地是怎样发展壮大村集体经济的？"), 1):
        _ask(page, question)
        _wait_answered(page, turns)
    # the last question asked is at the top of the chat's view, its answer's first line below it
    shown = page.evaluate(
        """() => {
        const chat = document.getElementById('qa-chat');
        const asked = [...chat.querySelectorAll('[data-testid=user]')].pop();
        const box = chat.getBoundingClientRect(), top = asked.getBoundingClientRect().top;
        return top >= box.top - 2 && top < box.top + box.height / 2;
    }"""
    )
    assert shown
    page.locator("#qa-chat a[href^='#cite-']").last.click()
    page.wait_for_selector("#qa-cards .qa-flash")
