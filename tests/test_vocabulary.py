"""One term per concept: the glossary's decisions, enforced on every page a reader reads.

Two kinds of rule, both listed in the glossary's "不用的說法" table:

* a plain word (依賴, 返回, …) is looked for anywhere in each file;
* a word that is only wrong in some places (埠 not in 連接埠, 指標 on a Prometheus line, …) is a
  ``Decision`` below: a regex, and sometimes a line that must also match, checked on prose only
  (Markdown cells of the notebooks, the Markdown files).  Each decision is its own test.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GLOSSARY = ROOT / "docs" / "glossary.md"


@dataclass(frozen=True)
class Decision:
    key: str  # ASCII test id
    label: str  # the left column of "不用的說法", verbatim
    term: str  # the glossary term to write instead (first column of the term table)
    english: str  # its English column
    rejected: re.Pattern[str]
    on_lines: re.Pattern[str] | None = None  # only lines that also match this

    def __str__(self) -> str:
        return self.key


def _re(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


# MLflow's 指標 (RMSE) stays 指標; the numbers on /metrics are 監控指標.  A bare 指標 is the
# Prometheus kind when it names the server/endpoint, or shares a line with the server's other parts.
_PROMETHEUS_LINE = r"(?<!監控)(?<!評估)指標(?=伺服器|端點|連接埠)|Prometheus|/metrics|metrics_port|gRPC|日誌"

DECISIONS = [
    Decision("return", "回傳", "傳回", "return", _re(r"(?<!來)回傳")),
    Decision("metric-prometheus", "指標（指 Prometheus 的數字時）", "監控指標", "metric (Prometheus)",
             _re(r"(?<!監控)(?<!評估)指標"), _re(_PROMETHEUS_LINE)),
    Decision("health-endpoint", "健康端點", "健康狀態端點", "health endpoint", _re(r"健康端點")),
    Decision("health-check", "健康檢查", "健康狀態檢查", "health check", _re(r"健康檢查")),
    Decision("endpoint-answers-not-check", "健康狀態檢查……回 200", "健康狀態端點", "health endpoint",
             _re(r"健康狀態檢查\**[卻都也仍照樣還是]*回 ?\d{3}")),
    Decision("port", "埠、通訊埠（前面沒有「連接」）", "連接埠", "port", _re(r"(?<!連接)埠")),
    Decision("runtime", "執行環境", "runtime", "runtime (inference runtime)", _re(r"執行環境")),
    Decision("mlflow-run", "執行（名詞，指 MLflow 的 run）", "run", "run",
             _re(r"執行（runs?）|查詢執行|[這一每]次執行"),
             _re(r"執行（run|查詢執行|start_run|search_runs|run_id|實驗")),
    Decision("inference-worker", "推論行程、平行工作行程", "推論工作行程", "inference worker",
             _re(r"推論行程|平行工作行程")),
    Decision("wall-clock-time", "牆上時間", "實際經過時間", "wall-clock time",
             _re(r"牆上時間|牆鐘時間|掛鐘時間")),
    Decision("logged-model", "logged model（沒有跟在「已記錄模型（」後面）", "已記錄模型", "logged model",
             _re(r"(?<!已記錄模型（)(?<!已記錄模型」（)logged model")),
]


@cache
def _glossary_tables() -> tuple[dict[str, str], dict[str, str]]:
    """``({term: english}, {rejected: use instead})`` from the glossary's two tables."""
    terms_part, rejected_part = GLOSSARY.read_text(encoding="utf-8").split("## 不用的說法", 1)
    terms = {t: en for t, en, _ in re.findall(r"^\| ([^|]+?) \| ([^|]+?) \| ([^|]+?) \|$", terms_part, re.M)}
    rows = re.findall(r"^\| ([^|]+?) \| ([^|]+?) \|$", rejected_part, re.M)
    return terms, {bad: good for bad, good in rows if bad not in ("不用", "---")}


def rejected_terms() -> dict[str, str]:
    """``{rejected: use instead}`` for the plain words (the ``Decision`` rows are checked by regex)."""
    labels = {d.label for d in DECISIONS}
    return {bad: good for bad, good in _glossary_tables()[1].items() if bad not in labels}


def _pages() -> list[Path]:
    pages = [*sorted((ROOT / "notebooks").glob("*.ipynb")), *sorted((ROOT / "docs").glob("*.md")),
             ROOT / "README.md", ROOT / "CONTRIBUTING.md", ROOT / "CHANGELOG.md"]
    return [p for p in pages if p != GLOSSARY]


@cache
def _prose() -> tuple[tuple[str, str], ...]:
    """``(where, line)`` per prose line: notebook Markdown cells (``nb#cell``), Markdown files (``md:n``)."""
    lines: list[tuple[str, str]] = []
    for page in _pages():
        name = str(page.relative_to(ROOT))
        if page.suffix == ".ipynb":
            for index, cell in enumerate(json.loads(page.read_text(encoding="utf-8"))["cells"]):
                if cell["cell_type"] == "markdown":
                    lines += [(f"{name}#{index}", line) for line in "".join(cell["source"]).splitlines()]
        else:
            text = page.read_text(encoding="utf-8")
            lines += [(f"{name}:{n}", line) for n, line in enumerate(text.splitlines(), 1)]
    return tuple(lines)


def test_the_table_is_read():
    terms = rejected_terms()
    assert {"依賴", "返回", "默認", "數據", "程序"} <= set(terms) and all(terms.values())


def test_no_page_uses_a_rejected_term():
    terms = rejected_terms()
    found = {f"{page.relative_to(ROOT)}: {term} (→ {terms[term]})"
             for page in _pages() for term in terms if term in page.read_text(encoding="utf-8")}
    assert found == set()


@pytest.mark.parametrize("decision", DECISIONS, ids=str)
def test_each_decision_is_recorded_in_the_glossary(decision: Decision):
    terms, rejected = _glossary_tables()
    assert decision.label in rejected, f"docs/glossary.md「不用的說法」少了一列：| {decision.label} | … |"
    assert decision.term in rejected[decision.label], (
        f"docs/glossary.md：「{decision.label}」那一列要寫改用「{decision.term}」")
    assert terms.get(decision.term) == decision.english, (
        f"docs/glossary.md 的詞彙表要有一列：| {decision.term} | {decision.english} | … |")


def _around(line: str, match: re.Match[str]) -> str:
    return line[max(0, match.start() - 20):match.end() + 20].strip()


@pytest.mark.parametrize("decision", DECISIONS, ids=str)
def test_each_decision_holds_in_the_prose(decision: Decision):
    # file#cell or file:line, the rejected words, the replacement, and the sentence around them
    found = [f"{where}: 「{m.group()}」→「{decision.term}」：…{_around(line, m)}…"
             for where, line in _prose()
             if decision.on_lines is None or decision.on_lines.search(line)
             for m in decision.rejected.finditer(line)]
    assert found == [], f"{decision.label} → {decision.term}（docs/glossary.md）:\n" + "\n".join(found)


# 核心 alone is the Jupyter kernel (glossary); counted cores are CPU 核心.
BARE_CPU_CORE = re.compile(r"(?<!CPU )(?<!CPU)(核心數|(?:[一二兩三四每多\d]|\d ) ?個核心)")


def test_a_cpu_core_is_never_a_bare_kernel():
    found = {f"{page.relative_to(ROOT)}: …{m.string[max(0, m.start() - 15):m.end() + 5]}…"
             for page in _pages() for m in BARE_CPU_CORE.finditer(page.read_text(encoding="utf-8"))}
    assert found == set()
