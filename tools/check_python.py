"""Refuse, in one sentence, an interpreter the tutorial does not support (`make setup` runs it first).

Run with the interpreter a reader chose (``make setup PYTHON=...``), before the venv is
made: without it, Python 3.10 fails deep in the installer with a resolver message and
3.13 installs without a word, because the lock goes in with ``--no-deps`` and nothing
checks MLServer 1.7.1's ``Requires-Python``. The supported range is the one
``pyproject.toml`` declares, read from there so it has one home. Written for any
Python 3, so an old interpreter gets the sentence too instead of a syntax error.
"""

import re
import sys
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"
HOW = ("choose one with `make setup PYTHON=python3.11` (or a full path), `uv python install 3.11` "
       "then `make setup PYTHON=\"$(uv python find 3.11)\"`, or `conda env create -f environment.yml`")


def supported_range(text):
    """(lowest, first unsupported) minor versions from ``requires-python = ">=3.A,<3.B"``."""
    match = re.search(r'^requires-python\s*=\s*">=3\.(\d+),\s*<3\.(\d+)"', text, re.M)
    if not match:
        raise SystemExit("pyproject.toml declares no requires-python of the form \">=3.A,<3.B\"")
    return int(match.group(1)), int(match.group(2))


def problem(version, low, high, has_venv=True):
    """The one sentence that refuses ``version`` (a (major, minor, micro) tuple), or None."""
    shown = ".".join(str(part) for part in version[:3])
    minors = ["3.{}".format(minor) for minor in range(low, high)]
    names = ", ".join(minors[:-1]) + " or " + minors[-1] if len(minors) > 1 else minors[0]
    if version[0] != 3 or not low <= version[1] < high:
        return ("Python {} is not supported: this tutorial runs on Python {} only "
                "(MLServer 1.7.1 declares Python <3.13, the locked numpy 2.4 needs 3.11 or newer); "
                "{}.").format(shown, names, HOW)
    if not has_venv:
        return ("Python {} has no venv module (ensurepip): install it with "
                "`sudo apt-get install python3-venv` on Debian or Ubuntu, or {}.").format(shown, HOW)
    return None


def main():
    low, high = supported_range(PYPROJECT.read_text(encoding="utf-8"))
    try:
        import ensurepip  # noqa: F401  (Debian's python3 lacks it without python3-venv)
        import venv  # noqa: F401
        has_venv = True
    except ImportError:
        has_venv = False
    message = problem(tuple(sys.version_info), low, high, has_venv)
    if message:
        print(message, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
