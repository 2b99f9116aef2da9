"""Print the versions that matter for this tutorial: paste the output into a bug report.

``make versions`` runs it in the project's venv; the canary runs it in its own.
"""

from __future__ import annotations

import platform
import sys
from importlib.metadata import PackageNotFoundError, version

PACKAGES = ("mlflow", "mlserver", "mlserver-mlflow", "uvloop", "pandas", "numpy", "scikit-learn",
            "skops", "fastapi", "starlette", "pydantic", "grpcio", "protobuf")


def main() -> int:
    print(f"{'python':16s} {platform.python_version()} ({sys.executable})")
    print(f"{'platform':16s} {platform.platform()}")
    for name in PACKAGES:
        try:
            found = version(name)
        except PackageNotFoundError:
            found = "(not installed)"
        print(f"{name:16s} {found}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
