"""The lock file, pyproject and environment.yml describe the same tested set."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

import tomllib
import yaml
from packaging.requirements import Requirement
from packaging.version import Version

from wine_serving.servers.kserve import KSERVE_REQUIREMENTS, pinned_versions, shared_model_stack

ROOT = Path(__file__).resolve().parents[1]


def _requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        reqs += extra
    return [Requirement(r) for r in reqs]


def test_every_declared_dependency_is_locked_within_its_range():
    pins = pinned_versions()
    for req in _requirements():
        name = req.name.lower().replace("_", "-")
        assert name in pins, f"{name} missing from requirements.lock"
        assert req.specifier.contains(pins[name], prereleases=True), (name, pins[name], str(req))


def test_known_pins():
    pins = pinned_versions()
    assert pins["mlserver"] == pins["mlserver-mlflow"] == "1.7.1"
    assert int(pins["uvloop"].split(".")[1]) < 22  # MLServer 1.7.1 workers crash on 0.22
    assert pins["pandas"].startswith("2.")  # KServe 0.21.0, sharing the model stack (12), requires pandas<3
    assert pins["mkdocs"].startswith("1.")


def test_installed_environment_is_the_locked_one():
    pins = pinned_versions()
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
    pins = pinned_versions()
    packages = {"mlflow", "mlserver", "mlserver-mlflow", "pandas", "numpy", "scikit-learn"}
    assert packages | {"python"} == set(table)
    for name in packages:
        tested, lowest = table[name]
        assert tested == pins[name], (name, tested, pins[name])
        assert lowest == _lower_bound(name), (name, lowest)
    assert table["python"] == ("3.11", "3.11")
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "python=3.11" in env["dependencies"]


# -- docs/security.md (版本與安全): the audit table against the lock -------------------------

SECURITY_PAGE = ROOT / "docs" / "security.md"
STATUSES = {"已修補", "仍帶著", "無已知公告"}


def _audit_rows() -> list[dict[str, str]]:
    section = SECURITY_PAGE.read_text(encoding="utf-8").split("## 稽核表", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("| ")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    return [dict(zip(header, (cell.strip() for cell in line.strip("|").split("|")))) for line in lines[2:]]


def test_every_audited_package_is_listed_at_its_locked_version():
    pins = pinned_versions()
    rows = _audit_rows()
    assert len(rows) >= 20
    for row in rows:
        assert row["鎖定版本"] == pins[row["套件"]], row


def test_the_lock_is_at_or_above_every_fixed_version_the_page_claims():
    """A lock that regresses below a fixed version fails here; so does an upgrade the page does not
    record yet (a "still carried" advisory whose fix is now locked)."""
    pins = pinned_versions()
    for row in _audit_rows():
        assert row["狀態"] in STATUSES, row
        if row["狀態"] == "無已知公告":
            continue
        locked, fixed = Version(pins[row["套件"]]), Version(row["修補版本"])
        if row["狀態"] == "已修補":
            assert locked >= fixed, row
        else:
            assert locked < fixed, f"{row['公告']} is fixed in the lock now: mark it 已修補 in security.md"


def test_the_web_stack_overrides_are_the_same_everywhere():
    """pyproject's uv overrides, the lock, this environment and what the image installs."""
    from wine_serving.deploy import image

    overrides = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["uv"]["override-dependencies"]
    pins = pinned_versions()
    assert sorted(overrides) == sorted(f"{name}=={pins[name]}" for name in image.WEB_STACK)
    assert sorted(image.web_stack_overrides()) == sorted(overrides)
    page = SECURITY_PAGE.read_text(encoding="utf-8")
    assert all(f'"{pin}"' in page for pin in overrides)
    starlette = next(row for row in _audit_rows() if row["套件"] == "starlette")
    assert starlette["鎖定版本"] == pins["starlette"]


def test_the_kserve_lock_shares_the_model_stack():
    """KServe's venv (14) must load the same logged model: the Makefile's SHARED_PINS agree."""
    shared = shared_model_stack()
    main, kserve = pinned_versions(), pinned_versions(KSERVE_REQUIREMENTS)
    assert {"mlflow", "scikit-learn", "skops", "numpy", "pandas"} <= set(shared)
    assert {name: kserve[name] for name in shared} == {name: main[name] for name in shared}
    assert kserve["kserve"] == "0.21.0" and "mlserver" not in kserve


def test_only_the_known_web_stack_warning_is_silenced():
    """tools/known_warnings.py (run by `make setup`): `import mlserver` is quiet, other warnings are not."""
    import subprocess
    import sys

    quiet = subprocess.run([sys.executable, "-c", "import mlserver"], capture_output=True, text=True,
                           timeout=120)
    assert quiet.returncode == 0 and "Warning" not in quiet.stderr, quiet.stderr
    loud = subprocess.run([sys.executable, "-c", "import warnings; warnings.warn('another deprecation')"],
                          capture_output=True, text=True, timeout=60)
    assert "another deprecation" in loud.stderr
