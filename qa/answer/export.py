"""Export answers, similar-experience results and drafts with citations to Markdown and Word.

Each kind of result is first turned into one ``Report`` (title, blocks, numbered references);
one renderer per format writes any Report, so every export looks alike. Word files follow the
公文 layout (``qa.answer.gongwen``): [n] superscript, the references listed at the end (参考资料).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from qa.model import Answer, Citation

_MARKER = re.compile(r"(\[\d+\])")


@dataclass
class Report:
    title: str
    blocks: list[tuple[str, str]] = field(default_factory=list)  # (heading | paragraph | quote | note, text)
    references: list[Citation] = field(default_factory=list)  # numbered 1..m in order
    bold: list[str] = field(default_factory=list)  # the words that answer (short answers), bold in paragraphs


def answer_report(answer: Answer) -> Report:
    report = Report(f"问答：{answer.question}")
    mode = {"llm": "大模型生成，逐句核对", "extractive": "资料原文摘录"}[answer.mode]
    report.blocks.append(("note", f"回答方式：{mode}"))
    if answer.notice:
        report.blocks.append(("note", answer.notice))
    for line in _answer_lines(answer.text):
        report.blocks.append(("paragraph", line))
    for s in answer.unsupported:
        report.blocks.append(("note", f"未能核实：{s.text}（{'；'.join(s.problems)}）"))
    for n, hit in enumerate(answer.related, 1):
        report.blocks.append(("quote", f"可能相关 {n}：{hit.place or ''}《{hit.title}》{hit.text}"))
    report.references = answer.citations
    report.bold = [answer.short_answer] if answer.short_answer else []
    return report


def conversation_report(title: str, answers: list[dict]) -> Report:
    """A conversation (``Answer.to_dict()`` per turn) as one report: each question a heading, its answer
    below, the citations of every turn numbered once across the whole conversation."""
    report = Report(title)
    for answer in answers:
        report.blocks.append(("heading", f"问：{answer['question']}"))
        numbers = {f"[{c['n']}]": f"[{_number_of(report.references, Citation(**c))}]" for c in answer["citations"]}
        renumbered = _MARKER.sub(lambda m, numbers=numbers: numbers.get(m.group(1), m.group(1)), answer["text"])
        for line in _answer_lines(renumbered):
            report.blocks.append(("paragraph", line))
        for s in answer["unsupported"]:
            report.blocks.append(("note", f"未能核实：{s['text']}"))
        if answer.get("short_answer"):
            report.bold.append(answer["short_answer"])
    return report


def _answer_lines(text: str) -> list[str]:
    """An answer's lines as paragraphs of a document: the chat's list marks ("- ") are not part of the text."""
    return [line.removeprefix("- ") for line in text.splitlines()]


def similar_report(query: str, groups: list, template: str | None = None) -> Report:
    from qa.answer.citations import DEFAULT_TEMPLATE, citation_from_hit

    report = Report("相似经验")
    report.blocks.append(("note", f"检索内容：{query}"))
    n = 0
    for group in groups:
        province = f"（{group.province}）" if group.province else ""
        report.blocks.append(("heading", f"{group.place}{province}"))
        for hit in group.hits:
            n += 1
            report.references.append(citation_from_hit(n, hit, 0, len(hit.text), template or DEFAULT_TEMPLATE))
            report.blocks.append(("quote", f"{hit.text}[{n}]"))
    return report


def draft_report(title: str, paragraphs: list) -> Report:
    """The draft with [n] after each paragraph for its accepted suggestions, numbered across the draft.
    A draft that opens with its own title (a short line, no sentence end, nothing cited) keeps it as
    the title; ``title`` is used only when it does not."""
    if paragraphs and _is_title(paragraphs[0].text) and not paragraphs[0].accepted:
        title, paragraphs = paragraphs[0].text.strip(), paragraphs[1:]
    report = Report(title)
    for paragraph in paragraphs:
        markers = ""
        for index in paragraph.accepted:
            citation = paragraph.suggestions[index]
            number = _number_of(report.references, citation)
            markers += f"[{number}]"
        report.blocks.append(("paragraph", paragraph.text + markers))
    return report


def _is_title(text: str) -> bool:
    return 0 < len(text.strip()) <= 40 and not text.strip().endswith(("。", "！", "？", "；", "：", ".", "…"))


def _number_of(references: list[Citation], citation: Citation) -> int:
    """The reference number of a passage: an already listed passage keeps its number."""
    for number, existing in enumerate(references, 1):
        if existing.chunk_id == citation.chunk_id:
            return number
    references.append(citation)
    return len(references)


def to_markdown(report: Report) -> str:
    lines = [f"# {report.title}", ""]
    for kind, text in report.blocks:
        if kind == "heading":
            lines += [f"## {text}", ""]
        elif kind == "quote":
            lines += [f"> {text}", ""]
        elif kind == "note":
            lines += [f"*{text}*", ""]
        else:
            lines += [_bolded(text, report.bold), ""]
    if report.references:
        lines += ["## 参考资料", ""]
        for n, c in enumerate(report.references, 1):
            lines.append(f"{n}. {c.source_line}  ")
            lines.append(f"   原文：“{c.quote}”")
        lines.append("")
    return "\n".join(lines)


def _bolded(text: str, bold: list[str]) -> str:
    for words in bold:
        if words and words in text and f"**{words}**" not in text:
            text = text.replace(words, f"**{words}**", 1)
    return text


def to_docx(report: Report, path: Path) -> None:
    from qa.answer.gongwen import write_docx

    write_docx(report, path)


def write(report: Report, path: Path) -> None:
    """Write as Word (.docx) or Markdown (.md, anything else) by the file's suffix."""
    if path.suffix.lower() == ".docx":
        to_docx(report, path)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(to_markdown(report), encoding="utf-8")
