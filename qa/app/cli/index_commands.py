"""`qa ingest / inspect / search / eval / docs / remove`: building, inspecting and measuring a knowledge base."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.table import Table

from qa.app.cli.common import (
    ConfigOption,
    IndexDirOption,
    JsonOption,
    KbOption,
    app,
    err,
    kb_path,
    out,
    plain,
    safe,
    settings_from,
    user_errors,
)
from qa.model import STATUS_ZH
from qa.text import section_path

SHOWN_CHARS = 300  # of a passage in `qa search`: a passage joined from neighbours runs to 500


@app.command()
def ingest(
    paths: Annotated[
        list[Path], typer.Argument(metavar="文件或文件夹", help="文件或文件夹（.txt .md .docx .pdf .html）")
    ],
    kb: KbOption = None,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="清空知识库后重建")] = False,
    meta: Annotated[Optional[Path], typer.Option("--meta", help="元数据表 CSV：file,title,author,place,date")] = None,
    index_dir: IndexDirOption = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """导入文档：解析、分块、向量化并写入知识库。"""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from qa.embeddings import load_embedder
    from qa.ingest.metadata import read_meta_csv
    from qa.ingest.pipeline import ingest_paths

    with user_errors():
        settings = settings_from(config, index_dir)
        folder = kb_path(settings, kb)
        missing = [p for p in paths if not p.exists()]
        if missing:
            err.print(f"[red]错误：[/red]找不到 {safe('、'.join(map(str, missing)))}", markup=True)
            raise typer.Exit(1)
        meta_table = read_meta_csv(meta) if meta else None
        embedder = load_embedder(settings.embedding)
        labels = {"parse": "解析文件", "ocr": "文字识别（逐页）", "embed": "生成向量", "write": "写入索引"}
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
    counts = {s: sum(r.status == s for r in results) for s in STATUS_ZH}
    if as_json:
        print(json.dumps({"results": [asdict(r) for r in results], "counts": counts}, ensure_ascii=False, indent=1))
    else:
        _print_results(results, folder.name, counts)
    if results and counts["failed"] == len(results):
        raise typer.Exit(1)


def _print_results(results: list, kb: str, counts: dict[str, int]) -> None:
    table = Table(title=plain(f"导入结果（知识库 {kb}）"))
    for col in ("文件", "结果", "分块数", "原因"):
        table.add_column(col)
    for r in results:
        style = "red" if r.status == "failed" else None
        table.add_row(plain(Path(r.path).name), STATUS_ZH[r.status], str(r.chunks or ""), plain(r.reason), style=style)
    out.print(table)
    out.print("，".join(f"{STATUS_ZH[s]} {n}" for s, n in counts.items() if n))


@app.command()
def inspect(
    file: Annotated[Path, typer.Argument(metavar="文件", help="要解析的文件")],
    as_json: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """只解析文件（不建索引），显示文章、章节和分块。"""
    from qa.ingest.pipeline import parse_file

    with user_errors():
        doc = parse_file(file, settings_from(config, None))
    data = doc.to_dict()
    for article in data["articles"]:
        for i, chunk in enumerate(article["chunks"]):
            chunk["id"] = i
    if as_json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return
    out.print(
        f"[bold]{safe(doc.file_name)}[/bold]  格式 {doc.format}  编码 {doc.encoding or '-'}  文章 {len(doc.articles)} 篇"
    )
    for article in doc.articles:
        out.print(
            f"\n[bold]《{safe(article.title)}》[/bold] 作者：{safe(article.author or '-')}  "
            f"地点：{safe(article.place or '-')}  日期：{safe(article.date or '-')}"
        )
        for chunk in article.chunks:
            path = section_path(chunk.section, lead="（导语）")
            out.print(
                f"  \\[{chunk.kind}] {safe(path)} [dim]{chunk.start}-{chunk.end}[/dim] {safe(chunk.text[:40])}…",
                highlight=False,
            )


@app.command()
def search(
    query: Annotated[Optional[str], typer.Argument(metavar="查询语句", help="查询语句")] = None,
    batch: Annotated[Optional[Path], typer.Option("--batch", help='JSONL 文件，每行 {"question": ...}')] = None,
    kb: KbOption = None,
    k: Annotated[Optional[int], typer.Option("-k", help="返回条数（默认取 config.yaml 的 retrieval.k）")] = None,
    place: Annotated[Optional[str], typer.Option("--place", help="只看某地（地名、市或县）")] = None,
    province: Annotated[Optional[str], typer.Option("--province", help="只看某省，如 贵州")] = None,
    doc: Annotated[Optional[str], typer.Option("--doc", help="只看某个文件")] = None,
    year: Annotated[Optional[str], typer.Option("--year", help="只看某年")] = None,
    as_json: JsonOption = False,
    index_dir: IndexDirOption = None,
    config: ConfigOption = None,
) -> None:
    """检索知识库，返回最相关的段落。"""
    from qa.model import Filters
    from qa.search.hybrid import HybridRetriever

    if not query and not batch:
        err.print("[red]错误：[/red]请给出查询语句，或用 --batch 指定问题文件", markup=True)
        raise typer.Exit(2)
    with user_errors():
        settings = settings_from(config, index_dir)
        retriever = HybridRetriever.from_settings(settings, kb_path(settings, kb))
        filters = Filters(doc=doc, place=place, province=province, year=year)
        k = k or settings.retrieval.k
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
        path = section_path(hit.section)
        out.print(
            f"[bold]{rank}. {safe(hit.place or '')}《{safe(hit.title)}》[/bold] {safe(path)}  "
            f"[dim]{safe(hit.doc)} 得分 {hit.score:.4f}[/dim]",
            highlight=False,
        )
        shown = hit.text if len(hit.text) <= SHOWN_CHARS else f"{hit.text[:SHOWN_CHARS]}…"
        out.print(
            plain("   " + "\n   ".join(shown.splitlines()) + "\n", lines=True), highlight=False
        )  # a joined passage has lines


def _search_payload(question: str | None, result: Any) -> dict[str, Any]:
    """The JSON shape of one search, shared by single and batch output."""
    return {"question": question, "relevant": result.relevant, "hits": [h.to_dict() for h in result.hits]}


@app.command("eval")
def evaluate_cmd(
    questions: Annotated[
        Path, typer.Argument(metavar="问题集", help="问题集 JSONL：question, gold[{doc, contains}], kind, history")
    ],
    kb: KbOption = None,
    k: Annotated[int, typer.Option("-k", help="评测前 k 条")] = 10,
    compare: Annotated[bool, typer.Option("--compare", help="同一次运行中对比标准做法与各单路检索")] = False,
    half: Annotated[str, typer.Option("--half", help="all（全部）、tune（调参半）或 check（检验半）")] = "all",
    as_json: JsonOption = False,
    index_dir: IndexDirOption = None,
    config: ConfigOption = None,
) -> None:
    """评测检索质量：hit@1、hit@5、MRR@k、召回率，按问题类型分列；问题集按文档分为调参半和检验半。"""
    from qa.answer.answerer import Answerer
    from qa.app.measure import measure
    from qa.errors import UserError
    from qa.search.evaluation import format_table, load_questions

    with user_errors():
        if half not in ("all", "tune", "check"):
            raise UserError(f"--half 只能是 all、tune 或 check，现为 “{half}”")
        settings = settings_from(config, index_dir)
        answerer = Answerer.from_settings(settings, kb_path(settings, kb))
        reports = measure(answerer, load_questions(questions), k, compare)
        if half not in reports:
            raise UserError(f"问题集中没有属于 {half} 半的问题")
    if as_json:
        print(json.dumps(reports[half], ensure_ascii=False, indent=2))
    else:
        print(format_table(reports[half], k))


@app.command()
def docs(
    kb: KbOption = None,
    as_json: JsonOption = False,
    index_dir: IndexDirOption = None,
    config: ConfigOption = None,
) -> None:
    """列出知识库中的文档及其元数据。"""
    from qa.index.knowledge_base import KnowledgeBase

    with user_errors():
        knowledge_base = KnowledgeBase(kb_path(settings_from(config, index_dir), kb))
        rows = [dict(r) for r in knowledge_base.documents()]
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table(title=f"知识库 {knowledge_base.folder.name}：{len(rows)} 个文档，{knowledge_base.chunk_count} 个分块")
    for col in ("文件", "标题", "地点", "作者", "日期", "文章", "分块"):
        table.add_column(col, overflow="fold")  # a long file name wraps in a narrow terminal, never cut
    for r in sorted(rows, key=lambda r: r["file_name"]):
        table.add_row(
            plain(r["file_name"]),
            plain(r["titles"] or ""),
            plain(r["places"] or ""),
            plain(r["authors"] or ""),
            plain(r["dates"] or ""),
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
    doc: Annotated[str, typer.Argument(metavar="文档", help="文件名或完整路径")],
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
    from qa.index.knowledge_base import KnowledgeBase
    from qa.ingest.pipeline import remove_documents

    with user_errors():
        folder = kb_path(settings_from(config, index_dir), kb)
        knowledge_base = KnowledgeBase(folder)
        matches = [r for r in knowledge_base.documents() if doc in (r["file_name"], r["path"])]
        embedder_name, dim = knowledge_base.embedder_name, knowledge_base.dim
        knowledge_base.close()
        if not matches:
            err.print(f"[red]错误：[/red]知识库中没有文档 “{safe(doc)}”：用 qa docs 查看已有文档", markup=True)
            raise typer.Exit(1)
        if len(matches) > 1:
            paths = "\n".join(r["path"] for r in matches)
            err.print(f"[red]错误：[/red]有多个文档名为 “{safe(doc)}”，请给出完整路径：\n{safe(paths)}", markup=True)
            raise typer.Exit(1)
        remove_documents(folder, [matches[0]["id"]], embedder_name, dim, purge=purge)
    out.print(plain(f"已删除 {matches[0]['file_name']}" + ("，索引文件中的残留也已清除" if purge else "")))
