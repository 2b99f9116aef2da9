"""The project's lock files read back: what was tested, by package name.

Two environments are pinned: the main one (``requirements.lock``) and KServe's second venv
(``peers/requirements-kserve.lock``), which must load the same logged model, so ``make lock``
copies the model stack's pins from the first into the second. The list of those packages
lives once, in the Makefile's ``SHARED_PINS`` line; this module reads it rather than repeat it.
"""

from __future__ import annotations

import re
from pathlib import Path

from wine_serving.workspace import checkout_root

ROOT = checkout_root() or Path.cwd()  # read by tests and notebook 12, which run in a checkout
MAIN_LOCK = ROOT / "requirements.lock"
KSERVE_LOCK = ROOT / "peers" / "requirements-kserve.lock"


def lock_pins(path: Path = MAIN_LOCK) -> dict[str, str]:
    """``{name: version}`` for every ``name==version`` line; names normalised (lower case,
    ``-`` for ``_``, extras dropped) so they compare with what pip and uv print."""
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-\[\]]+)==([^\s;]+)", line)
        if match:
            pins[re.sub(r"\[.*\]", "", match.group(1)).lower().replace("_", "-")] = match.group(2)
    return pins


def shared_model_stack(makefile: Path = ROOT / "Makefile") -> list[str]:
    """The packages both venvs pin alike (the Makefile's ``SHARED_PINS``), in its order."""
    found = re.search(r"^SHARED_PINS := (.+)$", makefile.read_text(encoding="utf-8"), re.M)
    if not found:
        raise ValueError(f"No `SHARED_PINS := ...` line in {makefile}")
    return found.group(1).strip().split("|")
