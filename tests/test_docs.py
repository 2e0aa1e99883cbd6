"""docs/formulation.md carries the equations of the code's docstrings: regenerated, it is unchanged."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _tool():
    spec = importlib.util.spec_from_file_location("formulation_doc", ROOT / "tools" / "formulation_doc.py")
    assert spec is not None
    assert spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_formulation_md_is_generated_from_the_docstrings():
    tool = _tool()
    current = tool.DOC.read_text(encoding="utf-8")
    if tool.render(current) != current:
        pytest.fail("docs/formulation.md is stale (a constraint family, lp.py, reduce.py, parameters.py or "
                    "aggregate.py docstring changed): regenerate it with `python tools/formulation_doc.py` "
                    "(or `make docs`)")


def test_every_family_has_its_section_in_build_order():
    from balkhash.allocation.model import FAMILIES

    text = (ROOT / "docs" / "formulation.md").read_text(encoding="utf-8")
    generated = text.split("<!-- BEGIN GENERATED -->", 1)[1].split("<!-- END GENERATED -->", 1)[0]
    paths = [f"`{f.__module__.replace('.', '/')}.py`" for f in FAMILIES]
    at = [generated.index(p) for p in paths]
    assert at == sorted(at)
    for path in ("balkhash/allocation/lp.py", "balkhash/allocation/reduce.py", "balkhash/allocation/parameters.py"):
        assert f"`{path}`" in generated


def test_markdown_conversion():
    tool = _tool()
    doc = """Intro with ``code`` and :mod:`balkhash.allocation.lp`.

    a <= b      (parameter ``x``)

* item:
      x + v >= Q
  more of the item

===  =====
k    v
===  =====
``a``  one
===  =====
"""
    md = tool.to_markdown(doc)
    assert "Intro with `code` and `balkhash.allocation.lp`." in md
    assert "```text\na <= b      (parameter x)\n```" in md
    assert "  ```text\n  x + v >= Q\n  ```" in md
    assert "| k | v |\n|---|---|\n| `a` | one |" in md


def test_the_changelog_names_the_exit_codes_the_code_uses():
    import tomllib

    from balkhash.errors import EXIT_NO_SOLUTION

    root = Path(__file__).resolve().parents[1]
    text = (root / "CHANGELOG.md").read_text()
    version = tomllib.loads((root / "pyproject.toml").read_text())["project"]["version"]
    assert f"## {version}" in text
    assert f"**{EXIT_NO_SOLUTION} no solution**" in text


def test_the_getting_started_script_runs():
    """docs/examples/getting_started.py: build a basin in Python, solve, change a demand, re-solve,
    compare; a mistake is refused with its message."""
    import runpy

    root = Path(__file__).resolve().parents[1]
    ns = runpy.run_path(str(root / "docs" / "examples" / "getting_started.py"))
    short = ns["main"]()
    assert short["base"] == pytest.approx(0.0, abs=1e-6)
    assert short["more"] > 100.0


def test_the_documentation_site_builds_in_strict_mode(tmp_path):
    """mkdocs.yml: every page, the README as home page, the changelog and the API reference from the
    docstrings; strict, so a broken link or an unknown reference fails the build."""
    import os
    import shutil
    import subprocess

    mkdocs = shutil.which("mkdocs", path=str(Path(sys.executable).parent)) or shutil.which("mkdocs")
    if mkdocs is None:
        pytest.skip("mkdocs is not installed: pip install -e '.[docs]' (the test extra includes it)")
    root = Path(__file__).resolve().parents[1]
    r = subprocess.run([mkdocs, "build", "--strict", "-q", "-d", str(tmp_path / "site")], cwd=root,
                       capture_output=True, text=True, timeout=300, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert r.returncode == 0, r.stdout + r.stderr
    api = (tmp_path / "site" / "api" / "index.html").read_text()
    for name in ("Allocation", "load_basin", "apply_scenario", "write_dir"):
        assert name in api, name
    assert "Quick start" in (tmp_path / "site" / "index.html").read_text()
    assert "Changelog" in (tmp_path / "site" / "changelog" / "index.html").read_text()
