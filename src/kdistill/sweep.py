"""Searching for the distillation recipe that suits a data set.

The search never sees the test rows. A validation split is carved from the
training rows; the teachers are trained on the rest (once per student seed,
then taken from the teacher cache), and every candidate recipe is scored by
the distilled student's validation score, averaged over student seeds.
Optuna's TPE sampler proposes the candidates: temperature, alpha, the
transfer-set augmentation and its size, and the students' training length
(the baseline always gets as many optimizer steps as the distilled student).

The chosen recipe is then trained on all training rows and scored on the
test rows over several seeds, beside the published recipe (the defaults).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from sklearn.model_selection import train_test_split

from kdistill.config import ExperimentConfig
from kdistill.exceptions import InputError
from kdistill.experiment import Dataset, ExperimentResult, run_experiment, split_rows
from kdistill.teachers.ensemble import TeacherCache

__all__ = ["SweepResult", "search_space", "sweep"]


def search_space(trial: Any, base: ExperimentConfig) -> ExperimentConfig:
    """The recipe a trial proposes, on top of ``base``."""
    distillation = base.distillation
    # Only MLP teachers can label synthetic rows.
    mlp_only = all(
        spec.split(":")[0].strip() == "mlp" for spec in distillation.teachers
    )
    methods = ["none", "munge", "noise", "mixup"] if mlp_only else ["none"]
    augment = trial.suggest_categorical("augment", methods)
    size = (
        trial.suggest_categorical("augment_size", [0.5, 1.0, 2.0])
        if augment != "none"
        else 1.0
    )
    length = trial.suggest_categorical("student_epochs_factor", [1, 2, 4])
    student = distillation.student.model_copy(
        update={"epochs": distillation.student.epochs * length}
    )
    recipe = distillation.model_copy(
        update={
            "temperature": trial.suggest_float("temperature", 1.0, 8.0, log=True),
            "alpha": trial.suggest_float("alpha", 0.0, 1.0),
            "augment": augment,
            "augment_size": size,
            "student": student,
        }
    )
    return base.model_copy(update={"distillation": recipe})


def _validation_dataset(
    dataset: Dataset, config: ExperimentConfig, size: float
) -> Dataset:
    """The training rows only, with a validation split standing in for test rows."""
    # The training rows are those the experiment will train on: the same split.
    split = split_rows(dataset, config)
    features, y, raw = split.train, split.y_train, split.raw_train
    classification = dataset.task != "regression"
    try:
        fit, validation = train_test_split(
            features.index,
            test_size=size,
            random_state=config.split_seed + 1,
            stratify=y.astype(str) if classification else None,
        )
    except ValueError as error:
        raise InputError(
            f"the training rows cannot give a validation split: {error}"
        ) from None
    return Dataset(
        features.loc[fit],
        y.loc[fit],
        dataset.schema,
        dataset.task,
        raw.loc[fit],
        (features.loc[validation], y.loc[validation], raw.loc[validation]),
        dict(dataset.description),
    )


@dataclass
class SweepResult:
    """The trials, the chosen recipe, and both recipes scored on the test rows."""

    trials: pd.DataFrame
    chosen: ExperimentConfig
    chosen_result: ExperimentResult | None
    published_result: ExperimentResult | None
    search: dict[str, Any]


def sweep(
    dataset: Dataset,
    config: ExperimentConfig,
    *,
    n_trials: int = 20,
    minutes: float | None = None,
    student_seeds: int = 1,
    validation_size: float = 0.2,
    seed: int = 0,
    evaluate: bool = True,
    on_trial: Callable[[int, float], None] | None = None,
) -> SweepResult:
    """Search for a recipe on validation rows, then test it and the published one.

    ``config`` is the published recipe and the final evaluation's settings
    (its seeds). Every trial trains the students on ``student_seeds`` seeds.
    With ``evaluate=False`` the search stops at the chosen recipe, for a
    caller that runs it itself (``kdistill run --sweep-trials``).
    """
    import optuna

    if dataset.task == "regression":
        raise InputError("kdistill sweep searches classification recipes only")
    search_data = _validation_dataset(dataset, config, validation_size)
    metric = "accuracy"
    cache = TeacherCache(Path(tempfile.mkdtemp(prefix="kdistill-sweep-")) / "cache")
    search_base = config.model_copy(update={"seeds": student_seeds})

    def objective(trial: Any) -> float:
        candidate = search_space(trial, search_base)
        result = run_experiment(search_data, candidate, cache=cache)
        summary = result.results["summary"]
        trial.set_user_attr("baseline", summary["baseline"][metric]["mean"])
        trial.set_user_attr("ensemble", summary["ensemble"][metric]["mean"])
        score = float(summary["distilled"][metric]["mean"])
        if on_trial is not None:
            on_trial(trial.number + 1, score)
        return score

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed)
    )
    started = time.perf_counter()
    study.optimize(
        objective, n_trials=n_trials, timeout=None if minutes is None else 60 * minutes
    )
    trials = study.trials_dataframe(
        attrs=("number", "value", "params", "user_attrs", "duration")
    )
    trials["duration"] = trials["duration"].dt.total_seconds()
    chosen = search_space(optuna.trial.FixedTrial(study.best_params), config)

    search = {
        "trials": len(study.trials),
        "best_validation_accuracy": study.best_value,
        "best_params": study.best_params,
        "validation_rows": len(search_data.test[0]) if search_data.test else 0,
        "seconds": time.perf_counter() - started,
    }
    if not evaluate:
        return SweepResult(trials, chosen, None, None, search)
    final_cache = TeacherCache(
        Path(tempfile.mkdtemp(prefix="kdistill-sweep-")) / "cache"
    )
    chosen_result = run_experiment(dataset, chosen, cache=final_cache)
    published_result = run_experiment(dataset, config, cache=final_cache)
    chosen_result.results["sweep"] = search
    return SweepResult(trials, chosen, chosen_result, published_result, search)
