"""The package's import graph: data flows one way, so modules import one way.

The graph is built from the source with ``ast`` (every ``import`` and ``from ... import``, at
module level or inside a function), so an import cycle hidden in a function body counts too.
"""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

import balkhash

PACKAGE = Path(balkhash.__file__).parent


def _modules() -> dict[str, tuple[Path, bool]]:
    """Module name -> (file, is a package __init__)."""
    out = {}
    for f in sorted(PACKAGE.rglob("*.py")):
        parts = ["balkhash", *f.relative_to(PACKAGE).with_suffix("").parts]
        is_pkg = parts[-1] == "__init__"
        if is_pkg:
            parts = parts[:-1]
        out[".".join(parts)] = (f, is_pkg)
    return out


def import_graph() -> dict[str, set[str]]:
    """Module -> the balkhash modules it imports (``from pkg import mod`` names the module mod;
    ``from pkg import name`` names pkg)."""
    mods = _modules()
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for m, (f, is_pkg) in mods.items():
        package = m if is_pkg else m.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"), str(f))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    module = ".".join(base + ([node.module] if node.module else []))
                else:
                    module = node.module or ""
                targets = [f"{module}.{a.name}" if f"{module}.{a.name}" in mods else module for a in node.names]
            else:
                continue
            for t in targets:
                while t and t not in mods and "." in t:  # "import balkhash.network.io as x" etc.
                    t = t.rsplit(".", 1)[0]
                if t in mods and t != m:
                    graph[m].add(t)
    return graph


def reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, stack = set(), [start]
    while stack:
        for nxt in graph[stack.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


def test_the_graph_sees_imports_inside_functions():
    g = import_graph()
    # balkhash/__init__.py imports the solver inside solve() only
    assert "balkhash.allocation.solve" in g["balkhash"]
    assert "balkhash.network.io" in g["balkhash.network"]
    assert "balkhash.cli.plan" in g["balkhash.cli"]


def test_the_package_has_no_import_cycle():
    try:
        tuple(TopologicalSorter(import_graph()).static_order())
    except CycleError as exc:
        pytest.fail(f"import cycle: {' -> '.join(exc.args[1])}")


def test_a_cycle_would_be_found():
    with pytest.raises(CycleError):
        tuple(TopologicalSorter({"a": {"b"}, "b": {"a"}}).static_order())


@pytest.mark.parametrize("layer", ["balkhash.network", "balkhash.scenarios"])
@pytest.mark.parametrize("above", ["balkhash.allocation", "balkhash.studies", "balkhash.outputs", "balkhash.cli"])
def test_inputs_never_import_what_uses_them(layer, above):
    """The basin and the scenarios are input: nothing under them reaches the model, the studies,
    the outputs or the command line, directly or through another module."""
    g = import_graph()
    for m in (m for m in g if m == layer or m.startswith(layer + ".")):
        bad = sorted(x for x in reachable(g, m) if x == above or x.startswith(above + "."))
        assert not bad, f"{m} imports {', '.join(bad)}"
