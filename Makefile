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

.PHONY: setup tutorial lab test test-fast test-integration test-built test-notebooks docs serve-docs lint clean lock bench bench-quick \
	precommit versions canary-newest canary-lowest

# KServe's model server (notebook 14, the benchmark) lives in its own venv: see peers/.
KSERVE_VENV := .venv-kserve
KSERVE_LOCK := peers/requirements-kserve.lock
KSERVE_STAMP := $(KSERVE_VENV)/.installed
# The model stack both environments share, pinned from requirements.lock into the KServe lock.
SHARED_PINS := mlflow|mlflow-skinny|scikit-learn|skops|pandas|numpy|scipy|cloudpickle

setup: $(STAMP) $(KSERVE_STAMP)

$(STAMP): requirements.lock pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check uv
	# The lock is complete (every transitive pin), so it is installed as written, without a
	# dependency check: MLServer 1.7.1 still declares fastapi<0.116, which the lock overrides
	# (pyproject.toml [tool.uv], docs/security.md).
	$(UV) pip install --quiet --python $(PY) --no-deps -r requirements.lock
	$(UV) pip install --quiet --python $(PY) --no-deps -e .
	$(PY) tools/known_warnings.py
	touch $(STAMP)

$(KSERVE_STAMP): $(KSERVE_LOCK) | $(STAMP)
	test -x $(KSERVE_VENV)/bin/python || $(PYTHON) -m venv $(KSERVE_VENV)
	$(UV) pip install --quiet --python $(KSERVE_VENV)/bin/python --no-deps -r $(KSERVE_LOCK)
	touch $(KSERVE_STAMP)

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

test: precommit test-fast test-notebooks docs test-integration test-built

# Pre-commit's hooks (ruff; notebooks committed without outputs), all local: no network needed.
precommit: setup
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/pre-commit run --all-files

# The installed versions that matter, for a bug report.
versions: setup
	$(PY) tools/versions.py

# The version canary: notebooks 01-05 in a fresh venv on the newest versions pyproject.toml
# allows, or on its lower bounds (direct dependencies at their lowest, `uv --resolution
# lowest-direct`). The resolved versions stay in build/canary-*/requirements.txt.
CANARY_NOTEBOOKS := 01_train_model 02_locate_model 03_write_settings 04_start_server 05_request_families
define canary
	rm -rf $(BUILD)/canary-$(1) && mkdir -p $(BUILD)/canary-$(1)/notebooks
	$(PYTHON) -m venv $(BUILD)/canary-$(1)/venv
	$(BUILD)/canary-$(1)/venv/bin/python -m pip install --quiet --disable-pip-version-check uv
	$(BUILD)/canary-$(1)/venv/bin/uv pip compile --quiet pyproject.toml --extra dev --python-version 3.11 \
	  --resolution $(2) -o $(BUILD)/canary-$(1)/requirements.txt
	$(BUILD)/canary-$(1)/venv/bin/uv pip install --quiet --python $(BUILD)/canary-$(1)/venv/bin/python \
	  --no-deps -r $(BUILD)/canary-$(1)/requirements.txt
	$(BUILD)/canary-$(1)/venv/bin/uv pip install --quiet --python $(BUILD)/canary-$(1)/venv/bin/python --no-deps -e .
	for nb in $(CANARY_NOTEBOOKS); do cp notebooks/$$nb.ipynb $(BUILD)/canary-$(1)/notebooks/; done
	$(BUILD)/canary-$(1)/venv/bin/python tools/versions.py
	$(BUILD)/canary-$(1)/venv/bin/python -m pytest -p no:cacheprovider -n $(JOBS) --nbmake \
	  --nbmake-timeout=600 $(BUILD)/canary-$(1)/notebooks
endef

canary-newest:
	$(call canary,newest,highest)

canary-lowest:
	$(call canary,lowest,lowest-direct)

serve-docs: setup
	$(VENV)/bin/mkdocs serve -a 127.0.0.1:8000

clean:
	rm -rf $(BUILD) site .pytest_cache .ruff_cache workspace

# Re-pin after changing ranges in pyproject.toml (needs the package registry).
lock: setup
	$(UV) pip compile pyproject.toml --all-extras --python-version 3.11 --universal -o requirements.lock
	mkdir -p $(BUILD) && (cat peers/requirements-kserve.in; \
	  grep -E '^($(SHARED_PINS))==' requirements.lock | sed 's/ ;.*//') > $(BUILD)/kserve.in
	$(UV) pip compile $(BUILD)/kserve.in --python-version 3.11 --universal --no-config -o $(KSERVE_LOCK)
