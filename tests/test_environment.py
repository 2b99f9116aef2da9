"""The lock file, pyproject and environment.yml describe the same tested set."""

from __future__ import annotations

import re
from importlib.metadata import version
from pathlib import Path

import tomllib
import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]


def _lock() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-\[\]]+)==([^\s;]+)", line)
        if match:
            pins[re.sub(r"\[.*\]", "", match.group(1)).lower().replace("_", "-")] = match.group(2)
    return pins


def _requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        reqs += extra
    return [Requirement(r) for r in reqs]


def test_every_declared_dependency_is_locked_within_its_range():
    pins = _lock()
    for req in _requirements():
        name = req.name.lower().replace("_", "-")
        assert name in pins, f"{name} missing from requirements.lock"
        assert req.specifier.contains(pins[name], prereleases=True), (name, pins[name], str(req))


def test_known_pins():
    pins = _lock()
    assert pins["mlserver"] == pins["mlserver-mlflow"] == "1.7.1"
    assert int(pins["uvloop"].split(".")[1]) < 22  # MLServer 1.7.1 workers crash on 0.22
    assert pins["pandas"].startswith("2.2.")
    assert pins["mkdocs"].startswith("1.")


def test_environment_yml_installs_the_lock_and_the_package():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = env["dependencies"]
    assert "python=3.11" in deps
    pip = next(d["pip"] for d in deps if isinstance(d, dict))
    assert pip == ["-r requirements.lock", "-e ."]


def test_installed_environment_is_the_locked_one():
    pins = _lock()
    for name in ("mlserver", "mlflow", "uvloop", "pandas", "scikit-learn", "numpy"):
        assert version(name) == pins[name], name


def _readme_versions() -> dict[str, tuple[str, str]]:
    """The README's "tested with" table: package -> (tested, lowest passing)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### 測試過的版本", 1)[1].split("\n\n", 2)[1]
    rows = [line.strip("|").split("|") for line in section.splitlines() if line.startswith("| ")]
    return {cells[0].strip().lower(): (cells[1].strip(), cells[2].strip()) for cells in rows[1:]}


def _lower_bound(name: str) -> str:
    req = next(r for r in _requirements() if r.name.lower() == name)
    bound = next(s.version for s in req.specifier if s.operator in (">=", "=="))
    parts = bound.split(".")
    return ".".join(parts + ["0"] * (3 - len(parts)))


def test_readme_tested_with_table_matches_the_lock_and_the_lower_bounds():
    table = _readme_versions()
    pins = _lock()
    packages = {"mlflow", "mlserver", "mlserver-mlflow", "pandas", "numpy", "scikit-learn"}
    assert packages | {"python"} == set(table)
    for name in packages:
        tested, lowest = table[name]
        assert tested == pins[name], (name, tested, pins[name])
        assert lowest == _lower_bound(name), (name, lowest)
    assert table["python"] == ("3.11", "3.11")
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "python=3.11" in env["dependencies"]
