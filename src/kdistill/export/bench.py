"""``kdistill bench``: latency, throughput and size of a run's models."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from kdistill.evaluation.latency import measure
from kdistill.exceptions import InputError
from kdistill.model import DistilledModel

__all__ = ["bench_run", "plot_latency"]

BATCH_ROWS = 10_000


def bench_run(folder: Path, *, n_calls: int = 2000) -> dict[str, Any]:
    """Latency and size figures of the ensemble, the student and its ONNX file."""
    import onnxruntime

    from kdistill.export.onnx import export_onnx, onnx_feed

    model = DistilledModel.load(folder)
    test_file = folder / "test_rows.parquet"
    if not test_file.is_file():
        raise InputError(f"{folder} keeps no test rows (test_rows.parquet) to time on")
    if (
        model.teachers is None
        or len(model.teacher_names or []) > model.teachers.n_members
    ):
        raise InputError(
            f"{folder} keeps only part of its teacher ensemble (its MLP members), "
            "so the ensemble cannot be timed"
        )
    rows = pd.read_parquet(test_file)
    many = rows.sample(BATCH_ROWS, replace=True, random_state=0).reset_index(drop=True)
    one, inputs = rows.iloc[:1], model.inputs(many)
    single_input = inputs[:1]

    members = [model.teachers.member(i) for i in range(model.teachers.n_members)]

    def ensemble(x: torch.Tensor) -> torch.Tensor:
        return torch.stack([m(x) for m in members]).mean(dim=0)

    onnx_path = folder / "student.onnx"
    if not onnx_path.is_file():
        onnx_path = Path(tempfile.mkdtemp()) / "student.onnx"
        export_onnx(model, onnx_path)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    session = onnxruntime.InferenceSession(
        str(onnx_path), options, providers=["CPUExecutionProvider"]
    )

    # The networks get preprocessed rows; the ONNX file gets the raw values
    # (its preprocessing runs inside the graph), fed as ready arrays, as a
    # service would hold them. Building a pandas frame per row would cost
    # milliseconds and measure pandas, not the models.
    feed_one, feed_many = onnx_feed(one, model.schema), onnx_feed(many, model.schema)
    figures: dict[str, Any] = measure(
        {
            "ensemble_pytorch": lambda: ensemble(single_input),
            "student_pytorch": lambda: model.student(single_input),
            "student_onnx": lambda: session.run(None, feed_one),
        },
        {
            "ensemble_pytorch": lambda: ensemble(inputs),
            "student_pytorch": lambda: model.student(inputs),
            "student_onnx": lambda: session.run(None, feed_many),
        },
        batch_rows=BATCH_ROWS,
        n_calls=n_calls,
    )
    figures["ensemble_pytorch"]["bytes"] = (
        (folder / "teachers.safetensors").stat().st_size
    )
    figures["student_pytorch"]["bytes"] = (
        (folder / "student.safetensors").stat().st_size
    )
    figures["student_onnx"]["bytes"] = onnx_path.stat().st_size
    ratio = figures["ensemble_pytorch"]["p50_us"] / figures["student_onnx"]["p50_us"]
    figures["speedup_p50_onnx_vs_ensemble"] = ratio
    figures["threads"] = {"torch": torch.get_num_threads(), "onnxruntime": 1}
    return figures


def plot_latency(figures: dict[str, Any], results: dict[str, Any], path: Path) -> None:
    """Accuracy (or the headline score) against single-row p50 latency, log scale."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metric = results["metric"]
    summary = results["summary"]
    points = [
        (
            "ensemble (PyTorch)",
            figures["ensemble_pytorch"]["p50_us"],
            summary["ensemble"][metric]["mean"],
        ),
        (
            "student (PyTorch)",
            figures["student_pytorch"]["p50_us"],
            summary["distilled"][metric]["mean"],
        ),
        (
            "student (ONNX Runtime)",
            figures["student_onnx"]["p50_us"],
            summary["distilled"][metric]["mean"],
        ),
    ]
    from matplotlib.ticker import NullFormatter

    figure, axes = plt.subplots(figsize=(7, 4.5), dpi=120)
    for (label, latency, score), offset in zip(points, (10, 10, -16), strict=True):
        axes.scatter([latency], [score], s=60)
        axes.annotate(
            label, (latency, score), textcoords="offset points", xytext=(8, offset)
        )
    axes.set_xscale("log")
    axes.xaxis.set_minor_formatter(NullFormatter())
    latencies = [p[1] for p in points]
    axes.set_xlim(min(latencies) / 2, max(latencies) * 4)
    scores = [p[2] for p in points]
    spread = max(scores) - min(scores) or 0.01
    axes.set_ylim(min(scores) - spread, max(scores) + spread)
    axes.set_xlabel("single-row latency, p50 (microseconds, log scale)")
    axes.set_ylabel(f"test {metric} (mean over seeds)")
    axes.set_title("kdistill: score against latency")
    axes.grid(True, which="both", alpha=0.3)
    figure.tight_layout()
    from kdistill._io import atomic_path

    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png")
    plt.close(figure)
