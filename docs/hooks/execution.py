"""MkDocs hook: the execution record (執行紀錄) of the notebooks the site shows.

"最後更新" says when a page's source last changed; a reader of an executed notebook also
wants to know when it ran, whether it passed and with which versions. The runner
(``tools/run_notebooks.py``) writes that into each executed copy's metadata
(``wine_serving.execution``), asked of the kernel itself. This hook turns it into

* a generated page, ``execution.md``, one row per notebook and the versions they ran with;
* one line atop each notebook page, linking to that page.

A copy without a record (built from notebooks the runner did not execute) says so; the
build does not invent figures.
"""

from __future__ import annotations

import html as html_lib
import json
from pathlib import Path

from mkdocs.structure.files import File

PAGE = "execution.md"
STATUS = {"ok": "通過", "FAILED": "失敗"}
# The order and the names the page gives the recorded packages.
PACKAGES = {"mlflow": "MLflow", "mlserver": "MLServer", "mlserver-mlflow": "mlserver-mlflow",
            "pandas": "pandas", "numpy": "NumPy", "scikit-learn": "scikit-learn"}


def record(notebook: Path) -> dict | None:
    """The execution record in an executed notebook, or None if it has none."""
    metadata = json.loads(notebook.read_text(encoding="utf-8")).get("metadata", {})
    return metadata.get("wine_serving", {}).get("execution")


def title(notebook: Path) -> str:
    """The notebook's own title: the first heading of its first Markdown cell."""
    for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return notebook.stem


def finished(entry: dict) -> str:
    """``2026-12-02T18:40:29+00:00`` as ``2026-12-02 18:40 UTC``."""
    return entry["finished"][:16].replace("T", " ") + " UTC"


def versions_line(entry: dict) -> str:
    named = [f"Python {entry['python']}"]
    named += [f"{label} {entry['packages'].get(name) or '未安裝'}" for name, label in PACKAGES.items()]
    return "、".join(named)


def _notebooks(config) -> list[Path]:
    return sorted((Path(config["docs_dir"]) / "tutorial").glob("[0-9][0-9]_*.ipynb"))


def page_markdown(notebooks: list[Path]) -> str:
    """The 執行紀錄 page: what ran, how long, when, and with what."""
    records = {path: record(path) for path in notebooks}
    lines = [
        "# 執行紀錄",
        "",
        "這個網站上每本筆記本的輸出，都來自 `make test-notebooks` 的第一輪依序執行：01、02 …"
        "在同一個全新的工作區，一個核心（kernel）接著一個，和讀者在 JupyterLab 裡的順序一樣。"
        "下表的狀態、秒數與時間是那一次執行記下來的；版本是每個核心開始執行前自己回報的，"
        "不是抄自鎖定檔（lock file）。",
        "",
        "| 筆記本 | 狀態 | 執行秒數 | 完成時間 |",
        "|---|---|---:|---|",
    ]
    total = 0.0
    for path, entry in records.items():
        link = f"[{title(path).replace('|', '&#124;')}](tutorial/{path.name})"
        if entry is None:
            lines.append(f"| {link} | 沒有紀錄 | | |")
            continue
        total += entry["seconds"]
        lines.append(f"| {link} | {STATUS.get(entry['status'], entry['status'])} | "
                     f"{entry['seconds']:.1f} | {finished(entry)} |")
    recorded = [entry for entry in records.values() if entry]
    lines += ["", f"{len(recorded)} 本有紀錄，合計 {total:.1f} 秒。", ""]
    if recorded:
        lines += ["## 執行時的版本", "", "| 項目 | 版本 | 筆記本 |", "|---|---|---|"]
        rows: dict[tuple[str, str], list[str]] = {}
        for path, entry in records.items():
            if entry is None:
                continue
            values = {"Python": entry["python"], **{label: entry["packages"].get(name) or "未安裝"
                                                    for name, label in PACKAGES.items()},
                      "作業系統": entry["system"], "CPU 核心數": str(entry["cpus"])}
            for item, value in values.items():
                rows.setdefault((item, value), []).append(path.name[:2])
        for (item, value), which in rows.items():
            where = "全部" if len(which) == len(recorded) else "、".join(which)
            lines.append(f"| {item} | {value} | {where} |")
        lines.append("")
    return "\n".join(lines)


def on_files(files, config):
    """Add the generated 執行紀錄 page (it exists only in the built site)."""
    files.append(File.generated(config, PAGE, content=page_markdown(_notebooks(config))))
    return files


def on_page_content(html: str, page, config, files) -> str:
    """Atop a notebook page, under its title: when it ran, whether it passed, with what."""
    if page.file.src_uri == PAGE:
        page.edit_url = None  # generated: there is no source to edit
    if not page.file.src_uri.endswith(".ipynb"):
        return html
    entry = record(Path(page.file.abs_src_path))
    if entry is None:
        text = "這一頁的筆記本沒有執行紀錄。"
    else:
        text = (f"執行紀錄：{STATUS.get(entry['status'], entry['status'])}，{entry['seconds']:.1f} 秒，"
                f"完成於 {finished(entry)}；{versions_line(entry)}。")
    line = (f'<p class="execution-line" data-search-exclude>{html_lib.escape(text)} '
            f'<a href="../../execution/">全部筆記本的執行紀錄</a></p>')
    end = html.find("</h1>")
    return html[:end + 5] + line + html[end + 5:] if end >= 0 else line + html
