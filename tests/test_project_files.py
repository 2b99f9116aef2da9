"""The repository's own files: workflows valid and calling real targets, project files in use.

GitHub workflow and issue-form files are validated offline against the JSON schemas that
``check-jsonschema`` vendors (from SchemaStore), so a typo fails here, not on GitHub.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
MAKE_TARGETS = set(re.findall(r"^([a-z][a-z0-9-]*):", (ROOT / "Makefile").read_text(encoding="utf-8"),
                              re.MULTILINE))


def _check(schema: str, *paths: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema,
                           *map(str, paths)], capture_output=True, text=True, timeout=120)


def test_the_four_workflows_exist():
    assert {p.stem for p in WORKFLOWS} == {"ci", "docs", "canary", "compat"}


def test_workflows_match_githubs_schema():
    done = _check("vendor.github-workflows", *WORKFLOWS)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_broken_workflow_is_caught(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  test:\n    runs-on: ubuntu-24.04\n    stepz: []\n")
    assert _check("vendor.github-workflows", broken).returncode != 0


def test_issue_forms_match_githubs_schema():
    done = _check("vendor.github-issue-forms", ROOT / ".github" / "ISSUE_TEMPLATE" / "bug.yml")
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.stem)
def test_every_make_target_a_workflow_calls_exists(workflow):
    document = yaml.safe_load(workflow.read_text(encoding="utf-8"))
    runs = [step.get("run", "") for job in document["jobs"].values() for step in job.get("steps", [])]
    called = set(re.findall(r"\bmake ([a-z][a-z0-9-]*)", "\n".join(runs)))
    matrix = [job.get("strategy", {}).get("matrix", {}) for job in document["jobs"].values()]
    for options in matrix:  # `make canary-${{ matrix.resolution }}`
        for value in options.get("resolution", []):
            called.add(f"canary-{value}")
    called = {name for name in called if not name.endswith("-")}  # the matrix form, expanded above
    assert called and called <= MAKE_TARGETS, called - MAKE_TARGETS


def test_ci_keeps_the_history_the_site_dates_come_from():
    for name in ("ci", "docs"):
        path = ROOT / ".github" / "workflows" / f"{name}.yml"
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        checkout = [s for job in document["jobs"].values() for s in job.get("steps", [])
                    if s.get("uses", "").startswith("actions/checkout")]
        assert checkout and checkout[0]["with"]["fetch-depth"] == 0


def test_pre_commit_hooks_are_local_and_ci_runs_them():
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    assert [repo["repo"] for repo in config["repos"]] == ["local"]  # offline, same tools as CI
    ci = (ROOT / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8")
    # Once: `make test`'s static stage runs the hooks (a separate CI step would run them twice).
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^test: .*\n\t\$\(PY\) tools/ci.py full$", makefile, re.M)
    sys.path.insert(0, str(ROOT / "tools"))
    import ci_stages

    static = [s for s in ci_stages.full() if s.name == "static"]
    assert "make test" in ci and "make precommit" not in ci
    assert len(static) == 1 and "pre-commit run --all-files" in static[0].command


def test_the_notebook_check_refuses_outputs(tmp_path):
    notebook = tmp_path / "dirty.ipynb"
    notebook.write_text('{"cells": [{"cell_type": "code", "execution_count": 3, "outputs": [], '
                        '"metadata": {}, "source": []}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "check_notebooks.py"), str(notebook)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "cells [0]" in done.stdout


@pytest.mark.parametrize("name", ["LICENSE", "CONTRIBUTING.md", "CHANGELOG.md",
                                  ".github/pull_request_template.md"])
def test_project_files_exist_and_are_referenced(name):
    assert (ROOT / name).is_file()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    if name in ("LICENSE", "CONTRIBUTING.md", "CHANGELOG.md"):
        assert name in readme


def test_make_versions_names_the_stack():
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "versions.py")], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0
    for name in ("python", "mlflow", "mlserver", "mlserver-mlflow", "pandas", "numpy", "scikit-learn"):
        assert re.search(rf"^{re.escape(name)}\s+\S", done.stdout, re.MULTILINE), name
