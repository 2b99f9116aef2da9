"""The package's map, enforced: which part may import which, and what ships without extras."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "wine_serving"
CORE = {"workspace", "errors", "data", "training", "named_tensor_model", "registry", "settings",
        "tracking", "servers.preflight", "servers.mlserver", "validation", "client"}
LATER = {"bench", "traffic", "deploy", "bad_requests", "servers.mlflow", "servers.kserve", "servers.floor",
         "servers.supervisor",
         "plotting", "strict_runtime", "triton_grpc_client", "locks", "monitoring"}
# Sub-packages whose modules are parts of their own: ``process`` owns processes for everyone;
# ``servers`` holds a core server (mlserver) beside later ones, so its modules count one by one.
SPLIT = ("servers",)
# Packages only the `dev` extra installs: a plain `pip install .` has none of them.
DEV_ONLY = ("matplotlib", "nbclient", "nbformat", "kubernetes_validate", "tritonclient", "playwright",
            "pytest", "jupyterlab", "mkdocs")


def _name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[str]]:
    """Every ``wine_serving`` module each module imports, at top level or inside a function."""
    found: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("wine_serving"):
                names.add(node.module.removeprefix("wine_serving").lstrip("."))
            elif isinstance(node, ast.Import):
                names.update(a.name.removeprefix("wine_serving.") for a in node.names
                             if a.name.startswith("wine_serving."))
        found[_name(path)] = {n for n in names if n}
    return found


def _top(name: str) -> str:
    return name.split(".")[0]


def _part(name: str) -> str:
    """The unit the rules speak of: a module of ``servers``, otherwise the top-level module."""
    parts = name.split(".")
    return ".".join(parts[:2]) if parts[0] in SPLIT and len(parts) > 1 else parts[0]


IMPORTS = _imports()


def test_the_map_covers_every_module():
    parts = {_part(name) for name in IMPORTS if name}
    assert parts == CORE | LATER | {"process", *SPLIT}, parts ^ (CORE | LATER | {"process", *SPLIT})


@pytest.mark.parametrize("module", sorted(n for n in IMPORTS if _part(n) in CORE | {"process", *SPLIT}))
def test_the_core_path_never_imports_the_later_chapters(module):
    assert {_part(n) for n in IMPORTS[module]} & LATER == set()


def test_workspace_and_errors_import_nothing_of_the_package():
    assert IMPORTS["workspace"] == set() and IMPORTS["errors"] == set()


def test_the_client_never_manages_processes():
    assert {_top(n) for n in IMPORTS["client"]} <= {"errors", "validation"}
    assert {_top(n) for n in IMPORTS["validation"]} == {"errors"}  # no HTTP: the strict runtime imports it


@pytest.mark.parametrize("module", sorted(n for n in IMPORTS if _top(n) == "process"))
def test_process_ownership_needs_only_errors_and_workspace(module):
    assert {_top(n) for n in IMPORTS[module]} <= {"process", "errors", "workspace"}


def test_named_tensor_model_is_self_contained():
    """MLflow copies it into the model; a server must load it without this package."""
    assert IMPORTS["named_tensor_model"] == set()


BLOCKER = f"""
import importlib.abc, pkgutil, sys
class Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {DEV_ONLY!r}:
            raise ImportError(f"{{name}} is dev-only")
sys.meta_path.insert(0, Blocker())
import wine_serving
for info in pkgutil.walk_packages(wine_serving.__path__, "wine_serving."):
    if info.name.endswith(("__main__", "named_tensor_model")):
        continue
    importlib.import_module(info.name)
from wine_serving.errors import MissingExtraError
from wine_serving import deploy
try:
    deploy.validate_kubernetes([deploy.service()])
except MissingExtraError as exc:
    print(exc)
"""


def test_every_module_imports_without_the_dev_extra():
    """``pip install .`` alone: every module imports; a dev-only need names the extra to install."""
    done = subprocess.run([sys.executable, "-c", BLOCKER], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "kubernetes_validate is not installed" in done.stdout and "'dev' extra" in done.stdout


NOTEBOOK_DIR = PACKAGE.parents[1] / "notebooks"
ARCHITECTURE = PACKAGE.parents[1] / "docs" / "architecture.md"
# A module named in a string the notebook hands on (an implementation path, `python -m ...`).
NAMED_IN_A_STRING = re.compile(r"wine_serving\.([a-z_]+)")


def notebooks_importing() -> dict[str, set[str]]:
    """``{top-level module: numbers of the notebooks whose code uses it directly}``, from their source."""
    import json

    modules = {_part(name) for name in IMPORTS if name}
    used: dict[str, set[str]] = {}
    for path in sorted(NOTEBOOK_DIR.glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        names: set[str] = set(NAMED_IN_A_STRING.findall(code))
        for node in ast.walk(ast.parse(code)):
            if isinstance(node, ast.ImportFrom) and node.module == "wine_serving":
                names.update(a.name if a.name in modules else "workspace" for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("wine_serving."):
                names.add(_part(node.module.removeprefix("wine_serving.")))
        for name in names & modules:
            used.setdefault(name, set()).add(path.name[:2])
    return used


def _numbers(cell: str) -> set[str]:
    found: set[str] = set()
    for first, last in re.findall(r"(\d\d)(?:–(\d\d))?", cell):
        found.update(f"{n:02d}" for n in range(int(first), int(last or first) + 1))
    return found


def test_the_maps_lesson_column_is_what_the_notebooks_import():
    """The "直接匯入的課" column is generated from the notebooks' own imports, and checked here."""
    used = notebooks_importing()
    rows = re.findall(r"^\| `([a-z_/]+)`(?:、`([a-z_]+)`)? \| [^|]+ \| ([^|]*) \|$",
                      ARCHITECTURE.read_text(encoding="utf-8").split("## 測試的分層")[0], re.M)
    assert len(rows) >= 15
    for first, second, lessons in rows:
        modules = {first.rstrip("/").replace("/", "."), *([second] if second else [])}
        expected = set().union(*(used.get(m, set()) for m in modules))
        assert _numbers(lessons) == expected, (first, sorted(expected))


def test_the_api_page_documents_every_module_a_reader_can_call():
    """docs/api.md names each module (the named-tensor model is MLflow's code, copied into the model)."""
    documented = set(re.findall(r"^::: wine_serving\.([a-z_.]+)$",
                                (PACKAGE.parents[1] / "docs" / "api.md").read_text(encoding="utf-8"), re.M))
    sub_packages = {name for name in IMPORTS if any(other.startswith(name + ".") for other in IMPORTS)}
    callable_modules = {name for name in IMPORTS if name and not name.startswith("bench.")
                        and name not in sub_packages - {"bench"} and name != "named_tensor_model"}
    assert callable_modules - documented == set()
