"""The distillation experiment: teachers, students, scores, statistics.

One function, :func:`run_experiment`, runs the pipeline the command line and
the Python API share: split the rows, fit the preprocessing on the training
rows, and for each seed train the teacher ensemble, make its soft targets,
train the distilled student and the baseline side by side, and score all of
them on the test rows; then summarize over seeds.
"""

from __future__ import annotations

import logging
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from typing import Any

import numpy as np
import torch
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelEncoder, StandardScaler
from sklearn.utils import check_X_y

from kdistill.config import DistillationConfig, ExperimentConfig
from kdistill.evaluation.metrics import classification_scores
from kdistill.evaluation.stats import summarize_runs
from kdistill.exceptions import InputError
from kdistill.losses import ensemble_logits, soft_targets
from kdistill.stacked import StackedMLP
from kdistill.students import BASELINE, DISTILLED, train_student_pair
from kdistill.teachers import train_mlp_ensemble

__all__ = ["Distillation", "distill", "run_experiment"]

logger = logging.getLogger(__name__)

# Called with (phase, finished epochs, total epochs) while training; the phase
# reads like "seed 1/5 teachers".
ProgressHook = Callable[[str, int, int], None]


@dataclass
class Distillation:
    """What one seed of distillation produced.

    Attributes
    ----------
    teachers : StackedMLP
        The teacher ensemble: one stacked network of ``k`` members.
    students : StackedMLP
        The distilled student (member ``DISTILLED``) and the baseline
        (member ``BASELINE``).
    teacher_history, student_history : numpy.ndarray
        Training loss of each member on the last minibatch of each epoch.
    seconds : dict
        Wall time of teacher and student training.
    """

    teachers: StackedMLP
    students: StackedMLP
    teacher_history: np.ndarray
    student_history: np.ndarray
    seconds: dict[str, float]


def distill(
    X: torch.Tensor,
    y: torch.Tensor,
    *,
    n_classes: int,
    config: DistillationConfig,
    seed: int,
    progress: ProgressHook | None = None,
) -> Distillation:
    """Train the teachers, then the distilled student and the baseline.

    ``X`` holds preprocessed training rows, ``(n, d)`` float32, and ``y`` their
    class indices.
    """
    teacher_epochs, student_epochs = config.teacher.epochs, config.student.epochs

    def hook(phase: str, total: int) -> Callable[[int], None] | None:
        if progress is None:
            return None
        return lambda done: progress(phase, done, total)

    clock = time.perf_counter()
    teachers, teacher_history = train_mlp_ensemble(
        X,
        y,
        n_classes=n_classes,
        n_members=config.n_members,
        config=config.teacher,
        batch_size=config.batch_size,
        seed=seed,
        on_epoch=hook("teachers", teacher_epochs),
    )
    teacher_seconds = time.perf_counter() - clock

    clock = time.perf_counter()
    with torch.no_grad():
        targets = soft_targets(ensemble_logits(teachers(X)), config.temperature)
    students, student_history = train_student_pair(
        X,
        y,
        targets,
        config=config.student,
        temperature=config.temperature,
        alpha=config.alpha,
        batch_size=config.batch_size,
        seed=seed,
        on_epoch=hook("students", student_epochs),
    )
    student_seconds = time.perf_counter() - clock
    return Distillation(
        teachers,
        students,
        teacher_history,
        student_history,
        {"teachers": teacher_seconds, "students": student_seconds},
    )


def _probabilities(logits: torch.Tensor) -> np.ndarray:
    return torch.softmax(logits.double(), dim=-1).numpy()


def _score_run(
    result: Distillation, X_test: torch.Tensor, y_test: np.ndarray
) -> tuple[dict[str, Any], tuple[np.ndarray, np.ndarray]]:
    """Scores of one seed on the test rows, and which rows each student got right."""
    with torch.no_grad():
        member_logits = result.teachers(X_test)  # (k, n_test, classes)
        student_logits = result.students(X_test)  # (2, n_test, classes)
    ensemble = _probabilities(ensemble_logits(member_logits))
    distilled = _probabilities(student_logits[DISTILLED])
    baseline = _probabilities(student_logits[BASELINE])
    scores = {
        "ensemble": classification_scores(y_test, ensemble),
        "members": [
            classification_scores(y_test, _probabilities(logits))
            for logits in member_logits
        ],
        "distilled": classification_scores(y_test, distilled, reference=ensemble),
        "baseline": classification_scores(y_test, baseline, reference=ensemble),
    }
    correct = (distilled.argmax(axis=1) == y_test, baseline.argmax(axis=1) == y_test)
    return scores, correct


