"""Typed settings: defaults in one place, config.yaml over them, QA_* variables over both, every value checked."""

from __future__ import annotations

import pytest

from qa.errors import SettingsError
from qa.settings import LoginSettings, Settings, load_settings

from .conftest import ROOT
from .test_cli import qa


def test_the_shipped_config_says_what_the_defaults_say(monkeypatch):
    for name in [n for n in __import__("os").environ if n.startswith("QA_")]:
        monkeypatch.delenv(name)
    shipped = load_settings(ROOT / "config.yaml")
    # paths in the file are relative to it: the same defaults, anchored where the file is
    assert shipped.index_dir == str(ROOT / "index") and shipped.store.uri == str(ROOT / "index" / "milvus.db")
    assert shipped.replace(index_dir="index", store={"uri": "index/milvus.db"}) == Settings()


def test_the_knowledge_bases_are_found_from_any_folder(tmp_path, monkeypatch):
    for name in [n for n in __import__("os").environ if n.startswith("QA_")]:
        monkeypatch.delenv(name)
    config = tmp_path / "office" / "config.yaml"
    config.parent.mkdir()
    config.write_text("index_dir: 知识库\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert load_settings(config).index_dir == str(tmp_path / "office" / "知识库")
    monkeypatch.setenv("QA_INDEX_DIR", "elsewhere")  # an explicit override stays as given
    assert load_settings(config).index_dir == "elsewhere"


def test_environment_overrides_the_file_with_typed_values(tmp_path, monkeypatch):
    config = tmp_path / "config.yaml"
    config.write_text("llm:\n  timeout: 5\n  model: from-file\nui:\n  port: 8000\n", encoding="utf-8")
    monkeypatch.setenv("QA_LLM_TIMEOUT", "12.5")
    monkeypatch.setenv("QA_LLM_API_KEY_ENV", "MY_KEY")
    settings = load_settings(config)
    assert settings.llm.timeout == 12.5 and settings.llm.model == "from-file" and settings.llm.api_key_env == "MY_KEY"
    assert settings.ui.port == 8000 and isinstance(settings.ui.port, int)
    assert settings.embedding.batch_size == 64  # untouched keys keep their defaults


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("llm:\n  temprature: 0.2\n", "llm.temprature"),  # a misspelt key
        ("retrieval:\n  candidates: many\n", "retrieval.candidates"),  # a value of the wrong type
        ("ui:\n  auth:\n    - username: a\n", "ui.auth"),  # a login without its password variable
        ("embedding: use\n", "embedding"),  # a section that is not a mapping
        ("answer:\n  passages: 50\n", "answer.passages"),  # out of its range (1 to 20)
        ("store:\n  backend: chroma\n", "store.backend"),  # not one of its values
        ("llm:\n  provider: opneai\n", "llm.provider"),
        ("ui:\n  port: 70000\n", "ui.port"),
    ],
)
def test_a_wrong_setting_is_named(tmp_path, text, key):
    config = tmp_path / "config.yaml"
    config.write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError, match=key.replace(".", r"\.")):
        load_settings(config)


def test_replace_keeps_the_rest_and_checks_the_new_values():
    settings = Settings().replace(index_dir="elsewhere", ui={"auth": [{"username": "a", "password_env": "P"}]})
    assert settings.index_dir == "elsewhere" and settings.ui.auth == (LoginSettings("a", "P"),)
    assert settings.ui.port == 7860
    with pytest.raises(SettingsError, match="answer.passages"):
        Settings().replace(answer={"passages": "six"})


def test_cli_shows_a_bad_setting_as_one_chinese_line(tmp_path, seed_kb):
    config = tmp_path / "config.yaml"
    config.write_text("citation:\n  template: '{unknown}'\n", encoding="utf-8")
    proc = qa("ask", "积分超市是怎么做的？", "--config", str(config), index_dir=seed_kb.folder.parent, check=False)
    assert proc.returncode == 1 and "citation.template" in proc.stderr and "Traceback" not in proc.stderr
    config.write_text("retrieval:\n  k: ten\n", encoding="utf-8")
    proc = qa("search", "积分超市", "--config", str(config), index_dir=seed_kb.folder.parent, check=False)
    assert proc.returncode == 1 and "retrieval.k" in proc.stderr and "Traceback" not in proc.stderr


def test_a_yes_or_no_setting_takes_chinese_and_english_and_names_anything_else():
    from dataclasses import dataclass

    from qa.settings import build

    @dataclass(frozen=True)
    class Switch:
        on: bool = False

    for said, meant in (("是", True), ("否", False), ("true", True), ("False", False), (1, True), ("0", False)):
        assert build(Switch, {"on": said}, "ocr").on is meant, said
    with pytest.raises(SettingsError, match=r"ocr\.on"):  # a typo no longer quietly means "no"
        build(Switch, {"on": "ture"}, "ocr")
