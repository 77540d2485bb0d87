"""Latency and throughput of the ensemble, the student, and the exported file.

Single-row latency is measured call by call (after warm-up) and reported as
its 50th and 99th percentiles; throughput as rows per second on batches of
10,000 rows. All figures of one report come from one process, one after the
other, so that they share the machine's state: compare them as ratios.

The PyTorch figures start from preprocessed rows, and the ensemble runs as
``k`` separate networks whose logits are averaged, as an ensemble is usually
served; the ONNX figure starts from the raw columns, its preprocessing
included, which can only make it look slower.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

__all__ = ["measure"]


def _timings(call: Callable[[], Any], *, n_calls: int, warmup: int = 50) -> np.ndarray:
    for _ in range(warmup):
        call()
    times = np.empty(n_calls)
    for i in range(n_calls):
        start = time.perf_counter()
        call()
        times[i] = time.perf_counter() - start
    return times


def measure(
    single: dict[str, Callable[[], Any]],
    batch: dict[str, Callable[[], Any]],
    *,
    batch_rows: int,
    n_calls: int = 2000,
    n_batches: int = 5,
) -> dict[str, dict[str, float]]:
    """p50 and p99 single-row latency (microseconds) and batch throughput (rows/s).

    Examples
    --------
    >>> calls = {"sum": lambda: sum(range(10))}
    >>> figures = measure(calls, {}, batch_rows=1, n_calls=100)
    >>> figures["sum"]["p50_us"] > 0
    True
    """
    with torch.inference_mode():
        figures: dict[str, dict[str, float]] = {}
        for name, call in single.items():
            times = _timings(call, n_calls=n_calls)
            figures[name] = {
                "p50_us": float(np.percentile(times, 50) * 1e6),
                "p99_us": float(np.percentile(times, 99) * 1e6),
            }
        for name, call in batch.items():
            times = _timings(call, n_calls=n_batches, warmup=1)
            figures.setdefault(name, {})["rows_per_second"] = float(
                batch_rows / np.median(times)
            )
    return figures
