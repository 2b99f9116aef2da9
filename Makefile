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
# Drawn into SVG at build time (docs/hooks/diagrams.py); never published.
MERMAID_JS := $(BUILD)/mermaid/mermaid.min.js

.PHONY: setup prereqs tutorial tutorial-prereqs lab test test-middle test-fast test-integration test-built test-notebooks \
	docs serve-docs lint clean lock bench bench-quick ci-times compat-cell compat-matrix \
	precommit versions canary-newest canary-lowest canary-next canary-properdocs test-python

# KServe's model server (notebook 12, the benchmark) lives in its own venv: see peers/.
KSERVE_VENV := .venv-kserve
KSERVE_LOCK := peers/requirements-kserve.lock
KSERVE_STAMP := $(KSERVE_VENV)/.installed
# The model stack both environments share, pinned from requirements.lock into the KServe lock.
SHARED_PINS := mlflow|mlflow-skinny|scikit-learn|skops|pandas|numpy|scipy|cloudpickle

setup: $(STAMP) $(KSERVE_STAMP)

# uv itself is pinned: the same lock installs the same way on every machine.
UV_VERSION := 0.13.9

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) tools/check_python.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	# The lock is complete (every transitive pin), so it is installed as written, without a
	# dependency check: MLServer 1.7.1 still declares fastapi<0.116, which the lock overrides
	# (pyproject.toml [tool.uv], docs/security.md). --compile-bytecode writes the .pyc files
	# once here: with PYTHONDONTWRITEBYTECODE set, every kernel and every mlserver process
	# would otherwise compile MLflow and MLServer from source each time it starts.
	# `sync`, not `install`: a package dropped from the lock leaves the venv too (sync removes
	# everything the lock does not list, this package's editable install included, put back next).
	$(UV) pip sync --quiet --compile-bytecode --python $(PY) requirements.lock
	$(UV) pip install --quiet --python $(PY) --no-deps -e .
	$(PY) tools/known_warnings.py
	touch $(STAMP)

$(KSERVE_STAMP): $(KSERVE_LOCK) | $(STAMP)
	test -x $(KSERVE_VENV)/bin/python || $(PYTHON) -m venv $(KSERVE_VENV)
	$(UV) pip sync --quiet --compile-bytecode --python $(KSERVE_VENV)/bin/python $(KSERVE_LOCK)
	touch $(KSERVE_STAMP)

# The reader's path: every notebook in order on the workspace (workspace/ unless
# WINE_SERVING_HOME moves it), as in JupyterLab; safe to run again. What the notebooks need
# beyond Python is checked first; `make tutorial SKIP=18` leaves notebook 18 (Prometheus) out.
SKIP ?=
tutorial: tutorial-prereqs setup
	$(PY) tools/run_notebooks.py notebooks $(foreach n,$(SKIP),--skip $(n))

tutorial-prereqs:
	@$(PYTHON) tools/check_prereqs.py --for tutorial $(foreach n,$(SKIP),--skip $(n))

# Benchmark (see notebook 13): JSON, Markdown table and plot under <workspace>/bench.
bench: setup
	$(PY) -m wine_serving.bench

bench-quick: setup
	$(PY) -m wine_serving.bench --quick

# JupyterLab on the port the dev container forwards (.devcontainer/devcontainer.json).
LAB_PORT ?= 8888
lab: setup
	$(VENV)/bin/jupyter lab notebooks/ --port=$(LAB_PORT)

lint: setup
	$(VENV)/bin/ruff check src tests conftest.py tools notebooks docs/hooks

# Tests split by cost: unit (no server; under a minute), integration (real servers), and the
# checks of what was built (executed notebooks, docs site, lock and environment).
# The static checks read only committed files, so they run with the unit tests.
STATIC_TESTS := tests/test_notebooks.py tests/test_repository.py tests/test_project_files.py tests/test_environment.py \
  tests/test_vocabulary.py tests/test_devcontainer.py tests/test_lesson_references.py tests/test_status_table.py \
  tests/test_stack_status.py
test-fast: $(STAMP)
	$(PY) -m pytest -n $(JOBS) tests/unit $(STATIC_TESTS)

test-integration: setup
	$(PY) -m pytest -n $(JOBS) --dist loadgroup tests/integration

test-built: setup
	$(PY) -m pytest -n $(JOBS) tests --ignore=tests/unit --ignore=tests/integration \
	  $(foreach t,$(STATIC_TESTS),--ignore=$(t))

