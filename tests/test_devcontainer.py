"""The dev container (VS Code, GitHub Codespaces) sets up what ``make setup`` and the tests need.

No schema for ``devcontainer.json`` is available offline here (check-jsonschema vendors
none, and the registries carry none), so the properties this file uses are checked against
a schema written in this test from the Dev Container specification's property reference
(https://containers.dev/implementors/json_reference/): their types, and no other property
names, so a misspelt one (``postCreateCommnd``) fails here instead of being ignored by VS Code.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import jsonschema
import pytest
import tomllib
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / ".devcontainer" / "devcontainer.json"
MAKEFILE = (ROOT / "Makefile").read_text(encoding="utf-8")

sys.path.insert(0, str(ROOT / "tools"))
import check_prereqs  # noqa: E402

COMMAND = {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}},
                     {"type": "object"}]}
# The properties this project uses, typed as the specification's reference gives them.
SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "image", "postCreateCommand"],
    "properties": {
        "name": {"type": "string"},
        "image": {"type": "string"},
        "features": {"type": "object", "additionalProperties": {"type": "object"}},
        "onCreateCommand": COMMAND,
        "postCreateCommand": COMMAND,
        "forwardPorts": {"type": "array", "items": {"anyOf": [
            {"type": "integer", "minimum": 0, "maximum": 65535},
            {"type": "string", "pattern": r"^([a-z0-9-]+):(\d{1,5})$"}]}},
        "portsAttributes": {"type": "object", "additionalProperties": {
            "type": "object", "additionalProperties": False,
            "properties": {"label": {"type": "string"},
                           "onAutoForward": {"enum": ["notify", "openBrowser", "openBrowserOnce",
                                                      "openPreview", "silent", "ignore"]}}}},
        "customizations": {"type": "object", "additionalProperties": False, "properties": {
            "vscode": {"type": "object", "additionalProperties": False, "properties": {
                "extensions": {"type": "array", "items": {"type": "string"}},
                "settings": {"type": "object"}}}}},
    },
}


def _config() -> dict:
    return json.loads(CONFIG.read_text(encoding="utf-8"))


def _commands(config: dict) -> str:
    return " && ".join(config[key] for key in ("onCreateCommand", "postCreateCommand"))


def test_the_config_uses_only_known_properties_with_their_types():
    jsonschema.validate(_config(), SCHEMA)


def test_a_misspelt_property_is_caught():
    broken = {**_config(), "postCreateCommnd": "make setup"}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, SCHEMA)


def test_the_image_is_debian_with_a_supported_python():
    image = _config()["image"]
    match = re.fullmatch(r"mcr\.microsoft\.com/devcontainers/python:1-(3\.\d+)-(bookworm|trixie)", image)
    assert match, image
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    supported = SpecifierSet(project["requires-python"])
    assert f"{match[1]}.0" in supported


def test_every_make_command_is_a_real_target_and_setup_runs_after_create():
    config = _config()
    assert config["postCreateCommand"] == "make setup"
    targets = set(re.findall(r"^([a-z][a-z0-9-]*):", MAKEFILE, re.M))
    used = re.findall(r"\bmake ([a-z][a-z0-9-]*)", _commands(config))
    assert used and set(used) <= targets


def test_it_installs_every_program_the_prerequisite_check_asks_for():
    """The Debian packages beside the Node feature (npm) cover tools/check_prereqs.py's list."""
    config = _config()
    installed = set(re.search(r"apt-get install -y --no-install-recommends ([a-z0-9 -]+)",
                              config["onCreateCommand"])[1].split())
    asked = set(check_prereqs.APT_LINE.split("apt-get install ")[1].split())
    node = any("features/node" in feature for feature in config["features"])
    provided = installed | ({"nodejs", "npm"} if node else set())
    assert asked - {"python3-venv"} <= provided  # the image's Python has venv


def test_jupyterlab_port_is_forwarded_and_the_venv_interpreter_selected():
    config = _config()
    port = int(re.search(r"^LAB_PORT \?= (\d+)$", MAKEFILE, re.M)[1])
    assert config["forwardPorts"] == [port]
    assert "--port=$(LAB_PORT)" in MAKEFILE
    settings = config["customizations"]["vscode"]["settings"]
    assert settings["python.defaultInterpreterPath"] == "${containerWorkspaceFolder}/.venv/bin/python"
    assert {"ms-python.python", "ms-toolsai.jupyter"} <= set(config["customizations"]["vscode"]["extensions"])
