"""The experiment pipeline on small data."""

from __future__ import annotations

import numpy as np
import pytest

from kdistill.config import DistillationConfig, ExperimentConfig, MLPConfig
from kdistill.exceptions import InputError
from kdistill.experiment import run_experiment

SMALL = DistillationConfig(
    n_members=3,
    teacher=MLPConfig(hidden=(32, 16), dropout=0.1, epochs=5),
    student=MLPConfig(hidden=(8,), epochs=5),
)


def test_multiclass_run_scores_every_model(small_data) -> None:
    X, y = small_data
    labels = np.array(["cat", "dog", "eel"])[y]
    results = run_experiment(X, labels, ExperimentConfig(distillation=SMALL, seeds=2))
    assert results["task"] == "multiclass"
    assert results["config"]["data"]["classes"] == ["cat", "dog", "eel"]
    run = results["runs"][0]
    assert len(run["members"]) == 3
    for name in ("ensemble", "distilled", "baseline"):
        assert 0 <= run[name]["accuracy"] <= 1
        assert run[name]["log_loss"] > 0
        assert 0 <= run[name]["ece"] <= 1
    assert 0 <= run["distilled"]["agreement"] <= 1
    assert run["gain"] == pytest.approx(
        run["distilled"]["accuracy"] - run["baseline"]["accuracy"]
    )
    assert results["summary"]["parameters"]["student"] == 8 * 8 + 8 + 8 * 3 + 3


def test_stratified_split_keeps_class_shares(small_data) -> None:
    X, y = small_data
    results = run_experiment(X, y, ExperimentConfig(distillation=SMALL, test_size=0.25))
    assert results["config"]["data"]["n_test"] == 100
    assert results["config"]["data"]["stratified"] is True


def test_single_class_is_refused(small_data) -> None:
    X, _ = small_data
    with pytest.raises(InputError, match="single class"):
        run_experiment(X, np.zeros(len(X)), ExperimentConfig(distillation=SMALL))


def test_teachers_beat_chance_and_students_learn(small_data) -> None:
    X, y = small_data
    config = DistillationConfig(
        n_members=4,
        teacher=MLPConfig(hidden=(64, 32), epochs=40),
        student=MLPConfig(hidden=(16,), epochs=40),
    )
    results = run_experiment(X, y, ExperimentConfig(distillation=config))
    run = results["runs"][0]
    assert run["ensemble"]["accuracy"] > 0.7
    assert run["distilled"]["accuracy"] > 0.6
    assert run["baseline"]["accuracy"] > 0.6


def test_missing_values_are_refused_with_their_place(small_data) -> None:
    X, y = small_data
    X = X.copy()
    X[3, 2] = np.nan
    with pytest.raises(
        InputError, match=r"1 missing or infinite values \(first at row 3, column 2\)"
    ):
        run_experiment(X, y, ExperimentConfig(distillation=SMALL))
