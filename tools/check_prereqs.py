"""Name, before anything runs, each program ``make test`` needs that this machine lacks.

``make tutorial`` needs Python, make and (for notebook 18) Prometheus; ``make test`` also
builds and reads the docs site: headless Chromium for the browser tests, a CJK font so
Chinese text is glyphs (not boxes) in screenshots and plots, and npm to fetch Mermaid.
Without this check a missing one shows up twenty minutes in as an unrelated-looking
traceback. The one ``apt-get`` line is the README's; ``.ci/run`` installs the same packages.
"""

from __future__ import annotations

import shutil
import subprocess
import sys

APT_LINE = "sudo apt-get install chromium fonts-noto-cjk nodejs npm prometheus python3-venv"


def has_cjk_font() -> bool:
    """fontconfig knows a font that covers Traditional Chinese."""
    if not shutil.which("fc-list"):
        return False
    listed = subprocess.run(["fc-list", ":lang=zh-tw", "family"], capture_output=True, text=True,
                            timeout=60, check=False).stdout
    return bool(listed.strip())


def missing() -> list[str]:
    """One sentence per missing prerequisite."""
    problems = []
    if not (shutil.which("chromium") or shutil.which("chromium-browser")):
        problems.append("Chromium is missing (the docs-site tests drive it headless): "
                        "install the Debian package chromium.")
    if not has_cjk_font():
        problems.append("No font covers Traditional Chinese (pages and plots would show boxes): "
                        "install fonts-noto-cjk.")
    if not (shutil.which("prometheus") and shutil.which("promtool")):
        problems.append("Prometheus is missing (notebook 18 starts one, and promtool checks its rules): "
                        "install the Debian package prometheus.")
    if not shutil.which("npm"):
        problems.append("npm is missing (the docs build fetches Mermaid from the npm registry): "
                        "install nodejs and npm.")
    return problems


def main() -> int:
    problems = missing()
    for sentence in problems:
        print(sentence, file=sys.stderr)
    if problems:
        print(f"On Debian or Ubuntu, all at once: {APT_LINE}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
