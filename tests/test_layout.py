"""The layout holds: one job a module (said in its first line), Whoosh behind the engine seam, no
import circles, no module too long to read."""

from __future__ import annotations

import ast
from pathlib import Path

from .conftest import ROOT

PACKAGE = ROOT / "searchlib"
MAX_LINES = 700


def modules() -> dict[str, Path]:
    """Every module of the package by its dotted name."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def top_level_imports(name: str, path: Path) -> set[str]:
    """The searchlib modules ``name`` imports when it is imported (not inside functions, not
    for type checking only)."""
    tree = ast.parse(path.read_text("utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    imported = set()
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        for sub in ast.walk(node) if not isinstance(node, ast.FunctionDef | ast.ClassDef) else ():
            if isinstance(sub, ast.Import):
                imported |= {alias.name for alias in sub.names}
            elif isinstance(sub, ast.ImportFrom):
                base = sub.module or ""
                if sub.level:
                    anchor = package.split(".")[: len(package.split(".")) - sub.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                imported.add(base)
                imported |= {f"{base}.{alias.name}" for alias in sub.names}
    return {module for module in imported if module.startswith("searchlib")}


def test_only_the_engine_imports_whoosh():
    importing = [
        name
        for name, path in modules().items()
        if any(
            line.strip().startswith(("import whoosh", "from whoosh"))
            for line in path.read_text("utf-8").splitlines()
        )
    ]
    assert importing
    assert all(name.startswith("searchlib.engine.") for name in importing), importing


def test_no_module_is_longer_than_the_limit():
    long = {
        name: n
        for name, path in modules().items()
        if (n := len(path.read_text("utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_every_module_says_its_job_in_its_first_line():
    for name, path in modules().items():
        doc = ast.get_docstring(ast.parse(path.read_text("utf-8")), clean=False)
        assert doc and doc.strip(), name
        first = doc.strip().splitlines()[0]
        assert first.endswith(".") and len(first) <= 100, (name, first)


def test_no_import_circles():
    known = modules()
    graph = {
        name: {m for m in top_level_imports(name, path) if m in known and m != name}
        for name, path in known.items()
    }
    # A package's __init__ importing its own submodules is how packages work; a circle is a
    # module that, through its imports, needs itself before it is done.
    for name in graph:
        graph[name] = {m for m in graph[name] if not name.startswith(m + ".")}
    seen: dict[str, int] = {}
    circles = []

    def visit(node: str, stack: list[str]) -> None:
        seen[node] = 1
        for target in sorted(graph[node]):
            if seen.get(target) == 1:
                circles.append([*stack[stack.index(target) :], target])
            elif target not in seen:
                visit(target, [*stack, target])
        seen[node] = 2

    for name in sorted(graph):
        if name not in seen:
            visit(name, [name])
    assert circles == []
