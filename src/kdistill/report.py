"""Human-readable views of a results file."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

__all__ = ["results_view"]


def _score(stat: dict[str, Any] | None, *, percent: bool) -> str:
    """``mean ± half-width`` of a summarized score."""
    if stat is None:
        return "-"
    factor = 100.0 if percent else 1.0
    text = f"{factor * stat['mean']:.2f}" if percent else f"{stat['mean']:.4f}"
    if stat.get("ci95"):
        low, high = stat["ci95"]
        half = factor * (high - low) / 2
        text += f" ± {half:.2f}" if percent else f" ± {half:.4f}"
    return text


# (score key, column header, shown in percent) per task: classification, regression.
_COLUMNS = {
    False: [
        ("accuracy", "accuracy %", True),
        ("log_loss", "log-loss", False),
        ("ece", "ECE", False),
        ("agreement", "agreement %", True),
    ],
    True: [
        ("r2", "R²", False),
        ("rmse", "RMSE", False),
        ("mae", "MAE", False),
        ("rmse_to_ensemble", "RMSE to ensemble", False),
    ],
}


def results_view(results: dict[str, Any]) -> Group:
    """A table of the summary of ``results``, and the verdict under it.

    Scores are means over seeds with the half-width of their 95% interval.
    """
    summary = results["summary"]
    metric = results["metric"]
    n_seeds = len(results["runs"])
    table = Table(
        title=f"kdistill: {results['config']['data'].get('name', 'data')}, "
        f"{n_seeds} seed{'s' if n_seeds != 1 else ''}",
        title_justify="left",
    )
    table.add_column("model")
    columns = _COLUMNS[results["task"] == "regression"]
    for _, header, _ in columns:
        table.add_column(header, justify="right")
    table.add_column("parameters", justify="right")
    parameters = summary["parameters"]
    rows = [
        ("ensemble", "ensemble", parameters["ensemble"]),
        ("one member", "members", parameters["member"]),
        ("distilled", "distilled", parameters["student"]),
        ("baseline", "baseline", parameters["student"]),
    ]
    for label, key, n_params in rows:
        scores = summary[key]
        cells = [
            _score(scores.get(name), percent=percent) for name, _, percent in columns
        ]
        table.add_row(label, *cells, "-" if n_params is None else f"{n_params:,}")

    comparison = summary["distilled_vs_baseline"]
    recovered = summary["recovered"]
    percent = results["task"] != "regression"
    unit = " points" if percent else f" of {metric}"
    lines = [f"gain over baseline: {_score(comparison['gain'], percent=percent)}{unit}"]
    if recovered["mean"] is not None:
        share = f"{100 * recovered['mean']:.0f}%"
        if recovered.get("ci95"):
            low, high = recovered["ci95"]
            share += f" (95% interval {100 * low:.0f}% to {100 * high:.0f}%)"
        lines.append(f"share of the ensemble's edge recovered: {share}")
    if recovered.get("warning"):
        lines.append(f"note: {recovered['warning']}")
    if parameters["compression"] is not None:
        lines.append(
            f"compression: {parameters['compression']:.1f}x "
            f"({parameters['ensemble']:,} -> {parameters['student']:,} parameters)"
        )
    else:
        lines.append(f"student: {parameters['student']:,} parameters")
    seconds = summary["seconds"]
    lines.append(
        f"time: {seconds['total']:.1f} s (per seed: teachers "
        f"{seconds['teachers']:.1f} s, students {seconds['students']:.1f} s)"
    )
    lines.append(comparison["verdict"])
    return Group(table, Text("\n".join(lines)))


def latency_view(figures: dict[str, Any]) -> Table:
    """A table of ``kdistill bench`` figures."""
    table = Table(
        title="latency (one row) and throughput (10,000-row batches)",
        title_justify="left",
    )
    headers = ("model", "p50 µs", "p99 µs", "rows/s", "size on disk")
    for header in headers:
        table.add_column(header, justify="left" if header == "model" else "right")
    for key, label in (
        ("ensemble_pytorch", "ensemble (PyTorch)"),
        ("student_pytorch", "student (PyTorch)"),
        ("student_onnx", "student (ONNX Runtime)"),
    ):
        row = figures[key]
        table.add_row(
            label,
            f"{row['p50_us']:.1f}",
            f"{row['p99_us']:.1f}",
            f"{row['rows_per_second']:,.0f}",
            f"{row['bytes'] / 1024:,.1f} KiB",
        )
    table.caption = (
        "student in ONNX Runtime answers "
        f"{figures['speedup_p50_onnx_vs_ensemble']:.0f}x faster than the ensemble (p50)"
    )
    return table


def sweep_view(results: dict[str, Any]) -> Group:
    """The chosen recipe beside the published one, scored on the test rows."""
    table = Table(title="recipes on the test rows", title_justify="left")
    for header in (
        "recipe",
        "ensemble %",
        "distilled %",
        "baseline %",
        "gain (points)",
        "recovered",
    ):
        table.add_column(header, justify="left" if header == "recipe" else "right")
    for label, summary in (
        ("chosen", results["summary"]),
        ("published", results["published"]["summary"]),
    ):
        share = summary["recovered"]
        recovered = "-" if share["mean"] is None else f"{100 * share['mean']:.0f}%"
        if share.get("ci95"):
            recovered += (
                f" [{100 * share['ci95'][0]:.0f}, {100 * share['ci95'][1]:.0f}]"
            )
        table.add_row(
            label,
            _score(summary["ensemble"]["accuracy"], percent=True),
            _score(summary["distilled"]["accuracy"], percent=True),
            _score(summary["baseline"]["accuracy"], percent=True),
            _score(summary["distilled_vs_baseline"]["gain"], percent=True),
            recovered,
        )
    search = results.get("sweep", {})
    lines = [
        f"chosen on {search.get('validation_rows')} validation rows after "
        f"{search.get('trials')} trials: {search.get('best_params')}",
        f"chosen: {results['summary']['distilled_vs_baseline']['verdict']}",
        "published: "
        + results["published"]["summary"]["distilled_vs_baseline"]["verdict"],
    ]
    return Group(table, Text("\n".join(lines)))
