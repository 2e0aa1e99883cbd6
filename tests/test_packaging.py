"""The wheel carries the package data: the bundled basins are found from an installed wheel."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    r = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        capture_output=True, text=True, timeout=300,
    )
    assert r.returncode == 0, r.stderr
    (whl,) = out.glob("balkhash-*.whl")
    return whl


def test_wheel_contains_data_and_console_script(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for example in ("tiny_river", "small_basin"):
        assert f"balkhash/data/examples/{example}/basin.yaml" in names
    assert "balkhash/data/examples/small_basin/series.csv" in names
    for f in ("basin.yaml", "scenarios.yaml", "transboundary_years.csv"):
        assert f"balkhash/data/ile_balkhash/{f}" in names
    assert "balkhash/py.typed" in names
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    assert "balkhash = balkhash.cli:main" in zipfile.ZipFile(wheel).read(entry).decode()


def test_examples_load_from_the_installed_wheel(wheel, tmp_path):
    """Unpack the wheel (what pip install does for a pure-Python wheel) and load the bundled basins
    from there, with the source tree out of the import path."""
    target = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(target)
    code = (
        "import balkhash, balkhash.data as d; from balkhash.network import load_basin;"
        f"assert str(d.data_dir()).startswith({str(target)!r}), d.data_dir();"
        "print(sorted(d.example_names())); [load_basin(d.example_path(n)) for n in d.example_names()]"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                       cwd=tmp_path, env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"})
    assert r.returncode == 0, r.stderr
    assert "small_basin" in r.stdout
    assert "tiny_river" in r.stdout


def test_default_basin_and_its_scenarios_run_from_the_installed_wheel(wheel, tmp_path):
    """`balkhash --help` and a plan of the embedded basin under one of its bundled scenarios, run
    from the unpacked wheel with the source tree out of the import path."""
    target = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(target)
    env = {"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"}
    r = subprocess.run([sys.executable, "-m", "balkhash.cli", "--help"], capture_output=True, text=True,
                       timeout=120, cwd=tmp_path, env=env)
    assert r.returncode == 0, r.stderr
    assert "plan" in r.stdout, r.stderr
    r = subprocess.run([sys.executable, "-m", "balkhash.cli", "plan", "--scenario", "scenarios.yaml", "--name",
                        "dry_2014", "--out", str(tmp_path / "out"), "--quiet"],
                       capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    summary = (tmp_path / "out" / "summary.json").read_text()
    assert '"scenario": "dry_2014"' in summary
    assert str(target) in summary


def test_parquet_has_an_install_extra_and_the_error_names_it(monkeypatch, tmp_path):
    import builtins
    import tomllib

    from balkhash.allocation.writer import OutputError, write_solution

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert any(dep.startswith("pyarrow") for dep in extras["parquet"])
    real_import = builtins.__import__

    def no_pyarrow(name, *args, **kwargs):
        if name == "pyarrow":
            raise ImportError("no pyarrow")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pyarrow)
    with pytest.raises(OutputError, match=r"pip install 'balkhash\[parquet\]'"):
        write_solution(object(), tmp_path / "out", "parquet")


def test_make_test_installs_no_browser_and_ci_does(tmp_path):
    """`make test` never runs apt-get for Chromium on a user's machine; CI (.ci/run) installs it and
    requires the browser test."""
    r = subprocess.run(["make", "-n", "-W", "pyproject.toml", "test"], cwd=ROOT, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    assert "pytest" in r.stdout
    assert "chromium" not in r.stdout
    ci = (ROOT / ".ci" / "run").read_text()
    assert ci.index("make browser") < ci.index("BALKHASH_REQUIRE_CHROMIUM=1 make test")
