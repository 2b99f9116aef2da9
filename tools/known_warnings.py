"""Silence the one known warning of the patched web stack in this venv (docs/security.md).

MLServer 1.7.1 reads ``starlette.status.HTTP_422_UNPROCESSABLE_ENTITY`` when it is
imported; starlette 1.x deprecates the name with a ``UserWarning`` subclass, so every
``import mlserver`` (each notebook, each ``mlserver start``) printed it. Nothing here
can change MLServer's code, so ``make setup`` writes a ``.pth`` file whose single line
ignores exactly this message, in this venv only. Delete the file to see it again.
"""

from __future__ import annotations

import sysconfig
from pathlib import Path

PTH_NAME = "wine_serving_known_warnings.pth"
MESSAGE = "'HTTP_422_UNPROCESSABLE_ENTITY' is deprecated"
LINE = (f"import warnings; warnings.filterwarnings('ignore', message={MESSAGE!r}, "
        "category=UserWarning)\n")


def pth_path() -> Path:
    return Path(sysconfig.get_paths()["purelib"]) / PTH_NAME


def main() -> None:
    path = pth_path()
    path.write_text(LINE, encoding="utf-8")
    print(f"wrote {path.name}: ignores {MESSAGE!r} (see docs/security.md)")


if __name__ == "__main__":
    main()
