"""tools/ci.py: stages side by side on the cores, in order, with their times and test counts."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))

import ci  # noqa: E402
import ci_stages  # noqa: E402


@pytest.fixture()
def logs(tmp_path, monkeypatch):
    monkeypatch.setattr(ci, "LOGS", tmp_path / "ci")
    monkeypatch.setattr(ci, "BUILD", tmp_path)
    monkeypatch.setattr(ci, "TIMES_MD", tmp_path / "ci-times.md")
    monkeypatch.setattr(ci, "TIMES_JSON", tmp_path / "ci-times.json")
    return tmp_path


def _runner(stages, cores=2):
    return ci.Runner(stages, cores, {"PATH": "/usr/bin:/bin"})


def test_counts_come_from_pytest_and_the_notebook_runner():
    assert ci.count_tests("...\n===== 12 passed, 1 skipped in 3.2s =====\n") == "12 passed, 1 skipped"
    assert ci.count_tests("== 1 failed, 3 passed in 9s ==") == "1 failed, 3 passed"
    assert ci.count_tests("5/6 notebooks ran in 100.0 s") == "5/6 notebooks"
    assert ci.count_tests("nothing here") == ""


def test_two_one_core_stages_overlap_and_a_two_core_stage_runs_alone(logs):
    marks = logs / "marks"

    def mark(what):
        return f"echo {what} $(date +%s.%N) >> {marks}"

    stages = [
        ci.Stage("a", f"{mark('a-start')}; sleep 1; {mark('a-end')}"),
        ci.Stage("b", f"{mark('b-start')}; sleep 1; {mark('b-end')}"),
        ci.Stage("wide", f"{mark('w-start')}; {mark('w-end')}", after=("a",), cores=2),
        ci.Stage("c", mark("c-start"), after=("a",)),
    ]
    runner = _runner(stages)
    assert runner.run()
    at = {line.split()[0]: float(line.split()[1]) for line in marks.read_text().splitlines()}
    assert at["b-start"] < at["a-end"]                      # a and b shared the two cores
    assert at["w-start"] >= max(at["a-end"], at["b-end"])   # the wide one waited for both
    assert at["c-start"] >= at["w-end"]                     # and nothing started beside it
    assert all(s.state == "ok" and s.seconds is not None for s in stages)


def test_a_failure_skips_what_needs_it_runs_the_rest_and_prints_the_log(logs, capsys):
    stages = [ci.Stage("broken", "echo the reason; exit 3"), ci.Stage("needs-it", "true", after=("broken",)),
              ci.Stage("other", "echo '== 2 passed in 0.1s =='")]
    runner = _runner(stages)
    assert not runner.run()
    assert [s.state for s in stages] == ["failed", "skipped", "ok"]
    out = capsys.readouterr().out
    assert "the reason" in out and "exit 3" in out
    runner.record()
    recorded = json.loads((logs / "ci-times.json").read_text())
    assert [(s["stage"], s["status"], s["tests"]) for s in recorded["stages"]] == [
        ("broken", "failed", ""), ("needs-it", "skipped", ""), ("other", "ok", "2 passed")]
    assert "| other |" in (logs / "ci-times.md").read_text()


def test_a_stage_wider_than_the_machine_still_runs(logs):
    assert _runner([ci.Stage("wide", "true", cores=2)], cores=1).run()


def test_a_stage_that_asks_for_every_core_runs_alone_on_any_machine(tmp_path):
    def mark(name):
        return f"date +%s.%N > {tmp_path / name}"
    stages = [ci.Stage("a", f"{mark('a-start')}; sleep 0.5; {mark('a-end')}"),
              ci.Stage("bench", f"{mark('w-start')}; sleep 0.5; {mark('w-end')}",
                       cores=ci_stages.EVERY_CORE),
              ci.Stage("b", f"{mark('b-start')}; sleep 0.5; {mark('b-end')}"),
              ci.Stage("c", f"{mark('c-start')}; sleep 0.5; {mark('c-end')}")]
    assert _runner(stages, cores=3).run()
    at = {p.name: float(p.read_text()) for p in tmp_path.iterdir()}
    assert at["w-start"] >= at["a-end"]                     # it waited for the running stage
    assert at["b-start"] >= at["w-end"] and at["c-start"] >= at["w-end"]  # and nothing started beside it


def test_every_plan_runs_each_notebook_in_order_twice_or_once_and_alone_once():
    names = ci_stages.notebooks()
    for plan, passes in (("full", 2), ("middle", 1), ("notebooks", 2)):
        stages = ci_stages.STAGES_BY_PLAN[plan]()
        commands = " ".join(s.command for s in stages)
        for name in names:
            assert commands.count(f"--only {name}") == passes, (plan, name)
            # 01 alone is the first pass's 01: that pass starts on an empty workspace.
            alone = 0 if name.startswith("01") else 1
            assert commands.count(f"notebooks/{name}.ipynb") == alone, (plan, name)
        assert {s.name for s in stages if s.cores > 1} == {"reader-1-bench", "alone-13"} | (
            {"reader-2-bench"} if passes == 2 else set())
        known = {s.name for s in stages}
        assert all(set(s.after) <= known for s in stages)
    full = {s.name for s in ci_stages.full()}
    assert {"browser", "built", "docs", "static", "git-unchanged"} <= full
    assert "browser" not in {s.name for s in ci_stages.middle()}
    files = (ci_stages.ROOT / "tests" / "integration").glob("test_*.py")
    integration = {p.stem.removeprefix("test_") for p in files}
    assert {n.removeprefix("integration-") for n in full if n.startswith("integration-")} == integration


def test_the_next_part_of_a_pass_runs_after_a_failed_part(logs):
    stages = [ci.Stage("part-1", "exit 1"), ci.Stage("part-2", "true", after=("part-1",), after_any=True),
              ci.Stage("needs-ok", "true", after=("part-1",))]
    runner = _runner(stages)
    assert not runner.run()
    assert [s.state for s in stages] == ["failed", "ok", "skipped"]
