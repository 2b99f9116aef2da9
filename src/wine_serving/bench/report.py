"""Read a benchmark table (10): one measurement, the two targets as ratios, JSON, Markdown, a plot."""

from __future__ import annotations

import json
import platform
import time
from dataclasses import asdict
from pathlib import Path

import pandas as pd
import psutil

from wine_serving.bench.plan import BIG_ROWS, FIELDS, FULL, QUICK, RECOMMENDED
from wine_serving.errors import need
from wine_serving.workspace import Workspace, get_workspace


def pick(table: pd.DataFrame, config: str, endpoint: str, concurrency: int = 1, rows: int = 1) -> pd.Series:
    found = table[(table.config == config) & (table.endpoint == endpoint)
                  & (table.concurrency == concurrency) & (table.rows == rows)]
    if found.empty:
        raise KeyError(f"no measurement for {config}/{endpoint}/c={concurrency}/rows={rows}")
    return found.iloc[0]


def ratios(table: pd.DataFrame) -> dict[str, float]:
    """The two targets, as ratios measured in the same run."""
    best = pick(table, RECOMMENDED, "v2-rest", 32)
    baseline = pick(table, "mlflow", "invocations", 32)
    big_rest = min(pick(table, config, "v2-rest", 1, BIG_ROWS)["p50_ms"]
                   for config in table[table.endpoint == "v2-rest"].config.unique())
    floor = pick(table, "in-process", "pyfunc.predict", 1, BIG_ROWS)["p50_ms"]
    return {
        "throughput_c32_vs_mlflow": round(float(best.rps / baseline.rps), 2),
        "p99_c32_ms_recommended": float(best.p99_ms),
        "p99_c32_ms_mlflow": float(baseline.p99_ms),
        "big_request_rest_vs_pyfunc": round(float(big_rest / floor), 2),
        "big_request_rest_p50_ms": float(big_rest),
        "big_request_pyfunc_p50_ms": float(floor),
    }


def markdown_table(table: pd.DataFrame) -> str:
    columns = list(FIELDS)
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for _, row in table.iterrows():
        lines.append("| " + " | ".join(str(row[c]) for c in columns) + " |")
    return "\n".join(lines) + "\n"


def plot(table: pd.DataFrame, path: Path) -> Path:
    """Throughput and p99 by concurrency for single-row requests, one line per server configuration.

    Labels are in Chinese (with a CJK font) and sized to stay readable when the page
    scales the figure down to a phone's width.
    """
    from wine_serving.plotting import use_cjk_font

    need("matplotlib").use("Agg", force=False)
    import matplotlib.pyplot as plt

    chinese = use_cjk_font() is not None
    single = table[(table.rows == 1) & (table.endpoint.isin(["v2-rest", "invocations"]))
                   & (table.config != "in-process")]
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 4.2))
    for (config, endpoint), part in single.groupby(["config", "endpoint"]):
        part = part.sort_values("concurrency")
        label = f"{config} ({endpoint})"
        left.plot(part.concurrency, part.rps, marker="o", label=label)
        right.plot(part.concurrency, part.p99_ms, marker="o", label=label)
    titles = (("每秒請求數", "p99 延遲（毫秒）", "並行度") if chinese
              else ("requests/s", "p99 latency (ms)", "concurrency"))
    for axis, title in ((left, titles[0]), (right, titles[1])):
        axis.set_xscale("log", base=2)
        axis.set_xlabel(titles[2], fontsize=12)
        axis.set_title(title, fontsize=13)
        axis.tick_params(labelsize=11)
        axis.grid(alpha=0.3)
    left.legend(fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_reports(table: pd.DataFrame, out_dir: Path, *, quick: bool) -> dict[str, Path]:
    """JSON (rows + ratios + machine), Markdown table and PNG plot under ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = "bench-quick" if quick else "bench"
    paths = {"json": out_dir / f"{stem}.json", "markdown": out_dir / f"{stem}.md",
             "plot": out_dir / f"{stem}.png"}
    document = {
        "mode": "quick" if quick else "full",
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"cpus": psutil.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "plans": {"quick": asdict(QUICK), "full": asdict(FULL)},
        "ratios": ratios(table),
        "rows": json.loads(table.to_json(orient="records")),
    }
    paths["json"].write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    paths["markdown"].write_text(markdown_table(table), encoding="utf-8")
    plot(table, paths["plot"])
    return paths


def bench_dir(ws: Workspace | None = None) -> Path:
    return (ws or get_workspace()).root / "bench"
