"""No English where a user looks: every `qa` help page and the command-line mistakes typer reports.
(The web page is read the same way, in a real browser, by test_web.) Code stays as it is: option
names, environment variables, file suffixes, placeholders in angle brackets, and product and model names."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from qa.app.cli import app

# names of things, not words to translate
ALLOWED = {
    "API", "HTTP", "JSONL", "LLM", "OpenAI", "Dify", "JSON", "Word", "Markdown", "BM25", "MRR", "FAISS", "faiss", "Milvus", "milvus",
    "Lite", "PDF", "OCR", "OFD", "CSV", "YAML", "yaml", "config", "http", "https", "localhost", "SSE", "WPS",
    "Cherry", "Studio", "Ollama", "vLLM", "DeepSeek", "Qwen", "GLM", "bge", "USE", "IVF", "CPU", "docx", "none",
    "openai", "reader", "editor", "default", "index", "seeds", "Gradio", "Hugging", "Face", "LibreOffice", "RapidOCR",
    "Bearer", "Token", "token", "sentence", "transformers", "qa", "Enter", "Excel", "HTML", "text", "meta", "file",
    "title", "author", "place", "date", "province", "city", "county", "uploads", "MB", "GB", "KB", "hit",
    "question", "gold", "doc", "contains", "kind", "history", "all", "tune", "check",  # field names, values typed
    "Python", "JavaScript", "CLI", "cURL", "MCP",  # the API page's ways of calling it
}  # fmt: skip
CODE = [
    r"--[\w-]+",  # options
    r"<[^>]*>",  # type placeholders
    r"\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b",  # environment variables
    r"[\w.-]*\.(?:docx?|wps|txt|md|pdf|ofd|rtf|odt|html?|jpe?g|png|bmp|tiff?|csv|yaml|jsonl?|sqlite|db|xlsx?|et|pptx?|dps)\b",  # files
    r"`[^`]*`",
    r"'[^']*'",
    r"\b(?:https?|file)://\S+",
    r"[\w./-]*/[\w./-]+",  # paths
    r"\b\w+(?:-\w+)+\b",  # model names: use-multilingual-v3, bge-small-zh
    r"\{[^}]*\}",  # template fields
    r"\b[a-z]+_[a-z_]+\b",  # setting names: api_key_env
    r"\b[a-z]+\.[a-z_.]+\b",  # setting keys: llm.model
]


def english_words(text: str) -> list[str]:
    for pattern in CODE:
        text = re.sub(pattern, " ", text)
    return [w for w in re.findall(r"[A-Za-z]{3,}", text) if w not in ALLOWED]


def _commands(group, path=()) -> list[tuple[str, ...]]:
    """Every command's path: ("ask",), ("user", "add"), …"""
    import typer.main

    click_group = typer.main.get_command(group)
    found = [path]

    def walk(command, prefix):
        for name, sub in getattr(command, "commands", {}).items():
            found.append((*prefix, name))
            walk(sub, (*prefix, name))

    walk(click_group, path)
    return found


COMMAND_NAMES = {name for path in _commands(app) for name in path} | {"root"}  # typed as they are


def _english(output: str) -> list[str]:
    return [w for w in english_words(output) if w not in COMMAND_NAMES]


@pytest.mark.parametrize("command", _commands(app), ids=lambda c: " ".join(c) or "qa")
def test_every_help_page_is_chinese(command):
    result = CliRunner().invoke(app, [*command, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert not _english(result.output), result.output


@pytest.mark.parametrize(
    "arguments",
    [["ask", "--nope"], ["search", "思南", "-k", "abc"], ["user", "add"], ["nosuchcommand"], ["user", "grant", "a"]],
)
def test_command_line_mistakes_are_reported_in_chinese(arguments):
    result = CliRunner().invoke(app, arguments, terminal_width=200)
    assert result.exit_code == 2
    assert "错误" in result.output and not _english(result.output), result.output


def test_the_check_finds_english():
    assert english_words("Show this message and exit.") == ["Show", "this", "message", "and", "exit"]
    assert english_words("--index-dir <path> QA_INDEX_DIR 思南县.docx use-multilingual-v3 `qa ingest`") == []
