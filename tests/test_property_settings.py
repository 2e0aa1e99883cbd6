"""BALKHASH_PROPERTY_EXAMPLES drives every property test of the suite, whatever its own default."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def test_the_environment_variable_sets_the_examples_of_every_property_test(tmp_path):
    probe = tmp_path / "test_probe.py"
    probe.write_text(
        "import pytest\n"
        "from hypothesis import given, settings, strategies as st\n"
        "from conftest import property_examples\n"
        "RUNS = {'a': 0, 'b': 0}\n"
        "@settings(max_examples=40, deadline=None)\n"
        "@given(st.integers())\n"
        "def test_a(x):\n    RUNS['a'] += 1\n"
        "@settings(max_examples=7, deadline=None)\n"
        "@given(st.integers())\n"
        "def test_b(x):\n    RUNS['b'] += 1\n"
        "def test_zz_counts():\n"
        "    print('RUNS', RUNS['a'], RUNS['b'], property_examples(test_a), property_examples(test_b))\n"
    )
    (tmp_path / "conftest.py").write_text((TESTS / "conftest.py").read_text())
    env = {**os.environ, "BALKHASH_PROPERTY_EXAMPLES": "3"}
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", str(probe)],
                       cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "RUNS 3 3 3 3" in r.stdout, r.stdout
    env.pop("BALKHASH_PROPERTY_EXAMPLES")
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", str(probe)],
                       cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert " 40 7" in r.stdout, r.stdout  # each test's own settings
