"""The stages of ``make test`` (``full``) and of the middle tier (``middle``), for ``tools/ci.py``.

What each stage proves, and why it is not a repeat of another:

- ``static``: ruff, notebooks without outputs, unit tests and the checks of committed files.
- ``reader-1-*``: every notebook in order on one fresh workspace, kernel in ``notebooks/``, as
  ``make tutorial`` runs them; its executed copies are what the site shows. Split around 13
  only so that the benchmark notebook runs with the cores to itself (its figures need them).
- ``reader-2-*``: the same again on that workspace (a reader who runs everything twice).
- ``alone-NN``: ``pytest --nbmake`` on one notebook, on an empty workspace of its own
  (conftest.py), the design card's command one file at a time. 01 is not run alone: the
  first in-order pass already runs it on an empty workspace.
- ``integration-*``: real servers for what no notebook asserts (process lifecycle, the
  image, the strict runtime's whole catalogue, the benchmark's parts, the terminal page).
- ``docs``, ``built``, ``browser``: the site built strictly from the first pass's outputs,
  the checks of what was built, and the site read in headless Chromium.
- ``git-unchanged``: no notebook or test left a file outside the git-ignored folders.
"""

from __future__ import annotations

import re
from pathlib import Path

from ci import Stage

ROOT = Path(__file__).resolve().parents[1]
PY = ".venv/bin/python"
BENCH = "13_performance"
READER_WS = "build/reader-workspace"
EXECUTED = "build/notebooks"
NBMAKE = f"{PY} -m pytest -p no:cacheprovider --nbmake --nbmake-timeout=900"
# The benchmark notebook's figures need the cores to themselves: it asks for more than any machine
# has, the runner clamps that to all of them, and nothing else runs beside it (also with --cores 3).
EVERY_CORE = 1024


def make_variable(name: str) -> str:
    """A ``NAME := …`` of the Makefile, continuation lines joined: one list for make and for this."""
    text = (ROOT / "Makefile").read_text(encoding="utf-8").replace("\\\n", " ")
    return " ".join(re.search(rf"^{name} := (.*)$", text, re.M).group(1).split())


STATIC_TESTS = "tests/unit " + make_variable("STATIC_TESTS")
BUILT_TESTS = "tests --ignore=tests/unit --ignore=tests/integration " + " ".join(
    f"--ignore={t}" for t in STATIC_TESTS.split()[1:])


def notebooks() -> list[str]:
    return sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def reader_pass(n: int, after: tuple[str, ...]) -> list[Stage]:
    """One in-order pass as three runs of the runner on the same workspace: before 13, 13, after."""
    names = notebooks()
    cut = names.index(BENCH)
    parts = [("a", names[:cut], 1), ("bench", [BENCH], EVERY_CORE), ("b", names[cut + 1:], 1)]
    out = f" --output {EXECUTED}" if n == 1 else ""
    stages, previous = [], after
    for suffix, group, cores in parts:
        only = " ".join(f"--only {name}" for name in group)
        name = f"reader-{n}-{suffix}"
        stages.append(Stage(
            name, f"WINE_SERVING_HOME=$PWD/{READER_WS} {PY} tools/run_notebooks.py notebooks {only}"
                  f"{out} --report build/reader-path-{n}.json --append",
            after=previous, cores=cores, what=f"in order, pass {n}: {group[0]} … {group[-1]}",
            after_any=True))  # as make tutorial goes on after a failed notebook
        previous = (name,)
    return stages


def alone(name: str, after: tuple[str, ...] = ()) -> Stage:
    return Stage(f"alone-{name[:2]}", f"{NBMAKE} notebooks/{name}.ipynb", after=after,
                 cores=EVERY_CORE if name == BENCH else 1, what=f"pytest --nbmake notebooks/{name}.ipynb",
                 after_any=name == BENCH)


def integration() -> list[Stage]:
    files = sorted((ROOT / "tests" / "integration").glob("test_*.py"))
    return [Stage(f"integration-{p.stem.removeprefix('test_')}",
                  f"{PY} -m pytest -p no:cacheprovider {p.relative_to(ROOT)}", what="real servers")
            for p in files]


