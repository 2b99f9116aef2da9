"""The stack-status box, written once and copied: ``python tools/stack_status.py`` (``--check`` to compare).

The facts about MLServer's and MLflow's state (last release, maintainer, removed integration, the
unsafe restart path) are read first in several places: the site's home page, the README and the
two lessons that start a server (04) and meet MLflow's removed integration (11). They live once,
between ``<!-- stack-status -->`` and ``<!-- /stack-status -->`` in ``docs/index.md``; this tool
copies that block into the others, and ``tests/test_stack_status.py`` fails when a copy differs.
Links inside the block are absolute, so the same text works from every folder.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "docs" / "index.md"
COPIES = (ROOT / "README.md", ROOT / "notebooks" / "04_start_server.ipynb",
          ROOT / "notebooks" / "11_replace_mlflow_serve.ipynb")
BLOCK = re.compile(r"<!-- stack-status -->\n(.*?)<!-- /stack-status -->", re.S)


def block(text: str) -> str:
    found = BLOCK.search(text)
    if not found:
        raise SystemExit("no <!-- stack-status --> ... <!-- /stack-status --> block")
    return found.group(1)


def text_of(path: Path) -> str:
    """A markdown file's text, or a notebook's markdown cells joined."""
    if path.suffix != ".ipynb":
        return path.read_text(encoding="utf-8")
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


def copy_of(path: Path) -> str:
    """The block as it stands in ``path`` (a markdown file or a notebook's markdown cells)."""
    return block(text_of(path))


def write(path: Path, box: str) -> bool:
    """Put ``box`` into ``path``'s block; True if the file changed."""
    def put(text: str) -> str:
        return BLOCK.sub(lambda _: f"<!-- stack-status -->\n{box}<!-- /stack-status -->", text, count=1)

    if path.suffix != ".ipynb":
        before = path.read_text(encoding="utf-8")
        after = put(before)
        path.write_text(after, encoding="utf-8")
        return after != before
    raw = path.read_text(encoding="utf-8")
    notebook = json.loads(raw)
    for cell in notebook["cells"]:
        text = "".join(cell["source"])
        if cell["cell_type"] == "markdown" and BLOCK.search(text):
            cell["source"] = put(text).splitlines(keepends=True)
    after = json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"
    path.write_text(after, encoding="utf-8")
    return after != raw


def main(argv: list[str]) -> int:
    box = copy_of(SOURCE)
    if "--check" in argv:
        stale = [p.relative_to(ROOT) for p in COPIES if copy_of(p) != box]
        for path in stale:
            print(f"{path}: the stack-status block differs from docs/index.md; "
                  "run `python tools/stack_status.py`")
        return 1 if stale else 0
    for path in COPIES:
        if write(path, box):
            print(f"updated {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
