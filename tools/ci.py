"""Run ``make test``'s stages side by side on the machine's cores, and say where the time went.

Each stage is one command with the stages it waits for and the cores it takes. Two stages
share the two cores whenever nothing orders them (the second in-order pass and the
notebooks-alone pass share no workspace); a stage that takes every core (the benchmark
notebook, whose figures need quiet cores) waits until the running ones end and nothing
new starts beside it. A stage whose prerequisite failed is skipped; the others still run,
so one CI run names every failure. Each stage writes its whole output to
``build/ci/<stage>.log``; a failed stage's log is printed here. At the end a table (stage,
seconds, tests) goes to the log and to ``build/ci-times.md`` (``make ci-times`` prints it).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build"
LOGS = BUILD / "ci"
TIMES_JSON = BUILD / "ci-times.json"
TIMES_MD = BUILD / "ci-times.md"
# A stage that hangs is stopped here, well inside CI's own limit, and named.
STAGE_TIMEOUT_S = 30 * 60


@dataclass
class Stage:
    name: str
    command: str
    after: tuple[str, ...] = ()
    cores: int = 1
    what: str = ""
    # True: wait for ``after`` to end, passed or not (the next part of an in-order pass, the
    # site built from what ran): one failed notebook then still lets every other one run.
    after_any: bool = False
    # Filled in while running.
    state: str = "waiting"
    started: float | None = None
    seconds: float | None = None
    tests: str = ""
    proc: subprocess.Popen | None = field(default=None, repr=False)


def count_tests(log: str) -> str:
    """``328 passed, 1 failed`` from pytest's last line, or ``18/18 notebooks`` from the runner."""
    found = re.findall(r"(\d+/\d+) notebooks ran", log)
    if found:
        return f"{found[-1]} notebooks"
    summary = [line for line in log.splitlines() if re.search(r"\d+ (passed|failed|error)", line)]
    if not summary:
        return ""
    counts = re.findall(r"(\d+) (passed|failed|errors?|skipped|deselected)", summary[-1])
    return ", ".join(f"{n} {word}" for n, word in counts)


class Runner:
    """Starts stages as cores free up, in the order given, and records each one's time."""

    def __init__(self, stages: list[Stage], cores: int, env: dict[str, str]):
        self.stages = {s.name: s for s in stages}
        self.order = stages
        self.cores = cores
        for stage in stages:  # a stage wider than the machine takes all of it
            stage.cores = min(stage.cores, cores)
        self.env = env
        self.began = time.monotonic()

    def _ready(self, stage: Stage) -> bool:
        done = ("ok", "failed") if stage.after_any else ("ok",)
        return stage.state == "waiting" and all(self.stages[a].state in done for a in stage.after)

    def _skip_orphans(self) -> None:
        for stage in self.order:
            blocking = ("skipped",) if stage.after_any else ("failed", "skipped")
            if stage.state == "waiting" and any(self.stages[a].state in blocking for a in stage.after):
                stage.state = "skipped"
                print(f"[ci] skip   {stage.name} (a stage it needs did not pass)", flush=True)

    def _start(self, stage: Stage) -> None:
        LOGS.mkdir(parents=True, exist_ok=True)
        log = (LOGS / f"{stage.name}.log").open("w", encoding="utf-8")
        stage.started = time.monotonic()
        stage.state = "running"
        print(f"[ci] start  {stage.name:<22} {stage.what}", flush=True)
        stage.proc = subprocess.Popen(["bash", "-c", stage.command], cwd=ROOT, env=self.env,
                                      stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()

    def _finish(self, stage: Stage, returncode: int) -> None:
        stage.seconds = time.monotonic() - (stage.started or 0)
        text = (LOGS / f"{stage.name}.log").read_text(encoding="utf-8", errors="replace")
        stage.tests = count_tests(text)
        stage.state = "ok" if returncode == 0 else "failed"
        mark = "ok    " if returncode == 0 else "FAILED"
        print(f"[ci] {mark} {stage.name:<22} {stage.seconds:7.1f} s  {stage.tests}", flush=True)
        if returncode != 0:
            print(f"----- {stage.name}: exit {returncode}, its whole log ({LOGS / stage.name}.log) -----")
            print(text.rstrip())
            print(f"----- end of {stage.name} -----", flush=True)

    def stop_all(self) -> None:
        for stage in self.order:
            if stage.proc and stage.proc.poll() is None:
                try:
                    os.killpg(stage.proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass

    def run(self) -> bool:
        while True:
            running = [s for s in self.order if s.state == "running"]
            for stage in running:
                code = stage.proc.poll()
                if code is None and time.monotonic() - stage.started > STAGE_TIMEOUT_S:
                    print(f"[ci] {stage.name} ran over {STAGE_TIMEOUT_S} s: stopping it", flush=True)
                    os.killpg(stage.proc.pid, signal.SIGTERM)
                    code = stage.proc.wait()
                if code is not None:
                    self._finish(stage, code)
            self._skip_orphans()
            running = [s for s in self.order if s.state == "running"]
            free = self.cores - sum(s.cores for s in running)
            for stage in self.order:
                if not self._ready(stage):
                    continue
                if stage.cores > free:
                    break  # it waits for cores, and nothing after it starts first: it is not starved
                self._start(stage)
                free -= stage.cores
            if all(s.state in ("ok", "failed", "skipped") for s in self.order):
                return all(s.state == "ok" for s in self.order)
            time.sleep(0.5)

    def table(self) -> str:
        rows = ["| stage | started (s) | seconds | tests | status |", "|---|---:|---:|---|---|"]
        for s in self.order:
            start = f"{s.started - self.began:.0f}" if s.started else ""
            secs = f"{s.seconds:.1f}" if s.seconds is not None else ""
            rows.append(f"| {s.name} | {start} | {secs} | {s.tests} | {s.state} |")
        rows.append(f"| **wall clock** | | {time.monotonic() - self.began:.1f} | | |")
        return "\n".join(rows)

    def record(self) -> None:
        BUILD.mkdir(parents=True, exist_ok=True)
        TIMES_MD.write_text(self.table() + "\n", encoding="utf-8")
        TIMES_JSON.write_text(json.dumps({
            "wall_seconds": round(time.monotonic() - self.began, 1),
            "stages": [{"stage": s.name, "after": list(s.after), "cores": s.cores,
                        "started_s": round(s.started - self.began, 1) if s.started else None,
                        "seconds": round(s.seconds, 1) if s.seconds is not None else None,
                        "tests": s.tests, "status": s.state} for s in self.order],
        }, indent=1) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    from ci_stages import STAGES_BY_PLAN  # noqa: PLC0415 - the stage list lives beside this file

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("plan", choices=sorted(STAGES_BY_PLAN), help="which stages to run")
    parser.add_argument("--cores", type=int, default=int(os.environ.get("JOBS", "2")))
    args = parser.parse_args(argv)
    runner = Runner(STAGES_BY_PLAN[args.plan](), args.cores, dict(os.environ))

    def on_term(signum, frame):
        runner.stop_all()
        runner.record()
        print(runner.table(), flush=True)
        sys.exit(128 + signum)

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    try:
        passed = runner.run()
    finally:
        runner.stop_all()
    runner.record()
    print("\nWhere the time went (also in build/ci-times.md; `make ci-times` prints it):")
    print(runner.table(), flush=True)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    sys.exit(main())