def first_steps(static: bool) -> list[Stage]:
    clean = Stage("clean", f"rm -rf {EXECUTED} {READER_WS} build/reader-path-*.json && mkdir -p build"
                           " && git status --porcelain --untracked-files=all > build/git-status-before",
                  what="a fresh workspace for the reader's path")
    if not static:
        return [clean]
    return [
        clean,
        Stage("static", f"PATH=$PWD/.venv/bin:$PATH .venv/bin/pre-commit run --all-files"
                        f" && {PY} -m pytest -p no:cacheprovider {STATIC_TESTS}",
              what="ruff, outputs, unit and static tests"),
    ]


def site(after: tuple[str, ...], browser: bool) -> list[Stage]:
    stages = [
        Stage("docs", "rm -rf docs/tutorial && mkdir -p docs/tutorial"
                      f" && cp {EXECUTED}/*.ipynb docs/tutorial/ && touch {EXECUTED}/.executed"
                      " && .venv/bin/mkdocs build --strict",
              after=after, what="the site from the first pass, strict", after_any=True),
        Stage("built", f"{PY} -m pytest -p no:cacheprovider -m 'not browser' {BUILT_TESTS}",
              after=("docs",), what="what was built: executed copies, pages, reports", after_any=True),
    ]
    if browser:
        stages.append(Stage("browser", f"{PY} -m pytest -p no:cacheprovider -m browser {BUILT_TESTS}",
                            after=("docs",), what="the site in headless Chromium", after_any=True))
    return stages


def git_unchanged(after: tuple[str, ...]) -> Stage:
    return Stage("git-unchanged",
                 "git status --porcelain --untracked-files=all | diff -u build/git-status-before - || "
                 "{ echo 'Files were created or changed outside the workspace (above).' >&2;"
                 " exit 1; }", after=after, what="nothing written outside the workspace", after_any=True)


def plan(*, second_pass: bool, static: bool, site_checks: bool, browser: bool,
         servers: bool) -> list[Stage]:
    """The stages in priority order: the in-order passes first (they are the longest chain),
    the benchmark alone right after the first pass's benchmark (the cores are free then), the
    site as soon as the first pass is done, then the work that fills the other core."""
    r1 = reader_pass(1, ("clean",))
    r2 = reader_pass(2, (r1[-1].name,)) if second_pass else []
    bench_alone = alone(BENCH, after=(r1[1].name,))
    others = [alone(n) for n in notebooks()[1:] if n != BENCH]
    stages = [*first_steps(static), r1[0], r1[1], bench_alone, r1[2], *r2]
    if site_checks:
        built_site = site((r1[-1].name,), browser=browser)
        if second_pass:  # the built checks read both passes' reports
            built_site[1].after = ("docs", r2[-1].name)
        else:
            built_site[1].command += " --ignore=tests/test_reader_path_report.py"
        stages += built_site
    stages += [*others, *(integration() if servers else [])]
    stages.append(git_unchanged(tuple(s.name for s in stages if s.name not in ("clean", "static"))))
    for stage in stages:  # everything starts from the clean state and the recorded git status
        if stage.name != "clean" and not stage.after:
            stage.after = ("clean",)
    return stages


def full() -> list[Stage]:
    """``make test`` and CI: the reader's path twice, every notebook alone, servers, site, browser."""
    return plan(second_pass=True, static=True, site_checks=True, browser=True, servers=True)


def middle() -> list[Stage]:
    """``make test-middle``, the loop between commits: all but the second pass and the browser."""
    return plan(second_pass=False, static=True, site_checks=True, browser=False, servers=True)


def notebooks_only() -> list[Stage]:
    """``make test-notebooks``: the notebooks three ways, nothing else."""
    return plan(second_pass=True, static=False, site_checks=False, browser=False, servers=False)


STAGES_BY_PLAN = {"full": full, "middle": middle, "notebooks": notebooks_only}
