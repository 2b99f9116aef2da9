# One entry point for readers, tests and CI. `make setup` is idempotent and quick when done.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
STAMP := $(VENV)/.installed
JOBS ?= 2
BUILD := build
# Executed copies of the notebooks: the committed ones stay output-free.
EXECUTED := $(BUILD)/notebooks

MERMAID_VERSION := 11.12.0
MERMAID_JS := docs/assets/javascripts/mermaid.min.js

.PHONY: setup tutorial lab test test-fast test-integration test-built test-notebooks docs serve-docs lint clean lock bench bench-quick

setup: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check uv
	$(UV) pip install --quiet --python $(PY) -r requirements.lock
	$(UV) pip install --quiet --python $(PY) --no-deps -e .
	touch $(STAMP)

tutorial: setup
	$(PY) tools/run_notebooks.py notebooks

# Benchmark (see notebook 10): JSON, Markdown table and plot under <workspace>/bench.
bench: setup
	$(PY) -m wine_serving.bench

bench-quick: setup
	$(PY) -m wine_serving.bench --quick

lab: setup
	$(VENV)/bin/jupyter lab notebooks/

lint: setup
	$(VENV)/bin/ruff check src tests conftest.py tools notebooks docs/hooks

# Tests split by cost: unit (no server; under a minute), integration (real servers), and the
# checks of what was built (executed notebooks, docs site, lock and environment).
test-fast: setup
	$(PY) -m pytest -n $(JOBS) tests/unit

test-integration: setup
	$(PY) -m pytest -n $(JOBS) --dist loadgroup tests/integration

test-built: setup
	$(PY) -m pytest -n $(JOBS) tests --ignore=tests/unit --ignore=tests/integration

# Each notebook runs in its own temporary workspace (see conftest.py), in parallel, except
# the benchmark notebook: its figures go on the docs site, so it runs alone afterwards.
BENCH_NOTEBOOK := $(EXECUTED)/10_performance.ipynb
test-notebooks: setup
	rm -rf $(EXECUTED) && mkdir -p $(BUILD) && cp -r notebooks $(EXECUTED)
	$(PY) -m pytest -n $(JOBS) --nbmake --overwrite --nbmake-timeout=600 $(EXECUTED) \
	  --deselect $(BENCH_NOTEBOOK)::10_performance.ipynb
	$(PY) -m pytest --nbmake --overwrite --nbmake-timeout=600 $(BENCH_NOTEBOOK)
	touch $(EXECUTED)/.executed

$(EXECUTED)/.executed:
	$(MAKE) test-notebooks

# Mermaid is served by the site itself (the reader's browser may have no CDN access).
$(MERMAID_JS):
	mkdir -p $(dir $@)
	tmp=$$(mktemp -d) && (cd $$tmp && npm pack --silent mermaid@$(MERMAID_VERSION) >/dev/null \
	  && tar xzf mermaid-$(MERMAID_VERSION).tgz package/dist/mermaid.min.js) \
	  && cp $$tmp/package/dist/mermaid.min.js $@ && rm -rf $$tmp

# The site shows the notebooks as executed by the test run.
docs: setup $(MERMAID_JS) $(EXECUTED)/.executed
	rm -rf docs/tutorial && mkdir -p docs/tutorial && cp $(EXECUTED)/*.ipynb docs/tutorial/
	$(VENV)/bin/mkdocs build --strict

test: lint test-fast test-notebooks docs test-integration test-built

serve-docs: setup
	$(VENV)/bin/mkdocs serve -a 127.0.0.1:8000

clean:
	rm -rf $(BUILD) site .pytest_cache .ruff_cache workspace

# Re-pin after changing ranges in pyproject.toml (needs the package registry).
lock: setup
	$(UV) pip compile pyproject.toml --all-extras --python-version 3.11 --universal -o requirements.lock
