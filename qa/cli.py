"""`qa` commands: ingest, inspect, search, docs, remove."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.table import Table

from qa.model import STATUS_ZH

app = typer.Typer(add_completion=False, no_args_is_help=True, help="经验材料问答与检索工具")
out = Console(soft_wrap=True)
err = Console(stderr=True)


KbOption = Annotated[Optional[str], typer.Option("--kb", help="知识库名称（默认取 config.yaml 的 default_kb）")]
IndexDirOption = Annotated[
    Optional[Path], typer.Option("--index-dir", envvar="QA_INDEX_DIR", help="知识库所在目录（默认 index/）")
]
JsonOption = Annotated[bool, typer.Option("--json", help="输出 JSON")]
ExportOption = Annotated[
    Optional[Path], typer.Option("--export", help="导出为 Word（.docx）或 Markdown（.md），按扩展名决定")
]
ConfigOption = Annotated[Optional[Path], typer.Option("--config", envvar="QA_CONFIG", help="配置文件路径")]


@contextmanager
def user_errors() -> Iterator[None]:
    """Known failures become one clear line and exit code 1, not a traceback."""
    from qa.config import ConfigError
    from qa.embeddings import EmbedderError
    from qa.loaders import LoadError
    from qa.milvus_store import MilvusError
    from qa.store import KnowledgeBaseError

    try:
        yield
    except (ConfigError, EmbedderError, LoadError, KnowledgeBaseError, MilvusError) as exc:
        err.print(f"[red]错误：[/red]{exc}", markup=True, highlight=False)
        raise typer.Exit(1) from None


def _settings(config: Path | None, index_dir: Path | None) -> dict[str, Any]:
    from qa.config import load_settings

    settings = load_settings(config)
    if index_dir is not None:
        settings["index_dir"] = str(index_dir)
    return settings


def _export(report: Any, path: Path) -> None:
    from qa.export import write

    write(report, path)
    err.print(f"已导出到 {path}")


def _folder(settings: dict[str, Any], kb: str | None) -> Path:
    from qa.store import kb_folder

    return kb_folder(settings["index_dir"], kb or settings["default_kb"])


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="文件或文件夹（.txt .md .docx .pdf .html）")],
    kb: KbOption = None,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="清空知识库后重建")] = False,
    meta: Annotated[Optional[Path], typer.Option("--meta", help="元数据表 CSV：file,title,author,place,date")] = None,
    index_dir: IndexDirOption = None,
    config: ConfigOption = None,
) -> None:
    """导入文档：解析、分块、向量化并写入知识库。"""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from qa.embeddings import load_embedder
    from qa.ingest import ingest_paths, read_meta_csv

    with user_errors():
        settings = _settings(config, index_dir)
        folder = _folder(settings, kb)
        missing = [p for p in paths if not p.exists()]
        if missing:
            err.print(f"[red]错误：[/red]找不到 {'、'.join(map(str, missing))}", markup=True)
            raise typer.Exit(1)
        meta_table = read_meta_csv(meta) if meta else None
        embedder = load_embedder(settings)
        labels = {"parse": "解析文件", "embed": "生成向量", "write": "写入索引"}
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=err,
            transient=False,
            disable=not err.is_terminal,
        ) as bar:
            tasks: dict[str, Any] = {}

            def progress(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(labels[stage], total=total)
                bar.update(tasks[stage], completed=done, total=total)

            results = ingest_paths(paths, folder, settings, embedder, rebuild, meta_table, progress)
    table = Table(title=f"导入结果（知识库 {folder.name}）")
    for col in ("文件", "结果", "分块数", "原因"):
        table.add_column(col)
    for r in results:
        style = "red" if r.status == "failed" else None
        table.add_row(Path(r.path).name, STATUS_ZH[r.status], str(r.chunks or ""), r.reason, style=style)
    out.print(table)
    counts = {s: sum(r.status == s for r in results) for s in STATUS_ZH}
    out.print("，".join(f"{STATUS_ZH[s]} {n}" for s, n in counts.items() if n))
    if results and counts["failed"] == len(results):
        raise typer.Exit(1)


@app.command()
def inspect(
    file: Annotated[Path, typer.Argument(help="要解析的文件")],
    as_json: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """只解析文件（不建索引），显示文章、章节和分块。"""
    from qa.ingest import parse_file

    with user_errors():
        doc = parse_file(file, _settings(config, None))
    data = doc.to_dict()
    for article in data["articles"]:
        for i, chunk in enumerate(article["chunks"]):
            chunk["id"] = i
    if as_json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return
    out.print(
        f"[bold]{doc.file_name}[/bold]  格式 {doc.format}  编码 {doc.encoding or '-'}  文章 {len(doc.articles)} 篇"
    )
    for article in doc.articles:
        out.print(
            f"\n[bold]《{article.title}》[/bold] 作者：{article.author or '-'}  地点：{article.place or '未知'}  日期：{article.date or '-'}"
        )
        for chunk in article.chunks:
            path = " > ".join(chunk.section[1:]) or "（导语）"
            out.print(
                f"  [{chunk.kind}] {path} [dim]{chunk.start}-{chunk.end}[/dim] {chunk.text[:40]}…", highlight=False
            )


@app.command()
def search(
    query: Annotated[Optional[str], typer.Argument(help="查询语句")] = None,
    batch: Annotated[Optional[Path], typer.Option("--batch", help='JSONL 文件，每行 {"question": ...}')] = None,
    kb: KbOption = None,
    k: Annotated[int, typer.Option("-k", help="返回条数")] = 10,
    place: Annotated[Optional[str], typer.Option("--place", help="只看某地（地名、市或县）")] = None,
    province: Annotated[Optional[str], typer.Option("--province", help="只看某省，如 贵州")] = None,
    doc: Annotated[Optional[str], typer.Option("--doc", help="只看某个文件")] = None,
    year: Annotated[Optional[str], typer.Option("--year", help="只看某年")] = None,
    as_json: JsonOption = False,
    index_dir: IndexDirOption = None,
    config: ConfigOption = None,
) -> None:
    """检索知识库，返回最相关的段落。"""
    from qa.retrieval import Filters, HybridRetriever

    if not query and not batch:
        err.print("[red]错误：[/red]请给出查询语句，或用 --batch 指定问题文件", markup=True)
        raise typer.Exit(2)
    with user_errors():
        settings = _settings(config, index_dir)
        retriever = HybridRetriever.from_settings(settings, _folder(settings, kb))
        filters = Filters(doc=doc, place=place, province=province, year=year)
        if batch:
            for line in batch.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    question = json.loads(line)["question"]
                    result = retriever.retrieve(question, k, filters)
                    print(json.dumps(_search_payload(question, result), ensure_ascii=False))
            return
        result = retriever.retrieve(query or "", k, filters)
        hits = result.hits
    if as_json:
        print(json.dumps(_search_payload(query, result), ensure_ascii=False, indent=2))
        return
    if not hits:
        out.print("没有找到相关段落。")
    elif not result.relevant:
        out.print("[yellow]知识库中没有与此直接相关的内容，以下为最接近的段落（可能相关）：[/yellow]")
    for rank, hit in enumerate(hits, 1):
        path = " > ".join(hit.section[1:]) or "导语"
        out.print(
            f"[bold]{rank}. {hit.place or '地点未知'}《{hit.title}》[/bold] {path}  [dim]{hit.doc} 得分 {hit.score:.4f}[/dim]",
            highlight=False,
        )
        out.print(f"   {hit.text[:160]}{'…' if len(hit.text) > 160 else ''}\n", highlight=False)


def _search_payload(question: str | None, result: Any) -> dict[str, Any]:
    """The JSON shape of one search, shared by single and batch output."""
    return {"question": question, "relevant": result.relevant, "hits": [h.to_dict() for h in result.hits]}


@app.command("eval")
def evaluate_cmd(
    questions: Annotated[Path, typer.Argument(help="问题集 JSONL：question, gold[{doc, contains}], kind")],
    kb: KbOption = None,
    k: Annotated[int, typer.Option("-k", help="评测前 k 条")] = 10,
    compare: Annotated[bool, typer.Option("--compare", help="同一次运行中对比标准做法与各单路检索")] = False,
    as_json: JsonOption = False,
    index_dir: IndexDirOption = None,
    config: ConfigOption = None,
) -> None:
    """评测检索质量：hit@1、hit@5、MRR@k、召回率，按问题类型分列。"""
    from qa.embeddings import load_embedder
    from qa.evaluation import FixedBM25Baseline, LangchainDenseBaseline, Ranked, evaluate, format_table, load_questions
    from qa.retrieval import HybridRetriever

    with user_errors():
        settings = _settings(config, index_dir)
        embedder = load_embedder(settings)
        retriever = HybridRetriever.from_settings(settings, _folder(settings, kb), embedder)
        knowledge_base = retriever.kb
        items = load_questions(questions)

        def ours(mode: str):
            def run(question: str) -> Ranked:
                result = retriever.retrieve(question, k, mode=mode)
                return Ranked([(h.doc, h.text) for h in result.hits], nothing_relevant=not result.relevant)

            return run

        reports = {}
        if compare:
            files = [Path(r["path"]) for r in knowledge_base.documents()]
            reports["langchain-500"] = evaluate(LangchainDenseBaseline(files, embedder), items, k)
            reports["bm25-300"] = evaluate(FixedBM25Baseline(files), items, k)
            reports["dense"] = evaluate(ours("dense"), items, k)
            reports["bm25"] = evaluate(ours("lexical"), items, k)
        reports["hybrid"] = evaluate(ours("hybrid"), items, k)
    if as_json:
        print(json.dumps(reports, ensure_ascii=False, indent=2))
    else:
        print(format_table(reports, k))


@app.command()
def ask(
    question: Annotated[Optional[str], typer.Argument(help="问题")] = None,
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
    """提问：回答中的每句话都标注来源 [n]，并核对数字、地名和引语。"""
    from qa.answer import Answerer
    from qa.retrieval import Filters

    if not question and not batch:
        err.print("[red]错误：[/red]请给出问题，或用 --batch 指定问题文件", markup=True)
        raise typer.Exit(2)
    with user_errors():
        settings = _settings(config, index_dir)
        answerer = Answerer.from_settings(settings, _folder(settings, kb))
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
                out.print(event.text, end="", highlight=False, markup=False)
            elif event.kind == "reset" and stream and not as_json:
                out.print(f"\n[yellow]{event.text}[/yellow]", highlight=False)
            elif event.kind == "done":
                answer = event.answer
    assert answer is not None
    if export:
        from qa.export import answer_report

        _export(answer_report(answer), export)
    if as_json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
        return
    _print_answer(answer, already_shown=stream)


def _print_answer(answer: Any, already_shown: bool) -> None:
    badge = {"llm": "大模型", "extractive": "摘录"}[answer.mode]
    if answer.notice:
        out.print(f"[yellow]{answer.notice}[/yellow]", highlight=False)
    if already_shown:
        out.print()
    else:
        out.print(answer.text, highlight=False, markup=False)
    out.print(f"\n[dim]回答方式：{badge}　可信度：{answer.confidence}[/dim]")
    for s in answer.unsupported:
        out.print(f"[yellow]未能核实：{s.text}（{'；'.join(s.problems)}）[/yellow]", highlight=False)
    for c in answer.citations:
        out.print(f"[bold][{c.n}][/bold] {c.source_line}  [dim]{c.doc}[/dim]", highlight=False)
        out.print(f"    “{c.quote}”", highlight=False, markup=False)
    for n, hit in enumerate(answer.related, 1):
        out.print(
            f"[dim]可能相关 {n}. {hit.place or '地点未知'}《{hit.title}》：{hit.text[:80]}…[/dim]", highlight=False
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
    from qa.drafts import read_draft
    from qa.retrieval import HybridRetriever
    from qa.similar import find_similar

    if not text and not file:
        err.print("[red]错误：[/red]请用 --text 给出一段文字，或用 --file 指定稿件", markup=True)
        raise typer.Exit(2)
    with user_errors():
        settings = _settings(config, index_dir)
        query = text or read_draft(file)
        retriever = HybridRetriever.from_settings(settings, _folder(settings, kb))
        groups = find_similar(retriever, query, k, exclude_place, province)
    if export:
        from qa.export import similar_report

        _export(similar_report(query, groups, settings["citation"]["template"]), export)
    if as_json:
        print(json.dumps({"groups": [g.to_dict() for g in groups]}, ensure_ascii=False, indent=2))
        return
    if not groups:
        out.print("没有找到相似的经验。")
    for group in groups:
        out.print(f"\n[bold]{group.place}[/bold] {group.province or ''}", highlight=False)
        for hit in group.hits:
            where = " > ".join(hit.section[1:]) or "导语"
            out.print(f"  《{hit.title}》{where}  [dim]{hit.doc} 得分 {hit.score:.3f}[/dim]", highlight=False)
            out.print(f"    {hit.text[:120]}{'…' if len(hit.text) > 120 else ''}", highlight=False, markup=False)


@app.command()
def practices(
    search_word: Annotated[Optional[str], typer.Option("--search", help="按名称查找，如 四议两公开")] = None,
    kb: KbOption = None,
    as_json: JsonOption = False,
    index_dir: IndexDirOption = None,
    config: ConfigOption = None,
) -> None:
    """列出材料中带引号的做法名称（如“四议两公开”“三色预警”）及使用它们的地方。"""
    from qa.practices import list_practices
    from qa.store import KnowledgeBase

    with user_errors():
        knowledge_base = KnowledgeBase(_folder(_settings(config, index_dir), kb))
        found = list_practices(knowledge_base.conn, search_word)
    if as_json:
        payload = [{"name": p.name, "places": p.places, "uses": [u.__dict__ for u in p.uses]} for p in found]
        print(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    if not found:
        out.print("没有找到这样的做法名称。")
    for p in found:
        out.print(f"[bold]“{p.name}”[/bold]  {len(p.places)} 地：{'、'.join(p.places)}", highlight=False)


@app.command()
def cite(
    draft: Annotated[Path, typer.Argument(help="稿件（.docx/.txt/.md）")],
    output: Annotated[Optional[Path], typer.Option("-o", "--output", help="输出带引用的稿件（.docx 或 .md）")] = None,
    kb: KbOption = None,
    exclude_place: Annotated[Optional[str], typer.Option("--exclude-place", help="不引用本地材料，如 思南县")] = None,
    as_json: JsonOption = False,
    index_dir: IndexDirOption = None,
    config: ConfigOption = None,
) -> None:
    """为稿件逐段推荐可引用的材料，并生成带引用标注和参考资料列表的稿件。"""
    from qa.drafts import read_draft, suggest_citations
    from qa.export import draft_report
    from qa.retrieval import HybridRetriever

    with user_errors():
        settings = _settings(config, index_dir)
        text = read_draft(draft)
        retriever = HybridRetriever.from_settings(settings, _folder(settings, kb))
        paragraphs = suggest_citations(retriever, text, exclude_place, template=settings["citation"]["template"])
    if output:
        _export(draft_report(draft.stem, paragraphs), output)
    if as_json:
        print(json.dumps({"paragraphs": [p.to_dict() for p in paragraphs]}, ensure_ascii=False, indent=2))
        return
    for i, p in enumerate(paragraphs, 1):
        if not p.suggestions:
            continue
        out.print(f"\n[bold]第 {i} 段[/bold] {p.text[:60]}…", highlight=False, markup=False)
        for s in p.suggestions:
            out.print(f"  [{s.n}] {s.source_line}", highlight=False, markup=False)
            out.print(f"      “{s.quote[:100]}”", highlight=False, markup=False)


@app.command()
def serve(
    host: Annotated[Optional[str], typer.Option("--host", help="监听地址；局域网共享用 0.0.0.0")] = None,
    port: Annotated[Optional[int], typer.Option("--port", help="端口")] = None,
    kb: KbOption = None,
    index_dir: IndexDirOption = None,
    config: ConfigOption = None,
) -> None:
    """启动网页界面（问答、相似经验、起草引用、知识库管理）。"""
    from qa.web import serve as serve_app
    from qa.workspace import UserError

    with user_errors():
        settings = _settings(config, index_dir)
        ui = settings["ui"]
        host, port = host or ui["host"], port or int(ui["port"])
        out.print(f"网页界面：http://{host}:{port}  （Ctrl+C 退出）")
        try:
            serve_app(settings, host, port, kb)
        except UserError as exc:
            err.print(f"[red]错误：[/red]{exc}", markup=True, highlight=False)
            raise typer.Exit(1) from None


@app.command()
def docs(
    kb: KbOption = None,
    as_json: JsonOption = False,
    index_dir: IndexDirOption = None,
    config: ConfigOption = None,
) -> None:
    """列出知识库中的文档及其元数据。"""
    from qa.store import KnowledgeBase

    with user_errors():
        knowledge_base = KnowledgeBase(_folder(_settings(config, index_dir), kb))
        rows = [dict(r) for r in knowledge_base.documents()]
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table(title=f"知识库 {knowledge_base.folder.name}：{len(rows)} 个文档，{knowledge_base.chunk_count} 个分块")
    for col in ("文件", "标题", "地点", "作者", "日期", "文章", "分块"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            r["file_name"],
            r["titles"] or "",
            r["places"] or "",
            r["authors"] or "",
            r["dates"] or "",
            str(r["articles"]),
            str(r["chunks"]),
        )
    table.caption = _index_summary(knowledge_base)
    out.print(table)


def _index_summary(knowledge_base) -> str:
    if knowledge_base.backend == "milvus":
        return f"索引：Milvus（{knowledge_base.manifest['store_uri']}）"
    segments = knowledge_base.vectors.segments
    summary = f"索引：FAISS，{len(segments)} 个分段（{knowledge_base.vectors.kind}）"
    deleted = sum(s.deleted_rows.size for s in segments)
    if deleted:
        summary += f"；另有 {deleted} 个已删除分块的向量，待分段合并时清除（或 qa remove --purge）"
    return summary


@app.command()
def remove(
    doc: Annotated[str, typer.Argument(help="文件名或完整路径")],
    purge: Annotated[
        bool,
        typer.Option(
            "--purge",
            help="同时立即重写它所在的索引分段，让它的向量和词频也马上从磁盘上清除（语料很大时较慢）",
        ),
    ] = False,
    kb: KbOption = None,
    index_dir: IndexDirOption = None,
    config: ConfigOption = None,
) -> None:
    """从知识库删除一个文档（之后任何检索都不会再返回它）。"""
    from qa.ingest import remove_documents
    from qa.store import KnowledgeBase

    with user_errors():
        folder = _folder(_settings(config, index_dir), kb)
        knowledge_base = KnowledgeBase(folder)
        matches = [r for r in knowledge_base.documents() if doc in (r["file_name"], r["path"])]
        embedder_name, dim = knowledge_base.embedder_name, knowledge_base.dim
        knowledge_base.close()
        if not matches:
            err.print(f"[red]错误：[/red]知识库中没有文档 “{doc}”：用 qa docs 查看已有文档", markup=True)
            raise typer.Exit(1)
        if len(matches) > 1:
            paths = "\n".join(r["path"] for r in matches)
            err.print(f"[red]错误：[/red]有多个文档名为 “{doc}”，请给出完整路径：\n{paths}", markup=True)
            raise typer.Exit(1)
        remove_documents(folder, [matches[0]["id"]], embedder_name, dim, purge=purge)
    out.print(f"已删除 {matches[0]['file_name']}" + ("，索引文件中的残留也已清除" if purge else ""))


def main() -> None:
    app()


if __name__ == "__main__":
    sys.exit(main())
