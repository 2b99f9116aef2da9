"""Read a benchmark table: one measurement, the two targets as ratios, JSON, Markdown, a plot."""

from __future__ import annotations

import json
import platform
import time
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import psutil

from wine_serving.bench.plan import BIG_ROWS, FIELDS, FULL, PRIMARY_ENDPOINT, QUICK, RECOMMENDED, SERVERS
from wine_serving.errors import need
from wine_serving.workspace import Workspace, get_workspace

if TYPE_CHECKING:  # matplotlib is imported only when a report is drawn
    from matplotlib.figure import Figure


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
    mlserver = [c for c in table[table.endpoint == "v2-rest"].config.unique() if _kind_of(c) == "mlserver"]
    big_rest = min(pick(table, config, "v2-rest", 1, BIG_ROWS)["p50_ms"] for config in mlserver)
    floor = pick(table, "in-process", "pyfunc.predict", 1, BIG_ROWS)["p50_ms"]
    peers = best_against_best(table)
    by_kind = {kind: peers.loc[name] for kind, name in FAMILIES.items() if name in peers.index}
    versus = {f"best_{a}_vs_{b}_c32": round(float(by_kind[a].rps / by_kind[b].rps), 2)
              for a, b in (("mlserver", "mlflow"), ("mlserver", "kserve"), ("kserve", "mlflow"))
              if a in by_kind and b in by_kind}
    fractions = {f"{kind}_fraction_of_floor_c32": float(row.fraction_of_floor)
                 for kind, row in by_kind.items() if kind != "floor" and "fraction_of_floor" in row}
    return {
        **versus, **fractions,
        "throughput_c32_vs_mlflow": round(float(best.rps / baseline.rps), 2),
        "p99_c32_ms_recommended": float(best.p99_ms),
        "p99_c32_ms_mlflow": float(baseline.p99_ms),
        "big_request_rest_vs_pyfunc": round(float(big_rest / floor), 2),
        "big_request_rest_p50_ms": float(big_rest),
        "big_request_pyfunc_p50_ms": float(floor),
    }


FAMILIES = {"mlserver": "MLServer", "mlflow": "mlflow models serve", "kserve": "KServe",
            "floor": "floor (uvicorn + trivial ASGI)"}


def _kind_of(config: str) -> str:
    """``mlserver``, ``mlflow``, ``kserve``, ``floor`` or ``in-process`` for a table's config."""
    return next((spec.kind for spec in SERVERS if spec.config == config), "in-process")


def best_against_best(table: pd.DataFrame, concurrency: int = 32) -> pd.DataFrame:
    """Each kind of server at its fastest configuration in this run, single rows at ``concurrency``,
    on its own protocol; throughput beside p99, server CPU per request, the cores the server and
    its busiest process used, and the fraction of the floor."""
    rows = []
    for kind, endpoint in PRIMARY_ENDPOINT.items():
        part = table[(table.concurrency == concurrency) & (table.rows == 1) & (table.endpoint == endpoint)]
        part = part[part.config.map(_kind_of) == kind]
        if part.empty:
            continue
        best = part.loc[part.rps.idxmax()]
        wall = float(best.wall_s)
        rows.append({"server": FAMILIES[kind], "config": best.config, "endpoint": endpoint,
                     "rps": float(best.rps), "p99_ms": float(best.p99_ms),
                     "server_cpu_ms_per_request":
                         round(1000 * float(best.server_cpu_s) / int(best.requests), 3),
                     # Cores in use during the load: all server processes, then the busiest one alone;
                     # a process near 1.0 is saturated and limits the server whatever the others do.
                     "server_cores": round(float(best.server_cpu_s) / wall, 2),
                     "busiest_process_cores": round(float(best.busiest_process_cpu_s) / wall, 2),
                     "busiest_process": best.busiest_process})
    out = pd.DataFrame(rows).set_index("server")
    floor = FAMILIES["floor"]
    if floor in out.index:
        out["fraction_of_floor"] = (out.rps / out.loc[floor, "rps"]).round(3)
    return out


def batch_scoring(table: pd.DataFrame) -> pd.DataFrame:
    """Rows per second: one request of 1,000 or 10,000 rows at a time, beside single-row requests
    per second at concurrency 32, for each kind of server's fastest configuration."""
    rows = []
    for kind, endpoint in PRIMARY_ENDPOINT.items():
        if kind == "floor":
            continue
        mine = table[(table.config.map(_kind_of) == kind) & (table.endpoint == endpoint)]
        single = mine[(mine.rows == 1) & (mine.concurrency == 32)]
        row: dict[str, object] = {"server": FAMILIES[kind], "single-row requests/s (c=32)":
                                  float(single.rps.max()) if len(single) else None}
        for size in sorted(int(n) for n in mine[mine.rows > 1].rows.unique()):
            big = mine[mine.rows == size]
            row[f"rows/s, {size:,}-row requests"] = round(float((big.rps * size).max()))
        rows.append(row)
    pyfunc = table[table.config == "in-process"]
    row = {"server": "in-process pyfunc", "single-row requests/s (c=32)": None}
    for size in sorted(int(n) for n in pyfunc[pyfunc.rows > 1].rows.unique()):
        row[f"rows/s, {size:,}-row requests"] = round(float(pyfunc[pyfunc.rows == size].rps.iloc[0] * size))
    rows.append(row)
    return pd.DataFrame(rows).set_index("server")


# A configuration whose rounds spread wider than this (half the range, as a share of the median)
# is flagged: differences of that size between configurations are noise on this machine.
SPREAD_LIMIT_PCT = 20.0


