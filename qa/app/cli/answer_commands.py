"""`qa ask / similar / practices / cite / serve`: answers, similar experience, citations and the web app."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from qa.app.cli.common import (
    ConfigOption,
    ExportOption,
    IndexDirOption,
    JsonOption,
    KbOption,
    app,
    err,
    export_to,
    kb_path,
    out,
    plain,
    safe,
    settings_from,
    user_errors,
)
from qa.model import CONFIDENCE_ZH
from qa.text import section_path


@app.command()
def ask(
    question: Annotated[Optional[str], typer.Argument(metavar="问题", help="问题")] = None,
    batch: Annotated[
        Optional[Path], typer.Option("--batch", help='JSONL 文件，每行 {"question": ..., "history": [之前的问题]}')
    ] = None,
    kb: KbOption = None,
    place: Annotated[Optional[str], typer.Option("--place", help="只用某地的材料")] = None,
    province: Annotated[Optional[str], typer.Option("--province", help="只用某省的材料")] = None,
    stream: Annotated[bool, typer.Option("--stream", help="边生成边显示")] = False,
    as_json: JsonOption = False,
    export: ExportOption = None,
    index_dir: IndexDirOption = None,
    config: ConfigOption = None,
) -> None:
    """提问：回答中的每句话都标注来源［n］，并核对数字、地名和引语。"""
    from qa.answer.answerer import Answerer
    from qa.model import Filters

    if not question and not batch:
        err.print("[red]错误：[/red]请给出问题，或用 --batch 指定问题文件", markup=True)
        raise typer.Exit(2)
    with user_errors():
        settings = settings_from(config, index_dir)
        answerer = Answerer.from_settings(settings, kb_path(settings, kb))
        filters = Filters(place=place, province=province) if (place or province) else None
        if batch:
            for line in batch.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    item = json.loads(line)
                    answer = answerer.ask(item["question"], item.get("history") or [], filters)
                    print(json.dumps(answer.to_dict(), ensure_ascii=False))
            return
        answer = None
        for event in answerer.stream(question or "", [], filters):
            if event.kind == "delta" and stream and not as_json:
                out.print(plain(event.text, lines=True), end="", highlight=False)
            elif event.kind == "reset" and stream and not as_json:
                out.print(f"\n[yellow]{safe(event.text)}[/yellow]", highlight=False)
            elif event.kind == "done":
                answer = event.answer
    assert answer is not None
    if export:
        from qa.answer.export import answer_report

        export_to(answer_report(answer), export)
    if as_json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
        return
    _print_answer(answer, already_shown=stream)


def _print_answer(answer: Any, already_shown: bool) -> None:
    badge = {"llm": "大模型", "extractive": "摘录"}[answer.mode]
    if answer.notice:
        out.print(f"[yellow]{safe(answer.notice)}[/yellow]", highlight=False)
    if already_shown:
        out.print()
    else:
        out.print(plain(answer.text, lines=True), highlight=False)
    if answer.short_answer:
        out.print(f"\n简答：[bold]{safe(answer.short_answer)}[/bold]", highlight=False)
    out.print(f"\n[dim]回答方式：{badge}　可信度：{CONFIDENCE_ZH[answer.confidence]}[/dim]")
    for s in answer.unsupported:
        out.print(f"[yellow]未能核实：{safe(s.text)}（{safe('；'.join(s.problems))}）[/yellow]", highlight=False)
    for c in answer.citations:
        note = f"  [yellow]（{c.note}）[/yellow]" if c.note else ""
        out.print(f"[bold]\\[{c.n}][/bold] {safe(c.source_line)}  [dim]{safe(c.doc)}[/dim]{note}", highlight=False)
        out.print(plain(f"    “{c.quote}”"), highlight=False)
    for n, hit in enumerate(answer.related, 1):
        out.print(
            f"[dim]可能相关 {n}. {safe(hit.place or '')}《{safe(hit.title)}》：{safe(hit.text[:80])}…[/dim]",
            highlight=False,
        )


@app.command()
def similar(
    text: Annotated[Optional[str], typer.Option("--text", help="一段做法描述或稿件段落")] = None,
    file: Annotated[Optional[Path], typer.Option("--file", help="稿件文件（.docx/.txt/.md）")] = None,
    kb: KbOption = None,
    exclude_place: Annotated[Optional[str], typer.Option("--exclude-place", help="排除本地，如 思南县")] = None,
    province: Annotated[Optional[str], typer.Option("--province", help="只看某省")] = None,
    k: Annotated[int, typer.Option("-k", help="最多几个地方")] = 8,
    as_json: JsonOption = False,
    export: ExportOption = None,
    index_dir: IndexDirOption = None,
    config: ConfigOption = None,
) -> None:
    """找其他地方的相似经验，按地方分组。"""
    from qa.answer.drafts import read_draft
    from qa.answer.similar import find_similar
    from qa.search.hybrid import HybridRetriever

    if not text and not file:
        err.print("[red]错误：[/red]请用 --text 给出一段文字，或用 --file 指定稿件", markup=True)
        raise typer.Exit(2)
    with user_errors():
        settings = settings_from(config, index_dir)
        query = text or read_draft(file)
        retriever = HybridRetriever.from_settings(settings, kb_path(settings, kb))
        groups = find_similar(retriever, query, k, exclude_place, province)
    if export:
        from qa.answer.export import similar_report

        export_to(similar_report(query, groups, settings.citation.template), export)
    if as_json:
        print(json.dumps({"groups": [g.to_dict() for g in groups]}, ensure_ascii=False, indent=2))
        return
    if not groups:
        out.print("没有找到相似的经验。")
    for group in groups:
        out.print(f"\n[bold]{safe(group.place)}[/bold] {safe(group.province or '')}", highlight=False)
        for hit in group.hits:
            where = section_path(hit.section)
            out.print(
                f"  《{safe(hit.title)}》{safe(where)}  [dim]{safe(hit.doc)} 得分 {hit.score:.3f}[/dim]",
                highlight=False,
            )
            out.print(plain(f"    {hit.text[:120]}{'…' if len(hit.text) > 120 else ''}", lines=True), highlight=False)


@app.command()
def practices(
    search_word: Annotated[Optional[str], typer.Option("--search", help="按名称查找，如 四议两公开")] = None,
    kb: KbOption = None,
    as_json: JsonOption = False,
    index_dir: IndexDirOption = None,
    config: ConfigOption = None,
) -> None:
    """列出材料中带引号的做法名称（如“四议两公开”“三色预警”）及使用它们的地方。"""
    from qa.index.catalog import list_practices
    from qa.index.knowledge_base import KnowledgeBase

    with user_errors():
        knowledge_base = KnowledgeBase(kb_path(settings_from(config, index_dir), kb))
        found = list_practices(knowledge_base.conn, search_word)
    if as_json:
        payload = [{"name": p.name, "places": p.places, "uses": [u.__dict__ for u in p.uses]} for p in found]
        print(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    if not found:
        out.print("没有找到这样的做法名称。")
    for p in found:
        out.print(f"[bold]“{safe(p.name)}”[/bold]  {len(p.places)} 地：{safe('、'.join(p.places))}", highlight=False)


@app.command()
def cite(
    draft: Annotated[Path, typer.Argument(metavar="稿件", help="稿件（.docx/.txt/.md）")],
    output: Annotated[Optional[Path], typer.Option("-o", "--output", help="输出带引用的稿件（.docx 或 .md）")] = None,
    kb: KbOption = None,
    exclude_place: Annotated[Optional[str], typer.Option("--exclude-place", help="不引用本地材料，如 思南县")] = None,
    as_json: JsonOption = False,
    index_dir: IndexDirOption = None,
    config: ConfigOption = None,
) -> None:
    """为稿件逐段推荐可引用的材料，并生成带引用标注和参考资料列表的稿件。"""
    from qa.answer.drafts import read_draft, suggest_citations
    from qa.answer.export import draft_report
    from qa.search.hybrid import HybridRetriever

    with user_errors():
        settings = settings_from(config, index_dir)
        text = read_draft(draft)
        retriever = HybridRetriever.from_settings(settings, kb_path(settings, kb))
        paragraphs = suggest_citations(retriever, text, exclude_place, template=settings.citation.template)
    if output:
        export_to(draft_report(draft.stem, paragraphs), output)
    if as_json:
        print(json.dumps({"paragraphs": [p.to_dict() for p in paragraphs]}, ensure_ascii=False, indent=2))
        return
    for i, p in enumerate(paragraphs, 1):
        if not p.suggestions:
            continue
        out.print(f"\n[bold]第 {i} 段[/bold] {safe(p.text[:60])}…", highlight=False)
        for s in p.suggestions:
            out.print(plain(f"  [{s.n}] {s.source_line}"), highlight=False)
            out.print(plain(f"      “{s.quote[:100]}”"), highlight=False)


@app.command()
def serve(
    host: Annotated[Optional[str], typer.Option("--host", help="监听地址；局域网共享用 0.0.0.0")] = None,
    port: Annotated[Optional[int], typer.Option("--port", help="端口")] = None,
    kb: KbOption = None,
    index_dir: IndexDirOption = None,
    config: ConfigOption = None,
) -> None:
    """启动网页界面（问答、相似经验、起草引用、知识库管理）。"""
    from qa.app.api.routes import guard_for
    from qa.app.web.layout import serve as serve_app

    with user_errors():
        settings = settings_from(config, index_dir)
        host, port = host or settings.ui.host, port or settings.ui.port
        out.print(f"网页界面：http://{host}:{port}  （Ctrl+C 退出）")
        out.print(guard_for(settings, host).mode(), highlight=False)
        serve_app(settings, host, port, kb)
