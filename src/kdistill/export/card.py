"""A model card (Markdown) for an exported student."""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["model_card"]


def _stat(summary: dict[str, Any], model: str, metric: str) -> str:
    stat = summary[model].get(metric)
    if stat is None:
        return "-"
    text = f"{stat['mean']:.4f}"
    if stat.get("ci95"):
        text += f" (95% interval {stat['ci95'][0]:.4f} to {stat['ci95'][1]:.4f})"
    return text


def model_card(results: dict[str, Any], onnx_file: Path) -> str:
    """The card's Markdown text, from a run's results file.

    Examples
    --------
    >>> import json, pathlib
    >>> results = {"task": "binary", "metric": "accuracy", "runs": [{}],
    ...            "config": {"data": {"name": "d", "n_train": 8, "n_test": 2},
    ...                       "distillation": {}},
    ...            "summary": {m: {"accuracy": {"mean": 0.9, "ci95": None}}
    ...                        for m in ("ensemble", "distilled", "baseline")}
    ...            | {"distilled_vs_baseline": {"verdict": "v"},
    ...               "parameters": {"student": 10, "ensemble": None}}}
    >>> "# Model card" in model_card(results, pathlib.Path("student.onnx"))
    True
    """
    metric = results["metric"]
    summary = results["summary"]
    data = results["config"]["data"]
    recipe = results["config"]["distillation"]
    teachers = list(recipe.get("teachers") or [f"mlp:{recipe.get('n_members')}"])
    teachers += results["config"].get("teacher_models", [])
    teachers += results["config"].get("teacher_outputs", [])
    lines = [
        f"# Model card: {onnx_file.name}",
        "",
        "A small MLP student distilled by kdistill from an ensemble of teachers, "
        "with its preprocessing, as one ONNX file.",
        "",
        "## Data and task",
        "",
        f"- Data: {data.get('name', 'unnamed')} ({data.get('path', 'in memory')}); "
        f"{data.get('n_train')} training rows, {data.get('n_test')} test rows.",
        f"- Task: {results['task']}; target {data.get('target')!r}.",
        f"- Inputs: numeric {data.get('numeric', [])}; categorical "
        f"{data.get('categorical', [])}; left out {list(data.get('dropped', {}))}.",
        "",
        "## Configuration",
        "",
        f"- Teachers: {teachers}, combined by mean of "
        f"{recipe.get('combine', 'logits')}.",
        f"- Student: hidden layers {recipe.get('student', {}).get('hidden')}, "
        f"{recipe.get('student', {}).get('epochs')} epochs; temperature "
        f"{recipe.get('temperature')}, alpha {recipe.get('alpha')}.",
        f"- Seeds: {len(results['runs'])}. The full configuration is in the run's "
        "config.json and results.json.",
        "",
        f"## Scores on the test rows ({metric}, mean over seeds)",
        "",
        f"- Ensemble: {_stat(summary, 'ensemble', metric)}",
        f"- Distilled student: {_stat(summary, 'distilled', metric)}",
        f"- Baseline (the same student on the labels alone): "
        f"{_stat(summary, 'baseline', metric)}",
        f"- {summary['distilled_vs_baseline']['verdict']}",
        "",
        "## Size and speed",
        "",
        f"- Student parameters: {summary['parameters']['student']:,}; ensemble: "
        f"{summary['parameters'].get('ensemble') or 'not counted (not all MLPs)'}.",
        f"- File size: {onnx_file.stat().st_size:,} bytes."
        if onnx_file.exists()
        else "",
    ]
    latency = results.get("latency")
    if latency:
        for key, label in (
            ("ensemble_pytorch", "ensemble (PyTorch)"),
            ("student_pytorch", "student (PyTorch)"),
            ("student_onnx", "student (ONNX Runtime)"),
        ):
            row = latency[key]
            lines.append(
                f"- {label}: one row p50 {row['p50_us']:.1f} µs, "
                f"p99 {row['p99_us']:.1f} µs; "
                f"{row['rows_per_second']:,.0f} rows/s on 10,000-row batches."
            )
    else:
        lines.append("- Latency: run `kdistill bench RUN_DIR` to measure it.")
    lines += [
        "",
        "## Intended use",
        "",
        "Scoring rows with the same columns as the training data, where the "
        "ensemble is too slow or too large. The student's answers were checked "
        "against the PyTorch pipeline on the test rows at export.",
        "",
        "## Limitations",
        "",
        "- Scores hold for rows like the training rows; the student has seen "
        "nothing else. Check it on recent data before relying on it.",
        "- Categorical levels never seen in training fall into the 'infrequent' "
        "level (or into none); missing categorical values are fed as empty "
        "strings or '(missing)'; missing numbers as NaN.",
        "- The student is smaller than its teachers and can be less accurate than "
        "the ensemble; the interval above says by how much.",
        "",
    ]
    return "\n".join(line for line in lines if line is not None)
