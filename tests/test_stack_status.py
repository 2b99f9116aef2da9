"""The stack-status box: one source (``docs/index.md``), identical copies (``tools/stack_status.py``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import stack_status  # noqa: E402


@pytest.mark.parametrize("path", stack_status.COPIES, ids=lambda p: p.name)
def test_every_copy_of_the_stack_status_box_is_the_source(path):
    assert stack_status.copy_of(path) == stack_status.copy_of(stack_status.SOURCE), (
        f"{path.name}: run `python tools/stack_status.py`")


def test_the_stack_facts_are_stated_only_in_the_box_and_its_sourced_details():
    """The sentence a reader quotes ("the last release is 1.7.1") lives in the box; only the source
    page, whose details cite each fact, says it again."""
    tracked = subprocess.run(["git", "ls-files", "*.md", "*.ipynb", "*.py"], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout.split()
    outside = []
    for name in tracked:
        path = ROOT / name
        if path in (stack_status.SOURCE, Path(__file__)) or name.startswith("CHANGELOG") or not path.exists():
            continue
        text = stack_status.BLOCK.sub("", stack_status.text_of(path))
        if "最後一個正式版" in text:
            outside.append(name)
    assert outside == []


def test_the_tool_finds_nothing_to_copy_on_a_clean_checkout():
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "stack_status.py"), "--check"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout
