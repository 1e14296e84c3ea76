"""The package's shape, checked: imports point down the flow, no module or function grows past what a
reader takes in at once, and SQL stays inside the index layer and the app's own records (qa/app/store)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "qa"
# ingest ─► index ◄─ search ◄─ answer ◄─ app; the shared modules below all of them. A module may
# import its own layer and any layer of a lower rank (ingest and search, both rank 2, not each other).
RANK = {"shared": 0, "index": 1, "ingest": 2, "search": 2, "answer": 3, "app": 4}
SHARED = {"qa", "qa.model", "qa.settings", "qa.errors", "qa.text", "qa.embeddings", "qa.migrations"}
MAX_MODULE_LINES = 350
MAX_FUNCTION_LINES = 80
# reaching into a knowledge base's connection, or through an answerer to its knowledge base
REACH_THROUGH = re.compile(r"\.kb\.conn\b|\.retriever\.kb\b")
# a question word the question analysis owns (qa/search/question.py): nowhere else in search or answer
QUESTION_SHAPE = re.compile(r"多少|哪一年|什么时候")
SQL = re.compile(r"\b(SELECT\s+\S|INSERT\s+(OR\s+\w+\s+)?INTO|DELETE\s+FROM|UPDATE\s+\w+\s+SET|CREATE\s+TABLE)")


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _layer(module: str) -> str:
    if module in SHARED:
        return "shared"
    return module.split(".")[1]


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) for every qa import, at the top of the module or inside a function."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "qa":
            found.append((node.lineno, node.module))
            found.extend((node.lineno, f"{node.module}.{a.name}") for a in node.names)
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "qa")
    modules = _modules()
    return [(line, name) for line, name in found if name in modules]


def test_imports_point_down_the_flow():
    wrong = []
    for module, path in _modules().items():
        here = _layer(module)
        for line, target in _imports(path):
            there = _layer(target)
            same_rank_other_layer = RANK[there] == RANK[here] and there != here
            if RANK[there] > RANK[here] or same_rank_other_layer:
                wrong.append(f"{path.relative_to(ROOT)}:{line} ({here}) imports {target} ({there})")
    assert not wrong, "\n".join(wrong)


def test_no_import_cycle():
    graph = {module: {t for _, t in _imports(path) if t != module} for module, path in _modules().items()}
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(module: str, trail: list[str]) -> list[str] | None:
        state[module] = 1
        for target in sorted(graph.get(module, ())):
            if state.get(target) == 1:
                return [*trail, module, target]
            if target not in state and (cycle := visit(target, [*trail, module])):
                return cycle
        state[module] = 2
        return None

    for module in sorted(graph):
        if module not in state:
            cycle = visit(module, [])
            assert cycle is None, " → ".join(cycle)


def test_modules_and_functions_stay_readable():
    too_long = []
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if len(text.splitlines()) > MAX_MODULE_LINES:
            too_long.append(f"{path.relative_to(ROOT)}: {len(text.splitlines())} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    too_long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}() {length} lines")
    assert not too_long, "\n".join(too_long)


def test_sql_lives_only_in_the_index_layer():
    outside = []
    for path in PACKAGE.rglob("*.py"):
        if path.is_relative_to(PACKAGE / "index") or path.is_relative_to(PACKAGE / "app" / "store"):
            continue
        if path == PACKAGE / "migrations.py":  # the upgrade machinery the SQLite files share
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if SQL.search(line) or ".execute(" in line:
                outside.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not outside, "\n".join(outside)


def test_the_app_and_the_stages_read_a_knowledge_base_through_its_own_methods():
    outside = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in PACKAGE.rglob("*.py")
        if not path.is_relative_to(PACKAGE / "index")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if REACH_THROUGH.search(line)
    ]
    assert not outside, "\n".join(outside)


def test_what_a_question_asks_is_decided_in_one_module():
    owner = PACKAGE / "search" / "question.py"
    elsewhere = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for layer in ("search", "answer")
        for path in (PACKAGE / layer).rglob("*.py")
        if path != owner
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if QUESTION_SHAPE.search(line)
    ]
    assert not elsewhere, "\n".join(elsewhere)


def test_every_sqlite_file_the_product_writes_has_numbered_upgrades():
    """Whatever opens an SQLite file of its own runs qa.migrations.upgrade on it (the knowledge base's
    connection is opened in qa/index/schema.py and upgraded by its migrate)."""
    missing = [
        str(path.relative_to(ROOT))
        for path in PACKAGE.rglob("*.py")
        if "sqlite3.connect(" in (text := path.read_text(encoding="utf-8"))
        and "upgrade(" not in text
        and path != PACKAGE / "index" / "schema.py"
    ]
    assert not missing, missing
    schema = (PACKAGE / "index" / "schema.py").read_text(encoding="utf-8")
    assert "upgrade(conn, STEPS" in schema
    opened = (PACKAGE / "index" / "knowledge_base.py").read_text(encoding="utf-8")
    assert "migrate(self.conn)" in opened


def test_the_checks_catch_what_they_look_for(tmp_path):
    """The patterns themselves: SQL is recognised, an upward import is recognised."""
    assert SQL.search('conn.execute("SELECT id FROM chunks")')
    assert SQL.search("INSERT OR IGNORE INTO terms")
    assert not SQL.search("选择 select 一个文件")
    assert RANK[_layer("qa.app.cli")] > RANK[_layer("qa.index.writer")]
    assert _layer("qa.model") == "shared"
    assert REACH_THROUGH.search("ws.answerer(kb).retriever.kb.documents()")
    assert REACH_THROUGH.search("catalog.hits(self.kb.conn, ids)") and not REACH_THROUGH.search("self.kb.hits(ids)")
    assert QUESTION_SHAPE.search('re.compile(r"多少|几")')
