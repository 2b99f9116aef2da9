"""What both load generators share: the bounds every load must have, and the latency percentile."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def check_bounds(total: int, concurrency: int, max_seconds: float) -> None:
    """A load without a positive count, concurrency and time limit is refused before it starts."""
    if total < 1 or concurrency < 1 or max_seconds <= 0:
        raise ValueError("total, concurrency and max_seconds must be positive.")


def percentile_ms(latencies: Sequence[float], q: float) -> float:
    """The ``q``-th percentile of latencies given in seconds, in milliseconds (NaN if none)."""
    return float(np.percentile(latencies, q) * 1000) if len(latencies) else float("nan")
