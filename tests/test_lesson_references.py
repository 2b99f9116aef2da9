"""A reference to a lesson by number names the lesson that holds that topic.

Lessons were renumbered more than once, and each time a "notebook 15" was left where the
topic had moved to 18. Two checks, on every text a reader or contributor reads (notebooks,
docs, README, CONTRIBUTING, src, tools, tests, Makefile, pyproject, .ci):

- a file name ``NN_name.ipynb`` is a notebook that exists, and a link ``[NN](NN_x.ipynb)``
  says the number of the file it opens;
- a line that refers to a lesson by number ("notebook 13", "lesson 13", "筆記本 13", "[13](13_…)") and names
  a topic from ``TOPICS`` refers to the lesson that teaches it. ``TOPICS`` is the one map of
  topics to lessons: a topic that moves changes it here, and every stale number then fails.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = {p.name: p for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")}
NUMBERS = {name[:2] for name in NOTEBOOKS}

# Words that belong to one lesson only (the lesson that teaches them), as they are written.
TOPICS: dict[str, tuple[str, ...]] = {
    "07": ("壞請求", "壞輸入", "bad-request catalogue", "bad_requests"),
    "08": ("@champion", "rollout", "零停機"),
    "09": ("追蹤伺服器", "tracking server", "mlflow server "),
    "10": ("tritonclient",),
    "11": ("mlflow models serve",),
    "12": ("KServe",),
    "13": ("基準測試", "benchmark", "aiohttp", "推薦設定", "make bench"),
    "14": ("130 MB", "huge request", "10,000 requests"),
    "15": ("故障", "faults", "SIGKILL", "preflight", "預檢"),
    "16": ("strict runtime", "自己把關"),
    "17": ("Kubernetes", "Dockerfile", "映像", "manifest"),
    "18": ("Prometheus", "promtool", "告警", "alert"),
}
# Lessons that use another lesson's topic by design (they say so where they do).
SHARED = {("13", "12"), ("13", "11"), ("17", "18"), ("18", "13"), ("15", "13"), ("14", "13"), ("16", "07")}
REFERENCE = re.compile(r"(?:[Nn]otebooks? |[Ll]essons? |筆記本 ?|\[)(\d{2})\b"
                       r"(?:\]\((\d{2})_[a-z0-9_]+\.ipynb)?")
FILE_NAME = re.compile(r"\b(\d{2}_[a-z0-9_]+)\.ipynb\b")
LINK = re.compile(r"\[(\d{2})[^\]]*\]\((?:\.\./)?(?:tutorial/)?(\d{2})_[a-z0-9_]+\.ipynb")
EXAMPLE_NAMES = {"19_batch_scoring"}  # CONTRIBUTING.md's example of the next new lesson


def _texts() -> dict[str, str]:
    texts = {}
    globs = ["docs/**/*.md", "src/**/*.py", "tools/*.py", "tests/**/*.py", "peers/*.py", "docs/hooks/*.py"]
    files = [p for g in globs for p in ROOT.glob(g) if "docs/tutorial" not in str(p)]
    files += [ROOT / n for n in ("README.md", "CONTRIBUTING.md", "Makefile", "pyproject.toml", ".ci/run",
                                 "mkdocs.yml")]
    for path in files:
        if path.is_file() and path.name != Path(__file__).name:
            texts[str(path.relative_to(ROOT))] = path.read_text(encoding="utf-8")
    for name, path in NOTEBOOKS.items():
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        texts[f"notebooks/{name}"] = "\n".join("".join(c["source"]) for c in cells)
    return texts


TEXTS = _texts()


def test_every_notebook_file_name_exists_and_every_link_says_its_number():
    wrong = []
    for where, text in TEXTS.items():
        if where.startswith("tests/"):
            continue  # tests write notebooks of their own (01_first.ipynb …)
        for stem in FILE_NAME.findall(text):
            if f"{stem}.ipynb" not in NOTEBOOKS and stem not in EXAMPLE_NAMES:
                wrong.append(f"{where}: {stem}.ipynb does not exist")
        for label, target in LINK.findall(text):
            if label != target:
                wrong.append(f"{where}: [{label}] opens {target}")
    assert wrong == []


# A file of this repository named in prose or a comment ("`tests/test_x.py` scans …").
REPO_PATH = re.compile(r"(?<![\w/.-])((?:tests|tools|src/wine_serving|notebooks)/[\w/.-]+\.(?:py|ipynb))\b")


def test_every_repository_file_a_text_names_exists():
    missing = sorted({f"{where}: {path}" for where, text in TEXTS.items() for path in REPO_PATH.findall(text)
                      if not (ROOT / path).exists() and "/tutorial/" not in path and "*" not in path})
    assert missing == []


def _owner(line: str) -> set[str]:
    """The lessons whose topic words the line uses, link targets left out (a file name is no topic)."""
    prose = re.sub(r"\]\([^)]*\)", "]", line)
    return {number for number, words in TOPICS.items() if any(w in prose for w in words)}


@pytest.mark.parametrize("where", sorted(TEXTS))
def test_a_numbered_reference_names_the_lesson_of_its_topic(where):
    wrong = []
    home = where.removeprefix("notebooks/")[:2] if where.startswith("notebooks/") else None
    for line in TEXTS[where].splitlines():
        refs = {m.group(1) for m in REFERENCE.finditer(line) if m.group(1) in NUMBERS}
        if "otebooks " in line:  # "notebooks 13 (performance) and 15 (faults)"
            refs |= {n for n in re.findall(r"(?:and|, ) ?(\d{2}) \(", line) if n in NUMBERS}
        owners = _owner(line)
        if not refs or not owners:
            continue
        # A line may name several lessons; it is wrong when none of them teaches its topic.
        others = {o for o in owners if o != home and not any((r, o) in SHARED for r in refs)}
        if others and not refs & owners:
            wrong.append(f"lessons {sorted(refs)} named for {sorted(others)}'s topic: {line.strip()[:140]}")
    assert wrong == [], where


def test_the_topic_map_names_words_each_lesson_really_uses():
    for number, words in TOPICS.items():
        source = next(t for w, t in TEXTS.items() if w.startswith(f"notebooks/{number}_"))
        assert any(word in source for word in words), (number, words)