# The notebooks three ways, as readers run them: in order on one fresh workspace (what
# `make tutorial` does; the docs site shows these executed copies), the same again on that
# workspace (a reader who runs everything twice), and each alone on an empty workspace of its
# own (`pytest --nbmake`, see conftest.py), side by side on the cores; nothing may be left
# outside the git-ignored workspace and build folders. tools/ci_stages.py says what each
# stage proves; tools/ci.py runs them and prints where the time went.
test-notebooks: setup
	$(PY) tools/ci.py notebooks

# Executed copies are stale once a notebook changes.
$(EXECUTED)/.executed: $(wildcard notebooks/*.ipynb)
	$(MAKE) test-notebooks
	touch $@

# Mermaid draws the diagrams during the build, in Chromium (docs/hooks/diagrams.py).
$(MERMAID_JS):
	mkdir -p $(dir $@)
	tmp=$$(mktemp -d) && (cd $$tmp && npm pack --silent mermaid@$(MERMAID_VERSION) >/dev/null \
	  && tar xzf mermaid-$(MERMAID_VERSION).tgz package/dist/mermaid.min.js) \
	  && cp $$tmp/package/dist/mermaid.min.js $@ && rm -rf $$tmp

# The site shows the notebooks as executed by the test run.
docs: setup $(MERMAID_JS) $(EXECUTED)/.executed
	rm -rf docs/tutorial && mkdir -p docs/tutorial && cp $(EXECUTED)/*.ipynb docs/tutorial/
	$(VENV)/bin/mkdocs build --strict

# What make test needs beyond Python and make, named up front (tools/check_prereqs.py).
prereqs:
	@$(PYTHON) tools/check_prereqs.py

# Everything CI runs (.ci/run), side by side on the cores: the stages and what each proves are
# in tools/ci_stages.py. The table of where the time went ends the log; `make ci-times`
# prints the last one again. Which tier to run when: README (測試的三個層級).
test: prereqs setup $(MERMAID_JS)
	$(PY) tools/ci.py full

# The middle tier: all of the above but the second in-order pass and the browser tests.
# Three lanes on two cores: a notebook waits for servers to start and stop (seconds at a time), and a third
# lane fills those waits (measured with 17 notebooks: 17 min with three lanes, about 20 estimated with two;
# with 20 notebooks, 1,177 s with three lanes and the CPU 85 % busy on average, sampled every 10 s).
# `make test` keeps two: its second pass follows the first on one workspace, so those two passes are
# its longest chain, and a third lane slows that chain (notebooks 14-20 of the first pass: 562 s with
# three lanes, 372-457 s with two, 2026-12-06).
MIDDLE_LANES ?= 3
test-middle: prereqs setup $(MERMAID_JS)
	$(PY) tools/ci.py middle --cores $(MIDDLE_LANES)

ci-times:
	@cat $(BUILD)/ci-times.md 2>/dev/null || echo "No run recorded yet: make test or make test-middle writes $(BUILD)/ci-times.md"

# Pre-commit's hooks (ruff; notebooks committed without outputs), all local: no network needed.
precommit: setup
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/pre-commit run --all-files

# The installed versions that matter, for a bug report.
versions: setup
	$(PY) tools/versions.py

# The version canary: notebooks 01-06 in a fresh venv on the newest versions pyproject.toml
# allows, or on its lower bounds (direct dependencies at their lowest, `uv --resolution
# lowest-direct`). The resolved versions stay in build/canary-*/requirements.txt.
CANARY_NOTEBOOKS := 01_train_model 02_locate_model 03_write_settings 04_start_server 05_column_requests 06_tensor_requests
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

# A fresh venv in $(1) from the requirements file $(2), installed as `make setup` installs the
# lock (no dependency resolution), then notebooks 01-06, each on an empty workspace of its own.
define core_notebooks
	rm -rf $(1)/venv && mkdir -p $(1) && $(PYTHON) -m venv $(1)/venv
	$(1)/venv/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(1)/venv/bin/uv pip install --quiet --compile-bytecode --python $(1)/venv/bin/python --no-deps -r $(2)
	$(1)/venv/bin/uv pip install --quiet --python $(1)/venv/bin/python --no-deps -e .
	$(1)/venv/bin/python tools/known_warnings.py
	$(1)/venv/bin/python tools/versions.py | tee $(1)/versions.txt
	$(1)/venv/bin/python -m pytest -p no:cacheprovider -n $(JOBS) --nbmake --nbmake-timeout=600 \
	  $(foreach nb,$(CANARY_NOTEBOOKS),notebooks/$(nb).ipynb)
endef

# How each Python the README names is tested: `make test-python PYTHON=python3.12` runs 01-06
# from the same lock on that interpreter; an unsupported one is refused in one sentence.
test-python:
	@$(PYTHON) tools/check_python.py
	$(call core_notebooks,$(BUILD)/python-check,requirements.lock)

# The canary looks ahead: 01-06 on MLServer's next (pre-)release, with the uvloop its metadata
# requires (>=0.22.1,<0.24) and this repository's fastapi/starlette overrides kept from the lock.
NEXT_PINS := mlserver==1.7.2rc1 mlserver-mlflow==1.7.2rc1 uvloop==0.23.0
canary-next:
	@$(PYTHON) tools/check_python.py
	mkdir -p $(BUILD)/canary-next
	grep -vE '^(mlserver|mlserver-mlflow|uvloop)==' requirements.lock > $(BUILD)/canary-next/requirements.txt
	printf '%s\n' $(NEXT_PINS) >> $(BUILD)/canary-next/requirements.txt
	$(call core_notebooks,$(BUILD)/canary-next,$(BUILD)/canary-next/requirements.txt)

canary-newest:
	$(call canary,newest,highest)

canary-lowest:
	$(call canary,lowest,lowest-direct)

# The docs toolchain canary: MkDocs 1.x is unmaintained and Material for MkDocs is in maintenance, so
# the same site is built strictly by ProperDocs (a drop-in fork of MkDocs 1.6) in a venv of its own,
# with the theme and plugins pinned as in requirements.lock, then checked by the built-site tests.
# Outside .ci/run. It rebuilds site/ (make docs builds it again with MkDocs).
PROPERDOCS := properdocs==1.6.7
DOCS_PINS := mkdocs-material|mkdocs-jupyter|mkdocstrings|mkdocstrings-python|pymdown-extensions
canary-properdocs: setup $(MERMAID_JS) $(EXECUTED)/.executed
	rm -rf $(BUILD)/canary-properdocs && mkdir -p $(BUILD)/canary-properdocs
	$(PYTHON) -m venv $(BUILD)/canary-properdocs/venv
	$(BUILD)/canary-properdocs/venv/bin/python -m pip install --quiet --disable-pip-version-check uv
	grep -E '^($(DOCS_PINS))==' requirements.lock > $(BUILD)/canary-properdocs/requirements.txt
	echo '$(PROPERDOCS)' >> $(BUILD)/canary-properdocs/requirements.txt
	$(BUILD)/canary-properdocs/venv/bin/uv pip install --quiet --python $(BUILD)/canary-properdocs/venv/bin/python \
	  -r $(BUILD)/canary-properdocs/requirements.txt
	rm -rf docs/tutorial && mkdir -p docs/tutorial && cp $(EXECUTED)/*.ipynb docs/tutorial/
	$(BUILD)/canary-properdocs/venv/bin/properdocs build --strict -f mkdocs.yml
	$(PY) -m pytest -p no:cacheprovider -m 'not browser' tests --ignore=tests/unit --ignore=tests/integration \
	  $(foreach t,$(STATIC_TESTS),--ignore=$(t)) --ignore=tests/test_reader_path_report.py

# The compatibility matrix (docs/compatibility.md): notebooks 01-08 in a fresh venv per MLServer x MLflow
# x pandas x Python combination (tools/compat_matrix.py). Minutes per cell and the package registry, so
# outside .ci/run; .github/workflows/compat.yml runs the cells side by side. `make compat-matrix` runs
# them one after another here, then writes the page.
MLSERVER ?= 1.7.1
MLFLOW ?= 3.17
PANDAS ?= 2.2
PY_VERSION ?= 3.11
WEB ?= patched
compat-cell:
	$(PYTHON) tools/compat_matrix.py run --mlserver $(MLSERVER) --mlflow $(MLFLOW) --pandas $(PANDAS) \
	  --python $(PY_VERSION) --web $(WEB)
	$(PYTHON) tools/compat_matrix.py page

compat-matrix:
	$(PYTHON) tools/compat_matrix.py all

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
