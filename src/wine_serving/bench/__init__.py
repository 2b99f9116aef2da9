"""The benchmark: MLServer configurations against ``mlflow models serve`` and in-process pyfunc.

``plan`` (what is measured), ``measure`` (running it), ``report`` (reading it) and
``__main__`` (``python -m wine_serving.bench``, ``--quick`` for the short plan that
notebook 13 and the tests run). Nothing in the core path imports it.
"""

from wine_serving.bench.measure import run
from wine_serving.bench.plan import (
    BATCH_ROWS,
    BIG_ROWS,
    FIELDS,
    FULL,
    QUICK,
    RECOMMENDED,
    SERVERS,
    Plan,
    ServerSpec,
)
from wine_serving.bench.report import (
    FAMILIES,
    SPREAD_LIMIT_PCT,
    batch_scoring,
    bench_dir,
    best_against_best,
    markdown_table,
    pick,
    plot,
    plot_best,
    ratios,
    unsteady,
    write_reports,
)

__all__ = ["BATCH_ROWS", "BIG_ROWS", "FAMILIES", "FIELDS", "FULL", "QUICK", "RECOMMENDED", "SERVERS",
           "SPREAD_LIMIT_PCT", "Plan", "ServerSpec", "batch_scoring", "bench_dir", "best_against_best",
           "markdown_table", "pick", "plot", "plot_best", "ratios", "run", "unsteady", "write_reports"]