def environment() -> dict[str, Any]:
    """Versions of Python and the libraries a run used, and the machine's threads."""
    versions: dict[str, Any] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    for package in ("kdistill", "torch", "numpy", "scipy", "scikit-learn", "pydantic"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    versions["torch_threads"] = torch.get_num_threads()
    return versions


def _labelled(progress: ProgressHook | None, label: str) -> ProgressHook | None:
    if progress is None:
        return None
    hook = progress
    return lambda phase, done, total: hook(f"{label} {phase}", done, total)


def _checked(X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    """``X`` as a finite float array and ``y`` as an array of as many labels."""
    try:
        X, y = check_X_y(X, y, dtype=np.float64, ensure_all_finite=False)
    except ValueError as error:
        raise InputError(f"the features or labels are not usable: {error}") from None
    bad = ~np.isfinite(X)
    if bad.any():
        rows, columns = np.nonzero(bad)
        raise InputError(
            f"X has {int(bad.sum())} missing or infinite values (first at row "
            f"{rows[0]}, column {columns[0]}); impute or drop them first"
        )
    return X, y


def run_experiment(
    X: np.ndarray,
    y: np.ndarray,
    config: ExperimentConfig,
    *,
    data: dict[str, Any] | None = None,
    stratify: bool = True,
    progress: ProgressHook | None = None,
    on_run: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Run the distillation experiment over ``config.seeds`` seeds.

    Parameters
    ----------
    X : numpy.ndarray of shape (n, d)
        Numeric features.
    y : numpy.ndarray of shape (n,)
        Class labels of any type.
    config : ExperimentConfig
        The recipe, the seeds and the split.
    data : dict, optional
        A description of the data, recorded in the results.
    stratify : bool, default=True
        Keep the class proportions in the train/test split.
    progress : callable, optional
        Called with ``(phase, finished epochs, total epochs)`` while training.
    on_run : callable, optional
        Called with each seed's results as soon as it is done.

    Returns
    -------
    dict
        The results, with the keys of the public results file.
    """
    started = time.perf_counter()
    X, y = _checked(X, y)
    encoder = LabelEncoder().fit(y)
    classes = encoder.classes_
    if len(classes) < 2:
        raise InputError(
            f"the target has a single class ({classes[0].item()!r}); "
            "distillation needs two or more classes"
        )
    X_train, X_test, y_train, y_test = train_test_split(
        X,
        encoder.transform(y),
        test_size=config.test_size,
        random_state=config.split_seed,
        stratify=encoder.transform(y) if stratify else None,
    )
    scaler = StandardScaler().fit(X_train)
    train_rows = torch.as_tensor(scaler.transform(X_train), dtype=torch.float32)
    test_rows = torch.as_tensor(scaler.transform(X_test), dtype=torch.float32)
    train_labels = torch.as_tensor(y_train, dtype=torch.long)

    runs: list[dict[str, Any]] = []
    correct: list[tuple[np.ndarray, np.ndarray]] = []
    parameters: dict[str, Any] = {}
    seeds = config.seed_list()
    for number, seed in enumerate(seeds, start=1):
        clock = time.perf_counter()
        result = distill(
            train_rows,
            train_labels,
            n_classes=len(classes),
            config=config.distillation,
            seed=seed,
            progress=_labelled(progress, f"seed {number}/{len(seeds)}"),
        )
        scores, right = _score_run(result, test_rows, y_test)
        run = {"seed": seed, **scores}
        run["gain"] = run["distilled"]["accuracy"] - run["baseline"]["accuracy"]
        run["edge"] = run["ensemble"]["accuracy"] - run["baseline"]["accuracy"]
        run["gap"] = run["ensemble"]["accuracy"] - run["distilled"]["accuracy"]
        run["recovered"] = run["gain"] / run["edge"] if run["edge"] else None
        run["seconds"] = {**result.seconds, "total": time.perf_counter() - clock}
        runs.append(run)
        correct.append(right)
        logger.info("seed %d done in %.1f s", seed, run["seconds"]["total"])
        if on_run is not None:
            on_run(run)
        member = result.teachers.n_parameters_per_member
        student = result.students.n_parameters_per_member
        parameters = {
            "member": member,
            "ensemble": member * result.teachers.n_members,
            "student": student,
            "compression": member * result.teachers.n_members / student,
        }

    both = (np.stack([d for d, _ in correct]), np.stack([b for _, b in correct]))
    summary = summarize_runs(runs, both, metric="accuracy")
    summary["parameters"] = parameters
    summary["seconds"] = {
        "teachers": float(np.mean([run["seconds"]["teachers"] for run in runs])),
        "students": float(np.mean([run["seconds"]["students"] for run in runs])),
        "total": time.perf_counter() - started,
    }
    description = {
        **(data or {}),
        "n_rows": len(y),
        "n_features": int(X.shape[1]),
        "n_train": len(y_train),
        "n_test": len(y_test),
        "classes": classes.tolist(),
        "stratified": stratify,
    }
    return {
        "kdistill_version": _version(),
        "task": "binary" if len(classes) == 2 else "multiclass",
        "metric": "accuracy",
        "config": {**config.model_dump(mode="json"), "data": description},
        "environment": environment(),
        "runs": runs,
        "summary": summary,
    }


def _version() -> str:
    from kdistill import __version__

    return __version__
