"""The notebooks' shape: numbered, output-free, and opening and closing as the guide says."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_notebooks_exist_and_are_numbered():
    names = [p.name for p in NOTEBOOKS]
    assert len(names) >= 5
    assert all(re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", n) for n in names), names
    assert [n[:2] for n in names] == [f"{i:02d}" for i in range(1, len(names) + 1)]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs(path):
    """The pre-commit hook's own rule (tools/check_notebooks.py), also where no hook ran."""
    sys.path.insert(0, str(ROOT / "tools"))
    from check_notebooks import dirty_cells

    assert dirty_cells(path) == [], "cells with outputs or execution counts"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_opens_and_closes_like_a_lesson(path):
    nb = nbformat.read(path, as_version=4)
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# ")
    for heading in ("你將學到", "先決條件", "預估時間"):
        assert heading in first.source, heading
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "## 小結" in markdown
    index = NOTEBOOKS.index(path)
    if index + 1 < len(NOTEBOOKS):
        assert f"({NOTEBOOKS[index + 1].name})" in markdown, "no link to the next notebook"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_notebook_checks_its_claims(path):
    nb = nbformat.read(path, as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert code.count("assert ") >= 2
    assert "!ls" not in code  # paths come from MLflow, never from listing folders


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_ends_with_a_one_line_summary(path):
    """``make tutorial`` shows what each notebook produced: the line its last code cell prints."""
    import ast

    nb = nbformat.read(path, as_version=4)
    last = [c for c in nb.cells if c.cell_type == "code"][-1]
    statement = ast.parse(last.source).body[-1]
    assert isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call) \
        and getattr(statement.value.func, "id", "") == "print", last.source[-200:]
    assert "\\n" not in ast.unparse(statement), "the summary is one line"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_points_mlflow_at_its_store_in_its_own_cells(path):
    """A notebook that talks to MLflow says which store it uses before anything reads one.

    Without it a notebook run after 01-03 found the model, trained nothing, and asked
    MLflow's default store (``./mlflow.db`` beside the notebook), which is empty.
    """
    nb = nbformat.read(path, as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    uses = [i for i, s in enumerate(code) if re.search(r"ensure_model\(|mlflow\.|MlflowClient\(", s)]
    if not uses:
        return
    points = [i for i, s in enumerate(code) if "mlflow.set_tracking_uri(" in s]
    assert points and points[0] <= uses[0], "mlflow.set_tracking_uri(...) comes before the first MLflow call"
    assert "print(" in code[points[0]] and "mlflow.get_tracking_uri()" in code[points[0]]
    source = "\n".join(code)
    if "mlflow.start_run(" in source:  # else the run lands in "Default", artifacts in ./mlruns
        assert -1 < source.find("mlflow.set_experiment(") < source.find("mlflow.start_run(")


PLOT_TEXT_CALLS = {"set_xlabel", "set_ylabel", "set_title", "suptitle", "text", "annotate", "legend",
                   "bar", "barh", "scatter", "plot", "axvspan", "axhline", "axvline"}
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_plot_labels_fall_back_when_no_cjk_font_is_installed(path):
    """A machine without a CJK font draws Chinese as boxes: every Chinese plot label must be chosen
    at run time (``label(zh, en)`` or ``zh if font else en``), never a bare Chinese literal."""
    import ast

    nb = nbformat.read(path, as_version=4)
    bare = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") in PLOT_TEXT_CALLS:
                for value in [*node.args, *(k.value for k in node.keywords)]:
                    if isinstance(value, (ast.Constant, ast.JoinedStr)) and CJK.search(ast.unparse(value)):
                        bare.append((index, ast.unparse(value)))
    assert bare == []


# A link to another notebook, as written for JupyterLab: [label](NN_name.ipynb#anchor).
NOTEBOOK_LINK = re.compile(r"\[([^\]]*)\]\((\d\d_[a-z0-9_]+)\.ipynb[^)]*\)")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_a_lesson_links_only_back_until_its_next_step(path):
    """Each lesson uses only what it or an earlier one taught: before 下一步 every link to
    another notebook points back; the last cell's 下一步 points to the notebook that follows."""
    nb = nbformat.read(path, as_version=4)
    names = [p.stem for p in NOTEBOOKS]
    here = names.index(path.stem)
    forward = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        text = cell.source.split("下一步：")[0] if index == len(nb.cells) - 1 else cell.source
        for label, target in NOTEBOOK_LINK.findall(text):
            assert target in names, f"cell {index} links to {target}, which does not exist"
            if names.index(target) >= here and target != path.stem:
                forward.append((index, target))
            if label[:2].isdigit():
                assert label[:2] == target[:2], f"cell {index}: [{label}] names another number than {target}"
    assert forward == [], "links to later lessons before 下一步"
    last = nb.cells[-1].source
    if here + 1 < len(names):
        step = last.split("下一步：", 1)
        assert len(step) == 2, "the last cell has no 下一步"
        assert NOTEBOOK_LINK.search(step[1]).group(2) == names[here + 1]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_the_title_carries_the_file_number(path):
    nb = nbformat.read(path, as_version=4)
    assert nb.cells[0].source.startswith(f"# {path.name[:2]} ")


def test_the_nav_and_the_readme_list_every_notebook_in_order():
    import yaml

    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8").split("\nplugins:")[0]
    nav = yaml.safe_load(config.replace("!!python", "#").replace("!ENV", ""))["nav"]
    tutorial = next(item["教學"] for item in nav if isinstance(item, dict) and "教學" in item)
    listed = [next(iter(entry.values())) for entry in tutorial]
    assert listed == [f"tutorial/{p.name}" for p in NOTEBOOKS]
    for entry, path in zip(tutorial, NOTEBOOKS):
        assert next(iter(entry)).startswith(path.name[:2] + " ")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert re.findall(r"^\| `(\d\d_[a-z0-9_]+)` \|", readme, re.M) == [p.stem for p in NOTEBOOKS]


def test_links_from_the_docs_reach_a_notebook_of_that_number():
    """[06](tutorial/06_x.ipynb) on a page means notebook 06: label and file agree, the file exists."""
    names = {p.stem for p in NOTEBOOKS}
    wrong = []
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for label, target in NOTEBOOK_LINK.findall(page.read_text(encoding="utf-8")):
            if target not in names or (label[:2].isdigit() and label[:2] != target[:2]):
                wrong.append((page.name, label, target))
    assert wrong == []
