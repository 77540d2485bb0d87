"""`kdistill sweep`: the search reads no test row."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from sklearn.datasets import make_classification

from kdistill.cli import cli

FAST = ["--members", "2", "--teacher-epochs", "2", "--student-epochs", "2", "-q"]


def _invoke(*args: str | Path):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> tuple[Path, Path, Path]:
    folder = tmp_path_factory.mktemp("sweep")
    X, y = make_classification(n_samples=500, n_features=6, random_state=3)
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(6)])
    frame["label"] = np.where(y == 1, "yes", "no")
    frame.iloc[:400].to_csv(folder / "train.csv", index=False)
    test = frame.iloc[400:].copy()
    test.to_csv(folder / "test.csv", index=False)
    test["label"] = np.random.default_rng(0).permutation(test["label"].to_numpy())
    test.to_csv(folder / "shuffled.csv", index=False)
    return folder / "train.csv", folder / "test.csv", folder / "shuffled.csv"


def _chosen(train: Path, test: Path, out: Path) -> dict:
    result = _invoke(
        "sweep",
        "--data",
        train,
        "--target",
        "label",
        "--test",
        test,
        "--trials",
        "4",
        "--json",
        out,
        "--trials-table",
        out.with_suffix(".csv"),
        *FAST,
    )
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text())


def test_altering_test_labels_leaves_the_chosen_recipe_unchanged(
    files, tmp_path: Path
) -> None:
    train, test, shuffled = files
    first = _chosen(train, test, tmp_path / "a.json")
    second = _chosen(train, shuffled, tmp_path / "b.json")
    assert first["sweep"]["best_params"] == second["sweep"]["best_params"]
    assert (
        first["sweep"]["best_validation_accuracy"]
        == second["sweep"]["best_validation_accuracy"]
    )
    # ... while the test scores do change, so the test rows were read afterwards.
    assert first["summary"]["ensemble"] != second["summary"]["ensemble"]
    trials = pd.read_csv(tmp_path / "a.csv")
    assert len(trials) == 4
    assert {"value", "params_temperature", "params_alpha", "params_augment"} <= set(
        trials
    )
    assert "published" in first and "summary" in first["published"]


def test_sweep_help_documents_every_option() -> None:
    result = _invoke("sweep", "--help")
    assert result.exit_code == 0
    for option in (
        "--trials",
        "--minutes",
        "--student-seeds",
        "--validation-size",
        "--trials-table",
        "--seeds",
        "--json",
        "--temperature",
        "--augment",
    ):
        assert option in result.output


def test_bad_sweep_options() -> None:
    result = _invoke("sweep", "--trials", "0")
    assert result.exit_code == 2
    assert "--trials must be at least 1; got 0." in result.output


def test_run_searches_when_asked(files, tmp_path: Path) -> None:
    train, test, _ = files
    result = _invoke(
        "run",
        "--data",
        train,
        "--target",
        "label",
        "--test",
        test,
        "--sweep-trials",
        "3",
        "--out",
        tmp_path / "run",
        "--json",
        tmp_path / "r.json",
        *FAST,
    )
    assert result.exit_code == 0, result.output
    results = json.loads((tmp_path / "r.json").read_text())
    assert results["sweep"]["trials"] == 3
    chosen = results["sweep"]["best_params"]
    assert results["config"]["distillation"]["alpha"] == pytest.approx(chosen["alpha"])
    assert (tmp_path / "run" / "student.safetensors").is_file()
