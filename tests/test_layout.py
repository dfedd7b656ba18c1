"""The package's layout rules, read from the source with ``ast`` (nothing is imported).

No import cycle; no import of our own modules inside a function (the old way of hiding a
cycle) and no importlib discovery of them; dependencies point down (foundations <- content
model <- store <- features <- cli/server); argparse only in ``cli/``, Flask only in
``server/``; every subpackage says in its docstring what it is for and what it may import.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from conftest import ROOT

PACKAGE = ROOT / "geo_kttt"

FOUNDATIONS = {"geo_kttt", "geo_kttt.settings", "geo_kttt.i18n", "geo_kttt.text", "geo_kttt.io",
               "geo_kttt.errors", "geo_kttt.web", "geo_kttt.crs"}
CONTENT = {"geo_kttt.catalog", "geo_kttt.admin", "geo_kttt.sites", "geo_kttt.validate", "geo_kttt.summary"}
# group -> the groups its modules may import (besides their own)
ALLOWED = {
    "foundations": {"foundations"},
    "content": {"foundations"},
    "store": {"foundations", "content"},
    "imports": {"foundations", "content"},
    "maps": {"foundations", "content"},
    "coverage": {"foundations", "content", "maps"},
    "export": {"foundations", "content", "maps"},
    "ogcapi": {"foundations", "content"},
    "editing": {"foundations", "content", "store", "imports"},
    "server": {"foundations", "content", "store", "imports", "maps", "coverage", "export", "ogcapi",
               "editing"},
    "cli": {"foundations", "content", "store", "imports", "maps", "coverage", "export", "ogcapi", "server",
            "editing"},
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def group(module: str) -> str:
    if module in FOUNDATIONS:
        return "foundations"
    if module in CONTENT:
        return "content"
    return module.split(".")[1]


SOURCES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
TREES = {m: ast.parse(p.read_text(encoding="utf-8"), str(p)) for m, p in SOURCES.items()}


def _targets(module: str, node) -> list[str]:
    """The modules of ours that one import statement imports."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] == "geo_kttt"]
    if node.level:
        is_pkg = SOURCES[module].name == "__init__.py"
        base = module.split(".")
        base = base[: len(base) - node.level + (1 if is_pkg else 0)]
        name = ".".join(base + ([node.module] if node.module else []))
    elif node.module and node.module.split(".")[0] == "geo_kttt":
        name = node.module
    else:
        return []
    subs = [f"{name}.{a.name}" for a in node.names if f"{name}.{a.name}" in SOURCES]
    return subs if len(subs) == len(node.names) else [name, *subs]


def _imports(module: str):
    """(statement, targets, in a function?) for every import statement of ``module``."""
    def walk(node, in_function):
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            if isinstance(child, ast.Import | ast.ImportFrom):
                yield child, _targets(module, child), in_function
            yield from walk(child, inner)
    yield from walk(TREES[module], False)


GRAPH = {m: sorted({t for _, ts, _ in _imports(m) for t in ts if t != m}) for m in SOURCES}


def _third_party(module: str) -> set[str]:
    out = set()
    for node, _, _ in _imports(module):
        if isinstance(node, ast.Import):
            out |= {a.name.split(".")[0] for a in node.names}
        elif not node.level and node.module:
            out.add(node.module.split(".")[0])
    return out


def test_the_graph_covers_the_package():
    assert len(SOURCES) > 50 and "geo_kttt.store.postgis" in GRAPH["geo_kttt.store"]
    unknown = {t for ts in GRAPH.values() for t in ts if t not in SOURCES}
    assert not unknown, f"imports of modules that do not exist: {sorted(unknown)}"


def test_no_import_cycle():
    state, cycles = {}, []

    def visit(m, path):
        state[m] = "open"
        for t in GRAPH[m]:
            if state.get(t) == "open":
                cycles.append(path[path.index(t):] + [t])
            elif t not in state:
                visit(t, path + [t])
        state[m] = "done"

    for m in GRAPH:
        if m not in state:
            visit(m, [m])
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_no_import_of_our_modules_inside_a_function():
    late = [f"{m}:{node.lineno}" for m in SOURCES for node, targets, in_fn in _imports(m)
            if in_fn and (targets or getattr(node, "level", 0))]
    assert not late, f"imports of geo_kttt inside functions (move them to the top): {late}"


def test_no_discovery_of_our_modules_by_name():
    users = [m for m in SOURCES if "importlib" in _third_party(m)
             or any(isinstance(n, ast.Name) and n.id == "__import__" for n in ast.walk(TREES[m]))]
    assert not users, f"importlib/__import__ in {users}: import modules by name, explicitly"


@pytest.mark.parametrize("library, home", [("argparse", "geo_kttt.cli"), ("flask", "geo_kttt.server"),
                                           ("werkzeug", "geo_kttt.server"), ("waitress", "geo_kttt.cli"),
                                           ("gunicorn", "geo_kttt.cli")])
def test_adapter_libraries_stay_in_their_adapter(library, home):
    outside = [m for m in SOURCES if library in _third_party(m) and not (m + ".").startswith(home + ".")]
    assert not outside, f"{library} imported outside {home}: {outside}"


def test_dependencies_point_down():
    wrong = [f"{m} -> {t}" for m, targets in GRAPH.items() for t in targets
             if group(t) != group(m) and group(t) not in ALLOWED[group(m)]]
    assert not wrong, "imports against the layering (see ALLOWED): " + "; ".join(wrong)


def test_the_selection_imports_nothing_of_its_family():
    assert not [t for t in GRAPH["geo_kttt.export.selection"] if t.startswith("geo_kttt.export")]


def test_foundations_import_only_each_other():
    wrong = {m: [t for t in GRAPH[m] if t not in FOUNDATIONS] for m in FOUNDATIONS}
    assert not {m: ts for m, ts in wrong.items() if ts}


@pytest.mark.parametrize("package", sorted(m for m, p in SOURCES.items()
                                           if p.name == "__init__.py" and m != "geo_kttt"))
def test_each_subpackage_says_what_it_is_for_and_may_import(package):
    doc = ast.get_docstring(TREES[package]) or ""
    assert len(doc.splitlines()[0]) > 20, f"{package}: the first docstring line says what it is for"
    assert "May import" in doc or "Imports nothing" in doc, f"{package}: say what it may import"
