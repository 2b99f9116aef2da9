"""What is committed: nothing of the author's machine, no secrets."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
THIS = Path(__file__).resolve()
# The author's machine: the checkout's parent folders and home folders must not leak.
AUTHOR_PATHS = re.compile(r"/work/(main|shared)|/home/[a-z]|/Users/[A-Za-z]|/root/")
SECRETS = re.compile(
    r"AKIA[0-9A-Z]{16}|-----BEGIN [A-Z ]*PRIVATE KEY-----|gh[pousr]_[A-Za-z0-9]{36}"
    r"|(?i:(password|secret|token)\s*[:=]\s*['\"][^'\"\s]{6,})")


def committed_text_files() -> list[Path]:
    names = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.split()
    files = []
    for name in names:
        path = ROOT / name
        if path.resolve() == THIS or not path.is_file():
            continue
        if path.suffix in {".png", ".jpg", ".ico", ".gz"}:
            continue
        files.append(path)
    return files


def test_no_author_paths_or_secrets_are_committed():
    files = committed_text_files()
    assert len(files) > 20
    leaks = []
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        for pattern in (AUTHOR_PATHS, SECRETS):
            match = pattern.search(text)
            if match:
                leaks.append(f"{path.relative_to(ROOT)}: {match.group(0)!r}")
    assert leaks == []
