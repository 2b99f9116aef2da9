"""One term per concept: the glossary's "不用的說法" table, enforced on every page a reader reads."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GLOSSARY = ROOT / "docs" / "glossary.md"


def rejected_terms() -> dict[str, str]:
    """``{rejected: use instead}`` from the glossary's last table."""
    section = GLOSSARY.read_text(encoding="utf-8").split("## 不用的說法", 1)[1]
    rows = re.findall(r"^\| ([^|]+?) \| ([^|]+?) \|$", section, re.M)
    return {bad: good for bad, good in rows if bad not in ("不用", "---")}


def _pages() -> list[Path]:
    pages = [*sorted((ROOT / "notebooks").glob("*.ipynb")), *sorted((ROOT / "docs").glob("*.md")),
             ROOT / "README.md", ROOT / "CONTRIBUTING.md", ROOT / "CHANGELOG.md"]
    return [p for p in pages if p != GLOSSARY]


def test_the_table_is_read():
    terms = rejected_terms()
    assert {"依賴", "返回", "默認", "數據", "程序"} <= set(terms) and all(terms.values())


def test_no_page_uses_a_rejected_term():
    terms = rejected_terms()
    found = {f"{page.relative_to(ROOT)}: {term} (→ {terms[term]})"
             for page in _pages() for term in terms if term in page.read_text(encoding="utf-8")}
    assert found == set()


# 核心 alone is the Jupyter kernel (glossary); counted cores are CPU 核心.
BARE_CPU_CORE = re.compile(r"(?<!CPU )(?<!CPU)(核心數|(?:[一二兩三四每多\d]|\d ) ?個核心)")


def test_a_cpu_core_is_never_a_bare_kernel():
    found = {f"{page.relative_to(ROOT)}: …{m.string[max(0, m.start() - 15):m.end() + 5]}…"
             for page in _pages() for m in BARE_CPU_CORE.finditer(page.read_text(encoding="utf-8"))}
    assert found == set()