def unsteady(table: pd.DataFrame) -> pd.DataFrame:
    """Loads measured in several rounds whose throughput spread is over ``SPREAD_LIMIT_PCT``."""
    return table[(table.rounds > 1) & (table.spread_pct > SPREAD_LIMIT_PCT)]


def markdown_table(table: pd.DataFrame) -> str:
    columns = list(FIELDS)
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for _, row in table.iterrows():
        lines.append("| " + " | ".join(str(row[c]) for c in columns) + " |")
    flagged = unsteady(table)
    if len(flagged):
        lines.append("")
        loads = [f"{r.config}/{r.endpoint}/c={r.concurrency}/rows={r.rows} ±{r.spread_pct:g} %"
                 for r in flagged.itertuples()]
        lines.append(f"Spread over ±{SPREAD_LIMIT_PCT:g} % between rounds (differences this size are "
                     f"noise): {', '.join(loads)}")
    return "\n".join(lines) + "\n"


def _save_small_png(fig: Figure, path: Path, dpi: int = 100, colors: int = 64) -> Path:
    """Save ``fig`` as a palette PNG: a few dozen colours are enough for line and bar charts and
    make the file about a third of Matplotlib's RGBA one, which keeps the notebook pages
    (figures are embedded in the HTML) within the site's page-weight budget."""
    from io import BytesIO

    image_module = need("PIL.Image")
    buffer = BytesIO()
    fig.savefig(buffer, dpi=dpi, format="png")
    buffer.seek(0)
    image = image_module.open(buffer).convert("RGB").quantize(colors=colors)
    image.save(path, format="PNG", optimize=True)
    return path


def plot(table: pd.DataFrame, path: Path) -> Path:
    """Throughput (median, with the range over the rounds) and p99 by concurrency for single-row
    requests, one line per server configuration.

    Labels are in Chinese (with a CJK font) and sized to stay readable when the page
    scales the figure down to a phone's width.
    """
    from wine_serving.plotting import use_cjk_font

    need("matplotlib").use("Agg", force=False)
    import matplotlib.pyplot as plt

    chinese = use_cjk_font() is not None
    single = table[(table.rows == 1) & (table.endpoint.isin(["v2-rest", "invocations"]))
                   & (~table.config.isin(["in-process", "floor"]))]  # the floor has its own figure
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 4.2))
    for (config, endpoint), part in single.groupby(["config", "endpoint"]):
        part = part.sort_values("concurrency")
        label = f"{config} ({endpoint})"
        # The bar is the range over the rounds (low to high), the dot their median.
        left.errorbar(part.concurrency, part.rps, yerr=[part.rps - part.rps_low, part.rps_high - part.rps],
                      marker="o", capsize=3, label=label)
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
    _save_small_png(fig, path, dpi=110)
    plt.close(fig)
    return path


def _plot_best(table: pd.DataFrame, path: Path) -> Path:
    """Each kind of server's best single-row throughput at concurrency 32, as a share of the floor."""
    from wine_serving.plotting import use_cjk_font

    need("matplotlib").use("Agg", force=False)
    import matplotlib.pyplot as plt

    chinese = use_cjk_font() is not None
    best = best_against_best(table).sort_values("rps")
    if chinese:
        best = best.rename(index={FAMILIES["floor"]: "地板（uvicorn＋空的 ASGI 程式）"})
    fig, axis = plt.subplots(figsize=(9, 0.8 + 0.7 * len(best)))
    colours = ["#9e9e9e" if "floor" in name or "地板" in name else "#3f6fb5" for name in best.index]
    bars = axis.barh(best.index, best.rps, color=colours)
    for bar, (_, row) in zip(bars, best.iterrows()):
        share = f"{row.fraction_of_floor:.0%}, " if "fraction_of_floor" in row else ""
        axis.text(bar.get_width(), bar.get_y() + bar.get_height() / 2,
                  f" {row.rps:,.0f}/s ({share}p99 {row.p99_ms:.0f} ms)", va="center", fontsize=11)
    axis.set_xlim(0, float(best.rps.max()) * 1.6)
    label = "每秒請求數，單列請求，並行度 32" if chinese else "requests/s, single rows, concurrency 32"
    axis.set_xlabel(label, fontsize=12)
    axis.tick_params(labelsize=11)
    axis.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    _save_small_png(fig, path, dpi=110)
    plt.close(fig)
    return path


def write_reports(table: pd.DataFrame, out_dir: Path, *, quick: bool) -> dict[str, Path]:
    """JSON (rows + ratios + machine), Markdown table and PNG plot under ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = "bench-quick" if quick else "bench"
    paths = {"json": out_dir / f"{stem}.json", "markdown": out_dir / f"{stem}.md",
             "plot": out_dir / f"{stem}.png", "best": out_dir / f"{stem}-best.png"}
    document = {
        "mode": "quick" if quick else "full",
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"cpus": psutil.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "plans": {"quick": asdict(QUICK), "full": asdict(FULL)},
        "ratios": ratios(table),
        "best_against_best_c32": json.loads(best_against_best(table).reset_index().to_json(orient="records")),
        "batch_scoring": json.loads(batch_scoring(table).reset_index().to_json(orient="records")),
        "rows": json.loads(table.to_json(orient="records")),
        "spread_limit_pct": SPREAD_LIMIT_PCT,
        "unsteady": json.loads(unsteady(table)[["config", "endpoint", "concurrency", "rows", "spread_pct"]]
                               .to_json(orient="records")),
    }
    paths["json"].write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    paths["markdown"].write_text(markdown_table(table), encoding="utf-8")
    plot(table, paths["plot"])
    _plot_best(table, paths["best"])
    return paths


def bench_dir(ws: Workspace | None = None) -> Path:
    return (ws or get_workspace()).root / "bench"
