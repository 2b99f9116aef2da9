"""Name, before anything runs, each program ``make test`` or ``make tutorial`` needs that this machine lacks.

``make tutorial`` needs Python, make and (for notebook 18) Prometheus; ``make test`` also
builds and reads the docs site: headless Chromium for the browser tests, a CJK font so
Chinese text is glyphs (not boxes) in screenshots and plots, and npm to fetch Mermaid.
Without this check a missing one shows up many minutes in as an unrelated-looking
traceback (notebook 18 runs last). ``--for tutorial`` checks only what the notebooks need;
``--skip 18`` (``make tutorial SKIP=18``) drops Prometheus from it. The ``apt-get`` line
printed names just the missing packages; ``.ci/run`` installs the same ones.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys

APT_LINE = "sudo apt-get install chromium fonts-noto-cjk nodejs npm prometheus python3-venv"
PROMETHEUS_NOTEBOOK = "18"


def has_cjk_font() -> bool:
    """fontconfig knows a font that covers Traditional Chinese."""
    if not shutil.which("fc-list"):
        return False
    listed = subprocess.run(["fc-list", ":lang=zh-tw", "family"], capture_output=True, text=True,
                            timeout=60, check=False).stdout
    return bool(listed.strip())


def missing(purpose: str = "test", skip: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """One (sentence, Debian packages) per missing prerequisite of ``make <purpose>``."""
    problems = []
    site = purpose == "test"
    if site and not (shutil.which("chromium") or shutil.which("chromium-browser")):
        problems.append(("Chromium is missing (the docs-site tests drive it headless): "
                         "install the Debian package chromium.", "chromium"))
    if site and not has_cjk_font():
        problems.append(("No font covers Traditional Chinese (pages and plots would show boxes): "
                         "install fonts-noto-cjk.", "fonts-noto-cjk"))
    if PROMETHEUS_NOTEBOOK not in skip and not (shutil.which("prometheus") and shutil.which("promtool")):
        sentence = ("Prometheus is missing (notebook 18 starts one, and promtool checks its rules): "
                    "install the Debian package prometheus.")
        if purpose == "tutorial":
            sentence += " Or leave notebook 18 out: make tutorial SKIP=18"
        problems.append((sentence, "prometheus"))
    if site and not shutil.which("npm"):
        problems.append(("npm is missing (the docs build fetches Mermaid from the npm registry): "
                         "install nodejs and npm.", "nodejs npm"))
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--for", dest="purpose", choices=("test", "tutorial"), default="test")
    parser.add_argument("--skip", action="append", default=[], help="a notebook number left out")
    args = parser.parse_args(argv)
    problems = missing(args.purpose, tuple(args.skip))
    for sentence, _ in problems:
        print(sentence, file=sys.stderr)
    if problems:
        packages = " ".join(package for _, package in problems)
        print(f"On Debian or Ubuntu: sudo apt-get install {packages}", file=sys.stderr)
        if args.purpose == "test":
            print(f"(everything make test needs, all at once: {APT_LINE})", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
