"""``python -m wine_serving.bench [--quick]`` (``make bench``): measure, then write the reports."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from wine_serving.bench.measure import run
from wine_serving.bench.report import bench_dir, markdown_table, ratios, write_reports


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m wine_serving.bench",
        description="MLServer configurations against mlflow models serve, KServe, a uvicorn floor and "
                    "in-process pyfunc.")
    parser.add_argument("--quick", action="store_true", help="the short version (under 60 s)")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: <workspace>/bench)")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    table = run(quick=args.quick)
    paths = write_reports(table, args.out or bench_dir(), quick=args.quick)
    print(markdown_table(table))
    print(json.dumps(ratios(table), indent=2))
    for kind, path in paths.items():
        print(f"{kind}: {path}")
    print(f"took {time.perf_counter() - began:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
