"""Setup tells the truth: supported interpreters, refused ones in one sentence, prerequisites, conda."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

import check_prereqs  # noqa: E402
import check_python  # noqa: E402

from tests.helpers import pyenv_pythons  # noqa: E402

RANGE = check_python.supported_range((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_the_supported_range_is_what_the_readme_says():
    assert RANGE == (11, 13)
    for page in ("README.md", "docs/quickstart.md"):
        text = (ROOT / page).read_text(encoding="utf-8")
        assert "Python 3.11 或 3.12" in text, page
        assert "3.10–3.12" not in text, page


def test_each_version_is_accepted_or_refused_in_one_sentence():
    for version in ((3, 11, 7), (3, 12, 1)):
        assert check_python.problem(version, *RANGE) is None
    for version in ((3, 10, 13), (3, 13, 0), (3, 6, 15), (2, 7, 18)):
        message = check_python.problem(version, *RANGE)
        assert message and "\n" not in message and message.count(". ") == 0, message
        assert message.startswith(f"Python {'.'.join(map(str, version))} is not supported")
        assert "3.11 or 3.12" in message and "make setup PYTHON=python3.11" in message
    assert "python3-venv" in check_python.problem((3, 11, 7), *RANGE, has_venv=False)


def test_this_machines_interpreters_get_the_same_answer():
    """Run the check with every Python here: the current one and each one pyenv holds."""
    pythons = {f"{sys.version_info[0]}.{sys.version_info[1]}": Path(sys.executable), **pyenv_pythons()}
    for minor, python in pythons.items():
        run = subprocess.run([str(python), str(ROOT / "tools" / "check_python.py")],
                             capture_output=True, text=True, timeout=60)
        supported = RANGE[0] <= int(minor.split(".")[1]) < RANGE[1]
        assert (run.returncode == 0) is supported, (minor, run.stderr)
        if not supported:
            assert len(run.stderr.strip().splitlines()) == 1 and "not supported" in run.stderr, run.stderr


def test_make_setup_refuses_before_making_a_venv(tmp_path):
    refused = [p for minor, p in pyenv_pythons().items() if minor in ("3.10", "3.13")]
    refused = refused or [Path("/bin/false")]  # no such interpreter here: still refused
    for python in refused:
        venv = tmp_path / python.parent.parent.name
        run = subprocess.run(["make", "-C", str(ROOT), "setup", f"PYTHON={python}", f"VENV={venv}",
                              f"KSERVE_VENV={venv}-kserve"], capture_output=True, text=True, timeout=120)
        assert run.returncode != 0
        assert not venv.exists(), "the venv was made before the interpreter was checked"
        if python.name == "python":
            assert "is not supported: this tutorial runs on Python 3.11 or 3.12" in run.stderr, run.stderr


def test_prerequisites_of_make_test_are_named_when_missing(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    problems = check_prereqs.missing()
    assert [p.split(" ")[0] for p, _ in problems] == ["Chromium", "No", "Prometheus", "npm"]
    assert all("\n" not in p for p, _ in problems)
    asked = set(check_prereqs.APT_LINE.split("apt-get install ")[1].split())
    assert {pkg for _, pkgs in problems for pkg in pkgs.split()} <= asked


def test_make_tutorial_names_prometheus_before_it_runs_anything(tmp_path):
    """Run as a reader on a machine without Prometheus: one sentence, its install line, the way
    to skip 18, and no notebook started (the check comes before setup and the runner)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("python3", "make", "bash", "sh", "env"):  # everything but prometheus and promtool
        found = shutil.which(tool)
        if found:
            (bin_dir / tool).symlink_to(found)
    env = {"PATH": str(bin_dir), "HOME": str(tmp_path)}
    run = subprocess.run(["make", "-C", str(ROOT), "tutorial", f"PYTHON={sys.executable}",
                          f"VENV={tmp_path / 'venv'}"], capture_output=True, text=True, timeout=60, env=env)
    assert run.returncode != 0
    assert "Prometheus is missing" in run.stderr and "make tutorial SKIP=18" in run.stderr, run.stderr
    assert "sudo apt-get install prometheus" in run.stderr
    assert not (tmp_path / "venv").exists() and "run_notebooks" not in run.stdout
    skipped = subprocess.run([sys.executable, str(ROOT / "tools" / "check_prereqs.py"), "--for", "tutorial",
                              "--skip", "18"], capture_output=True, text=True, timeout=60, env=env)
    assert skipped.returncode == 0, skipped.stderr


def test_this_machine_has_what_make_test_needs():
    assert check_prereqs.missing() == []


def _conda_block() -> list[str]:
    text = (ROOT / "docs" / "quickstart.md").read_text(encoding="utf-8")
    section = text.split("## conda", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    return [line.strip() for line in block.splitlines() if line.strip()]


def test_the_conda_steps_have_one_home_and_match_environment_yml():
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    python = next(d for d in env["dependencies"] if str(d).startswith("python="))
    minor = int(python.split("=")[1].split(".")[1])
    assert RANGE[0] <= minor < RANGE[1]
    assert "uv" in env["dependencies"]
    assert _conda_block() == [
        "conda env create -f environment.yml",
        f"conda activate {env['name']}",
        "uv pip install --no-deps -r requirements.lock",
        "uv pip install --no-deps -e .",
        "jupyter lab notebooks/",
    ]
    for page in ("README.md", "environment.yml"):
        assert "conda env create" not in (ROOT / page).read_text(encoding="utf-8"), page


def test_the_fast_tier_needs_no_kserve_venv(tmp_path):
    """``make test-fast`` depends on the main venv only: KServe's (12, the benchmark) is not built."""
    kserve = tmp_path / "kserve-venv"
    plan = subprocess.run(["make", "-n", "-C", str(ROOT), "test-fast", f"KSERVE_VENV={kserve}"],
                          capture_output=True, text=True, timeout=60)
    assert plan.returncode == 0, plan.stderr
    assert str(kserve) not in plan.stdout and "pytest" in plan.stdout
