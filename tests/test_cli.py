"""The `qa` command as a user runs it: a real subprocess, a real index folder."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT, SEEDS


def qa(*args: str, index_dir: Path, check: bool = True, test_embedder: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "QA_INDEX_DIR": str(index_dir), "COLUMNS": "200"}
    if test_embedder:  # the model-free test embedder: these tests are about the commands, not retrieval quality
        env["QA_EMBEDDING_MODEL"] = "hash-test"
    proc = subprocess.run(
        [sys.executable, "-m", "qa.app.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def test_inspect_json_shape():
    proc = qa("inspect", str(next(SEEDS.glob("004_*.txt"))), "--json", index_dir=Path("unused"))
    data = json.loads(proc.stdout)
    assert data["document"]["file_name"].startswith("004_")
    assert len(data["articles"]) == 5
    for article in data["articles"]:
        assert set(article) >= {"title", "author", "place", "date", "text", "chunks"}
        for chunk in article["chunks"]:
            assert set(chunk) >= {"id", "section", "kind", "text", "start", "end"}
            assert article["text"][chunk["start"] : chunk["end"]] == chunk["text"]


def test_ingest_search_docs_remove(tmp_path):
    index_dir = tmp_path / "idx"
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "empty.txt").write_bytes(b"")
    proc = qa("ingest", str(SEEDS), str(broken), index_dir=index_dir)
    assert proc.stdout.count("已索引") >= 5 and "文件为空" in proc.stdout

    questions = tmp_path / "q.jsonl"
    questions.write_text(
        json.dumps({"question": "5岗20级薪酬"}, ensure_ascii=False)
        + "\n"
        + json.dumps({"question": "四议两公开"}, ensure_ascii=False)
        + "\n",
        encoding="utf-8",
    )
    lines = qa("search", "--batch", str(questions), "-k", "3", index_dir=index_dir).stdout.splitlines()
    assert len(lines) == 2
    first = json.loads(lines[0])
    assert first["question"] == "5岗20级薪酬"
    top = first["hits"][0]
    assert set(top) == {"doc", "title", "place", "province", "section", "text", "start", "end", "score", "ocr", "page"}
    assert "5岗20级" in top["text"] and top["place"] == "蓼皋街道"

    # shown for reading: every line of a passage (one joined from neighbours has several) under its heading
    shown = qa("search", "思南县是怎样培育村级骨干的？", "-k", "5", index_dir=index_dir).stdout.splitlines()
    heads = [line for line in shown if line[:1].isdigit()]
    body = [line for line in shown if line and not line[:1].isdigit()]
    assert len(heads) == 5 and len(body) > 5 and all(line.startswith("   ") for line in body)

    docs = json.loads(qa("docs", "--json", index_dir=index_dir).stdout)
    assert len(docs) == 5 and sum(d["chunks"] for d in docs) > 50

    target = next(SEEDS.glob("004_*.txt")).name
    qa("remove", target, index_dir=index_dir)
    hits = json.loads(qa("search", "5岗20级", "--json", "-k", "20", index_dir=index_dir).stdout)["hits"]
    assert all(h["doc"] != target for h in hits)
    listing = qa("docs", index_dir=index_dir).stdout
    assert "4 个文档" in listing and "个分段" in listing


def test_missing_knowledge_base_is_a_clear_error(tmp_path):
    proc = qa("search", "党建", index_dir=tmp_path / "none", check=False)
    assert proc.returncode == 1
    assert "不存在" in proc.stderr and "qa ingest" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.slow  # loads sentence-transformers (and torch) to find the model missing
def test_unknown_model_error_says_what_to_put_in_config(tmp_path):
    env_config = tmp_path / "config.yaml"
    env_config.write_text("embedding:\n  model: /no/such/model-folder\n", encoding="utf-8")
    proc = qa(
        "ingest", str(SEEDS), "--config", str(env_config), index_dir=tmp_path / "idx", check=False, test_embedder=False
    )
    assert proc.returncode == 1
    assert "embedding.model" in proc.stderr and "Traceback" not in proc.stderr


def test_ask_offline_json_and_batch(seed_kb, tmp_path):
    index_dir = seed_kb.folder.parent
    answer = json.loads(qa("ask", "蓼皋街道社区工作者的薪酬增长机制是什么？", "--json", index_dir=index_dir).stdout)
    assert answer["mode"] == "extractive" and not answer["abstained"]
    assert "5岗20级" in answer["text"] and answer["citations"][0]["source_line"].startswith("（来源：蓼皋街道")
    batch = tmp_path / "ask.jsonl"
    batch.write_text(
        "\n".join(
            json.dumps(item, ensure_ascii=False)
            for item in (
                {"question": "开平市按什么比例配足村党组织书记后备人选？"},
                {"question": "那思南县呢？", "history": ["开平市按什么比例配足村党组织书记后备人选？"]},
                {"question": "如何防治小麦条锈病？"},
            )
        ),
        encoding="utf-8",
    )
    lines = [json.loads(line) for line in qa("ask", "--batch", str(batch), index_dir=index_dir).stdout.splitlines()]
    assert len(lines) == 3
    assert "1:2" in lines[0]["text"]
    # the words that answer: in the JSON, inside the quote they were marked in
    assert "1:2" in lines[0]["short_answer"] and lines[0]["short_answer"] in lines[0]["citations"][0]["quote"]
    assert lines[1]["standalone_question"].startswith("思南县")
    assert lines[2]["abstained"] and lines[2]["related"]
    shown = qa("ask", "积分超市", "--stream", index_dir=index_dir).stdout
    assert "[1]" in shown and "回答方式：摘录" in shown and "（来源：" in shown


def test_ask_through_an_openai_compatible_endpoint(seed_kb, monkeypatch):
    from .fake_llm import FakeLLM

    with FakeLLM() as server:
        server.reply = "蓼皋街道全面落实社区工作者“5岗20级”薪酬增长机制[1]。"
        monkeypatch.setenv("QA_LLM_PROVIDER", "openai")
        monkeypatch.setenv("QA_LLM_BASE_URL", server.base_url)
        monkeypatch.setenv("QA_LLM_MODEL", "deepseek-chat")
        proc = qa("ask", "蓼皋街道社区工作者的薪酬增长机制是什么？", "--json", index_dir=seed_kb.folder.parent)
    answer = json.loads(proc.stdout)
    assert answer["mode"] == "llm" and answer["unsupported"] == []
    assert answer["citations"][0]["place"] == "蓼皋街道" and "5岗20级" in answer["citations"][0]["quote"]
    assert server.requests[0]["model"] == "deepseek-chat"


def test_ask_shows_its_confidence_in_chinese(seed_kb):
    proc = qa("ask", "蓼皋街道社区工作者的薪酬增长机制是什么？", index_dir=seed_kb.folder.parent)
    [line] = [line for line in proc.stdout.splitlines() if "可信度：" in line]
    assert ("可信度：较高" in line or "可信度：较低" in line) and "high" not in line and "low" not in line


def test_an_odd_folder_never_stops_the_import_and_links_outside_are_refused(tmp_path):
    """A name that is not UTF-8 beside the seeds, links to a file outside the folder, to devices and to
    themselves, a pipe and a folder named like a file: every seed indexed, exit 0, one row per entry,
    and the password file behind a link never searchable."""
    folder = tmp_path / "d"
    shutil.copytree(SEEDS, folder)
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n机密内容不应被导入。" * 3, encoding="utf-8")
    odd_name = os.path.join(os.fsencode(folder), b"bad\xff\xfe.txt")
    with open(odd_name, "wb") as handle:
        handle.write("铜仁市党建引领乡村振兴，组建护林员队伍一百二十支，守护青山绿水。".encode())
    (folder / "passwd_link.txt").symlink_to(secret)
    (folder / "zero.txt").symlink_to("/dev/zero")
    (folder / "loop.txt").symlink_to(folder / "loop.txt")
    (folder / "inside_link.txt").symlink_to(folder / next(SEEDS.glob("000_*.txt")).name)
    os.mkfifo(folder / "pipe.txt")
    (folder / "x.txt").mkdir()
    index_dir = tmp_path / "idx"

    proc = qa("ingest", str(folder), "--json", index_dir=index_dir)
    rows = {Path(r["path"]).name: r for r in json.loads(proc.stdout)["results"]}
    assert all(rows[p.name]["status"] == "indexed" for p in SEEDS.glob("*.txt"))
    assert rows["bad\\xff\\xfe.txt"]["status"] == "indexed"  # stored and shown with its bytes escaped
    assert rows["inside_link.txt"]["status"] in ("duplicate", "indexed")  # a link inside the folder is read
    for name, words in {
        "passwd_link.txt": "导入文件夹之外",
        "zero.txt": "不是普通文件",
        "loop.txt": "循环",
        "pipe.txt": "不是普通文件",
        "x.txt": "文件夹",
    }.items():
        assert rows[name]["status"] == "failed" and words in rows[name]["reason"], (name, rows[name])
    found = json.loads(qa("search", "root:x:0:0", "--json", "-k", "20", index_dir=index_dir).stdout)
    assert not any("root:x" in h["text"] for h in found["hits"])
    found = json.loads(qa("search", "护林员队伍", "--json", index_dir=index_dir).stdout)
    assert found["hits"][0]["doc"] == "bad\\xff\\xfe.txt"


def test_names_and_text_from_files_reach_the_terminal_as_written(tmp_path):
    """Rich markup, emoji codes and terminal escapes in a file's name and text are printed as text."""
    folder = tmp_path / "d"
    folder.mkdir()
    name = "[bold red]标记县\x1b[31m:smile:报告.txt"
    (folder / name).write_text(
        "[blink]标记县[/blink]推行“积分超市”，全县建成积分超市42个，账号 root:x:0:0 示例。\n" * 2, encoding="utf-8"
    )
    index_dir = tmp_path / "idx"
    printed = qa("ingest", str(folder), index_dir=index_dir).stdout
    printed += qa("docs", index_dir=index_dir).stdout
    printed += qa("search", "积分超市", index_dir=index_dir).stdout
    printed += qa("ask", "标记县建成积分超市多少个？", index_dir=index_dir).stdout
    assert "\x1b" not in printed and "\\x1b" in printed  # the escape is shown, not obeyed
    assert "❌" not in printed and "😄" not in printed and "root:x:0:0" in printed and ":smile:" in printed
    assert "[bold red]标记县" in printed and "[blink]标记县[/blink]" in printed


def test_help_shows_every_word_of_each_command(tmp_path):
    shown = qa("--help", index_dir=tmp_path).stdout
    assert "标注来源［n］，" in shown  # a bracketed [n] was read as markup and vanished


def test_docs_in_a_narrow_terminal_wraps_long_names_instead_of_cutting_them(tmp_path):
    folder = tmp_path / "d"
    folder.mkdir()
    name = "铜仁市江口县党建引领乡村振兴积分超市经验材料汇编第二辑.txt"
    (folder / name).write_text("江口县推行积分超市，村民以积分兑换生活用品。" * 3, encoding="utf-8")
    index_dir = tmp_path / "idx"
    qa("ingest", str(folder), index_dir=index_dir)
    env = {**os.environ, "QA_INDEX_DIR": str(index_dir), "COLUMNS": "80", "QA_EMBEDDING_MODEL": "hash-test"}
    shown = subprocess.run(
        [sys.executable, "-m", "qa.app.cli", "docs"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    ).stdout
    assert "…" not in shown
    cells = "".join(line.split("│")[1].strip() for line in shown.splitlines() if line.count("│") > 2)
    assert name in cells, shown
