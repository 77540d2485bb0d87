"""The experiment pipeline on small data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kdistill.config import DistillationConfig, ExperimentConfig, MLPConfig
from kdistill.exceptions import InputError
from kdistill.experiment import dataset_from_arrays, dataset_from_frame, run_experiment

SMALL = DistillationConfig(
    n_members=3,
    teacher=MLPConfig(hidden=(32, 16), dropout=0.1, epochs=5),
    student=MLPConfig(hidden=(8,), epochs=5),
)


def test_multiclass_run_scores_every_model(small_data) -> None:
    X, y = small_data
    labels = np.array(["cat", "dog", "eel"])[y]
    dataset = dataset_from_arrays(X, labels)
    result = run_experiment(dataset, ExperimentConfig(distillation=SMALL, seeds=2))
    results = result.results
    assert results["task"] == "multiclass"
    assert results["config"]["data"]["classes"] == ["cat", "dog", "eel"]
    run = results["runs"][0]
    assert len(run["members"]) == 3
    for name in ("ensemble", "distilled", "baseline"):
        assert 0 <= run[name]["accuracy"] <= 1
        assert run[name]["log_loss"] > 0
        assert 0 <= run[name]["ece"] <= 1
    assert 0 <= run["distilled"]["agreement"] <= 1
    gain = run["distilled"]["accuracy"] - run["baseline"]["accuracy"]
    assert run["gain"] == pytest.approx(gain)
    assert results["summary"]["parameters"]["student"] == 8 * 8 + 8 + 8 * 3 + 3
    assert set(
        result.model.predict(pd.DataFrame(X[:5], columns=[f"x{i}" for i in range(8)]))[
            "prediction"
        ]
    ) <= {"cat", "dog", "eel"}


def test_stratified_split_keeps_class_shares(small_data) -> None:
    X, y = small_data
    config = ExperimentConfig(distillation=SMALL, test_size=0.25)
    results = run_experiment(dataset_from_arrays(X, y), config).results
    assert results["config"]["data"]["n_test"] == 100
    assert results["config"]["stratify"] is True


def test_single_class_is_refused(small_data) -> None:
    X, _ = small_data
    with pytest.raises(InputError, match="single class"):
        dataset_from_arrays(X, np.zeros(len(X), dtype=int))


def test_teachers_beat_chance_and_students_learn(small_data) -> None:
    X, y = small_data
    config = DistillationConfig(
        n_members=4,
        teacher=MLPConfig(hidden=(64, 32), epochs=40),
        student=MLPConfig(hidden=(16,), epochs=40),
    )
    results = run_experiment(
        dataset_from_arrays(X, y), ExperimentConfig(distillation=config)
    ).results
    run = results["runs"][0]
    assert run["ensemble"]["accuracy"] > 0.7
    assert run["distilled"]["accuracy"] > 0.6
    assert run["baseline"]["accuracy"] > 0.6


def test_regression_reports_r2_rmse_mae() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4))
    y = X @ np.array([1.0, -2.0, 0.5, 0.0]) + 0.1 * rng.normal(size=300) + 50
    config = DistillationConfig(
        n_members=3,
        teacher=MLPConfig(hidden=(32,), epochs=100),
        student=MLPConfig(hidden=(8,), epochs=100),
    )
    result = run_experiment(
        dataset_from_arrays(X, y), ExperimentConfig(distillation=config, seeds=3)
    )
    results = result.results
    assert results["task"] == "regression"
    assert results["metric"] == "r2"
    for name in ("ensemble", "distilled", "baseline"):
        assert set(results["summary"][name]) >= {"r2", "rmse", "mae"}
        assert results["runs"][0][name]["r2"] > 0.8
    assert "wilcoxon" in results["summary"]["distilled_vs_baseline"]
    predictions = result.model.predict(
        pd.DataFrame(X[:3], columns=["x0", "x1", "x2", "x3"])
    )
    assert predictions["prediction"].to_numpy() == pytest.approx(y[:3], abs=1.5)


def test_frames_with_categorical_and_missing_values() -> None:
    rng = np.random.default_rng(1)
    n = 300
    frame = pd.DataFrame(
        {
            "amount": rng.normal(size=n),
            "city": rng.choice(["paris", "lyon", "nice", None], size=n),
            "flag": rng.choice([True, False], size=n),
        }
    )
    frame.loc[::7, "amount"] = np.nan
    frame["status"] = np.where(
        (frame["amount"].fillna(0) > 0) ^ (frame["city"] == "lyon"), "good", "bad"
    )
    dataset = dataset_from_frame(frame, "status")
    assert dataset.schema.categorical == ["city", "flag"]
    result = run_experiment(
        dataset, ExperimentConfig(distillation=SMALL, min_frequency=2)
    )
    new = pd.DataFrame(
        {"amount": [0.5, np.nan], "city": ["unseen", None], "flag": [True, False]}
    )
    predictions = result.model.predict(new)
    assert list(predictions.columns) == [
        "prediction",
        "probability_bad",
        "probability_good",
    ]
    assert predictions[["probability_bad", "probability_good"]].sum(
        axis=1
    ).to_numpy() == pytest.approx(1.0)
