# Two-command quick start: `make run` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test venv lint typecheck docs clean bench browser glpk pywr

$(BIN)/python:
	@echo ">> creating virtual environment in $(VENV)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	@echo ">> installing balkhash into $(VENV)"
	$(BIN)/python -m pip install --quiet -e .
	@touch $(STAMP)

$(TEST_STAMP): $(BIN)/python pyproject.toml
	@echo ">> installing balkhash with the test extra into $(VENV)"
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP) $(TEST_STAMP)

venv: $(STAMP)

run: $(STAMP)
	@echo ">> balkhash plan on the embedded Ile-Balkhash basin (results in out/)"
	$(BIN)/balkhash plan --out out

lint: $(TEST_STAMP)
	@echo ">> ruff"
	$(BIN)/ruff check balkhash tests benchmarks

typecheck: $(TEST_STAMP)
	@echo ">> mypy"
	$(BIN)/mypy balkhash

# the report's browser test drives Debian's chromium: `make browser` installs it when missing (needs
# root); CI runs it (.ci/run), `make test` never installs it: without chromium the browser test is
# skipped and pytest prints why
CHROMIUM ?= /usr/bin/chromium
browser:
	@if [ -x "$(CHROMIUM)" ]; then \
		echo ">> chromium present: $(CHROMIUM)"; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
		echo ">> $(CHROMIUM) missing: apt-get update && apt-get install -y chromium (for the report's browser test)"; \
		DEBIAN_FRONTEND=noninteractive apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
	else \
		echo ">> $(CHROMIUM) missing and apt-get is not usable (not root): the browser test will be skipped"; \
	fi

# the GLPK test of `plan --solver glpk` needs Debian's glpk-utils (glpsol; installed here when missing; needs root)
GLPSOL ?= glpsol
glpk:
	@if command -v "$(GLPSOL)" >/dev/null 2>&1; then \
		echo ">> glpsol present: $$(command -v $(GLPSOL))"; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
		echo ">> glpsol missing: apt-get update && apt-get install -y glpk-utils (for the GLPK solver tests)"; \
		DEBIAN_FRONTEND=noninteractive apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q glpk-utils; \
	else \
		echo ">> glpsol missing and apt-get is not usable (not root): the GLPK tests will be skipped"; \
	fi

test: $(TEST_STAMP) lint typecheck glpk pywr
	@echo ">> pytest"
	$(BIN)/python -m pytest

# the Pywr cross-checks (tests/test_pywr_export.py) and the Pywr ratio of the benchmark run Pywr in
# an environment of its own, .venv-pywr (pywr 1.31 wants pandas < 3): created here when missing
pywr: $(STAMP)
	@$(BIN)/python -c "from balkhash.peers.pywr_export import pywr_python; print('>> pywr:', pywr_python('.venv-pywr'))"

# docs/formulation.md: the constraint families, the matrix form, the solver's LP and the parameter table
# come from the docstrings of balkhash/allocation (tests/test_docs.py fails when it is stale); then the
# site (mkdocs-material, API reference from the docstrings by mkdocstrings; tests/test_docs.py builds it)
docs: $(TEST_STAMP)
	$(BIN)/python tools/formulation_doc.py
	@echo ">> the documentation site (mkdocs, strict) in site/"
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict -q

bench: $(STAMP) pywr
	$(BIN)/python benchmarks/engine.py
	$(BIN)/python benchmarks/simulation.py
	$(BIN)/python benchmarks/ensemble.py
	$(BIN)/python benchmarks/calvin.py
	$(BIN)/python benchmarks/flat_basin.py
	$(BIN)/python benchmarks/pywr_ratio.py --members 20 --years 15

clean:
	rm -rf $(VENV) out build site *.egg-info
