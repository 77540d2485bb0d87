"""The distillation experiment: teachers, students, scores, statistics.

:func:`run_experiment` runs the pipeline the command line and the Python API
share: split the rows, fit the preprocessing on the training rows, and for
each seed train the teacher ensemble, make its soft targets, train the
distilled student and the baseline side by side, and score all of them on
the test rows; then summarize over seeds.
"""

from __future__ import annotations

import logging
import math
import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import numpy as np
import pandas as pd
import torch
from sklearn.model_selection import train_test_split

from kdistill._seeding import Stream, seed_for
from kdistill.config import DistillationConfig, ExperimentConfig
from kdistill.data.preprocessing import build_preprocessor
from kdistill.data.schema import Schema, infer_schema, prepare_features
from kdistill.data.target import infer_task, target_values
from kdistill.evaluation.stats import summarize_runs
from kdistill.exceptions import InputError
from kdistill.losses import DistillationObjective, soft_targets
from kdistill.model import DistilledModel
from kdistill.stacked import StackedMLP
from kdistill.students import BASELINE, DISTILLED, train_student, train_student_pair
from kdistill.tasks import Classification, Regression, Task
from kdistill.teachers.adapters import Rows, Teacher
from kdistill.teachers.ensemble import (
    TeacherCache,
    TeacherEnsemble,
    combine,
    data_fingerprint,
    teacher_ensemble,
)
from kdistill.transfer import Layout, augment, layout_of

__all__ = [
    "Dataset",
    "Distillation",
    "ExperimentResult",
    "dataset_from_arrays",
    "dataset_from_frame",
    "distill",
    "run_experiment",
]

logger = logging.getLogger(__name__)

# Called with (phase, finished epochs, total epochs) while training; the phase
# reads like "seed 1/5 teachers".
ProgressHook = Callable[[str, int, int], None]


@dataclass
class Dataset:
    """Rows to distill on: raw features, the target, and how to read them.

    Build one with :func:`dataset_from_frame` or :func:`dataset_from_arrays`.
    ``test`` holds given test rows; without them the experiment splits.
    """

    features: pd.DataFrame
    y: pd.Series
    schema: Schema
    task: str
    raw: pd.DataFrame
    test: tuple[pd.DataFrame, pd.Series, pd.DataFrame] | None = None
    description: dict[str, Any] = field(default_factory=dict)


def dataset_from_frame(
    frame: pd.DataFrame,
    target: str,
    *,
    test: pd.DataFrame | None = None,
    categorical: tuple[str, ...] = (),
    numeric: tuple[str, ...] = (),
    drop: tuple[str, ...] = (),
    task: str = "auto",
    name: str | None = None,
) -> Dataset:
    """A :class:`Dataset` from a DataFrame holding the features and the target.

    The feature kinds are inferred (see :func:`kdistill.data.schema.infer_schema`)
    and the task from the target (see :func:`kdistill.data.target.infer_task`).

    Examples
    --------
    >>> frame = pd.DataFrame({"x": range(10), "y": ["a", "b"] * 5})
    >>> dataset_from_frame(frame, "y", numeric=("x",)).task
    'binary'
    """
    # Rows are told apart by position from here on (saved outputs too).
    frame = frame.reset_index(drop=True)
    schema = infer_schema(
        frame, target, categorical=categorical, numeric=numeric, drop=drop
    )
    y, known = target_values(frame, target)
    task_name = infer_task(y, task)  # type: ignore[arg-type]
    whole = pd.api.types.is_float_dtype(y) and np.all(y.to_numpy() == np.round(y))
    if task_name != "regression" and whole:
        # Whole-number labels are read as floats when the column has gaps.
        y = y.astype(np.int64)
    features = prepare_features(frame.loc[known], schema)
    raw = frame.loc[known].drop(columns=target)
    test_rows = None
    if test is not None:
        if target not in test.columns:
            raise InputError(f"the test data has no target column {target!r}")
        test_y, test_known = target_values(test, target)
        test_raw = test.loc[test_known].drop(columns=target)
        test_rows = (prepare_features(test.loc[test_known], schema), test_y, test_raw)
    description = {
        "name": name,
        "target": target,
        "n_rows": len(y),
        "numeric": schema.numeric,
        "categorical": schema.categorical,
        "dropped": schema.dropped,
    }
    return Dataset(features, y, schema, task_name, raw, test_rows, description)


def dataset_from_arrays(
    X: Any, y: Any, *, name: str | None = None, task: str = "auto"
) -> Dataset:
    """A :class:`Dataset` from a numeric feature array and a target array.

    Examples
    --------
    >>> X = np.arange(20.0).reshape(10, 2)
    >>> dataset_from_arrays(X, [0, 1] * 5).schema.numeric
    ['x0', 'x1']
    """
    X = np.asarray(X)
    if X.ndim != 2:
        raise InputError(
            f"X must be a 2-D array of rows and features; got shape {X.shape}"
        )
    y = np.asarray(y)
    if len(y) != len(X):
        raise InputError(
            f"X has {len(X)} rows but y has {len(y)} values; give one label per row"
        )
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    frame["__target__"] = y
    dataset = dataset_from_frame(
        frame, "__target__", numeric=tuple(frame.columns[:-1]), task=task, name=name
    )
    dataset.description["target"] = None
    return dataset


@dataclass
class Distillation:
    """What one seed of distillation produced.

    Attributes
    ----------
    ensemble : TeacherEnsemble
        Every member's outputs on the training and test rows; ``ensemble.mlp``
        holds the stacked MLP members when they were trained in this run.
    students : StackedMLP
        The distilled student (member ``DISTILLED``) and the baseline
        (member ``BASELINE``).
    student_history : numpy.ndarray
        Training loss of both students on the last minibatch of each epoch.
    seconds : dict
        Wall time of teacher and student training.
    """

    ensemble: TeacherEnsemble
    students: StackedMLP
    student_history: np.ndarray
    seconds: dict[str, float]

    def model(self, schema: Schema, preprocessor: Any, task: Task) -> DistilledModel:
        """The shippable model: preprocessing, task, the two students, MLP teachers."""
        return DistilledModel(
            schema,
            preprocessor,
            task,
            self.students.member(DISTILLED),
            self.students.member(BASELINE),
            self.ensemble.mlp,
            self.ensemble.names,
        )

    def ensemble_outputs(
        self, rows: str, task: Task, config: DistillationConfig
    ) -> torch.Tensor:
        """The ensemble's combined outputs on the ``"train"`` or ``"test"`` rows."""
        combined = self.ensemble.combined(
            rows,
            rule=config.combine,
            weights=config.weights,
            regression=task.name == "regression",
        )
        return torch.as_tensor(combined, dtype=torch.float32)


def distill(
    train: Rows,
    y: torch.Tensor,
    *,
    task: Task,
    config: DistillationConfig,
    seed: int,
    test: Rows | None = None,
    teachers: Sequence[Teacher] = (),
    teacher_keys: Sequence[str] = (),
    cache: TeacherCache | None = None,
    layout: Layout | None = None,
    fingerprint: str | None = None,
    progress: ProgressHook | None = None,
) -> Distillation:
    """Train (or gather) the teachers, then the distilled student and the baseline.

    Parameters
    ----------
    train : Rows
        The training rows, raw and preprocessed.
    y : Tensor
        Their encoded targets: class indices, or standardized values.
    task : Classification or Regression
        What is learned.
    config : DistillationConfig
        The recipe.
    seed : int
        The run seed every random stream derives from.
    test : Rows, optional
        Rows to give the teachers' outputs on as well (for scoring).
    teachers, teacher_keys : sequence
        Ready teachers to add to the ensemble, and their cache keys.
    cache : TeacherCache, optional
        Where teacher outputs are looked up and kept.
    layout : Layout, optional
        Which preprocessed columns make up each attribute; needed for a
        transfer set (``config.augment``).
    fingerprint : str, optional
        :func:`data_fingerprint` of the rows, when the caller has it already
        (hashing a large matrix once per seed is wasted time).
    progress : callable, optional
        Called with ``(phase, finished epochs, total epochs)``.
    """

    def hook(phase: str, total: int) -> Callable[[int], None] | None:
        if progress is None:
            return None
        return lambda done: progress(phase, done, total)

    clock = time.perf_counter()
    ensemble = teacher_ensemble(
        task=task,
        config=config,
        train=train,
        test=test if test is not None else train,
        y_train=y,
        seed=seed,
        prefitted=teachers,
        prefitted_keys=teacher_keys or [t.name for t in teachers],
        cache=cache,
        fingerprint=fingerprint
        or data_fingerprint(train.matrix, y.numpy(), *([test.matrix] if test else [])),
        on_epoch=hook("teachers", config.teacher.epochs),
    )
    teacher_seconds = time.perf_counter() - clock

    clock = time.perf_counter()
    result = Distillation(ensemble, None, None, {})  # type: ignore[arg-type]
    targets = result.ensemble_outputs("train", task, config)
    X = torch.as_tensor(train.matrix, dtype=torch.float32)
    if config.augment != "none":
        if layout is None:
            raise ValueError("a transfer set needs the layout of the preprocessed rows")
        result.students, result.student_history = _distill_with_transfer_set(
            X, y, targets, result.ensemble, task, config, layout, seed, hook
        )
    else:
        alphas = torch.zeros(2)
        alphas[DISTILLED] = config.alpha
        result.students, result.student_history = train_student_pair(
            X,
            task.student_objective(y, targets, alphas, config.temperature),
            n_outputs=task.n_outputs,
            config=config.student,
            batch_size=config.batch_size,
            seed=seed,
            on_epoch=hook("students", config.student.epochs),
        )
    result.seconds = {
        "teachers": teacher_seconds,
        "students": time.perf_counter() - clock,
    }
    return result


def _distill_with_transfer_set(
    X: torch.Tensor,
    y: torch.Tensor,
    targets: torch.Tensor,
    ensemble: TeacherEnsemble,
    task: Task,
    config: DistillationConfig,
    layout: Layout,
    seed: int,
    hook: Callable[[str, int], Callable[[int], None] | None],
) -> tuple[StackedMLP, np.ndarray]:
    """The distilled student on training plus synthetic rows; the baseline alone.

    The synthetic rows are labelled by the ensemble only; the hard-label term
    applies to real rows. The baseline, which has labels for the real rows
    only, gets as many optimizer steps as the distilled student.
    """
    if task.name == "regression":
        raise InputError(
            "transfer-set augmentation is for classification; use --augment none"
        )
    if config.alpha == 0:
        raise InputError(
            "--augment needs --alpha above 0: synthetic rows carry soft targets only"
        )
    if ensemble.mlp is None or ensemble.mlp.n_members != len(ensemble.names):
        raise InputError(
            "transfer-set augmentation needs an ensemble of MLP teachers only, "
            "which can label new rows; drop --augment or the other teachers"
        )
    synthetic = augment(
        X.numpy(),
        layout,
        method=config.augment,  # type: ignore[arg-type]
        size=config.augment_size,
        seed=seed_for(seed, Stream.AUGMENT),
    )
    members = ensemble.mlp.predict(torch.as_tensor(synthetic)).double().numpy()
    on_synthetic = combine(list(members), rule=config.combine, weights=config.weights)
    all_targets = torch.cat(
        [targets, torch.as_tensor(on_synthetic, dtype=torch.float32)]
    )
    n_real, n_new = len(X), len(synthetic)
    labelled = torch.cat(
        [torch.ones(n_real, dtype=torch.bool), torch.zeros(n_new, dtype=torch.bool)]
    )
    objective = DistillationObjective(
        torch.cat([y, torch.zeros(n_new, dtype=y.dtype)]),
        torch.tensor([config.alpha]),
        soft_targets(all_targets, config.temperature),
        config.temperature,
        labelled=labelled,
    )
    epochs = config.student.epochs
    distilled, distilled_history = train_student(
        torch.cat([X, torch.as_tensor(synthetic)]),
        objective,
        n_outputs=task.n_outputs,
        config=config.student,
        batch_size=config.batch_size,
        seed=seed,
        on_epoch=hook("students", epochs),
    )
    steps = epochs * math.ceil((n_real + n_new) / config.batch_size)
    baseline_epochs = math.ceil(steps / math.ceil(n_real / config.batch_size))
    baseline, baseline_history = train_student(
        X,
        task.teacher_objective(y, 1),
        n_outputs=task.n_outputs,
        config=config.student,
        batch_size=config.batch_size,
        seed=seed,
        epochs=baseline_epochs,
        max_steps=steps,  # exactly the distilled student's number of steps
    )
    students = StackedMLP.from_members([distilled.member(0), baseline.member(0)])
    history = np.concatenate(
        [distilled_history, baseline_history[: len(distilled_history)]], axis=1
    )
    return students.eval(), history


def _score_seed(
    task: Task,
    config: DistillationConfig,
    result: Distillation,
    X_test: torch.Tensor,
    y_test: np.ndarray,
) -> tuple[dict[str, Any], tuple[np.ndarray, np.ndarray]]:
    """Scores of one seed on the test rows, and per-row results for the paired test."""
    with torch.no_grad():
        students = result.students(X_test)  # (2, n_test, outputs)
    ensemble = result.ensemble_outputs("test", task, config)
    members = []
    for name, outputs in zip(result.ensemble.names, result.ensemble.test, strict=True):
        members.append({"name": name, **task.score(y_test, torch.as_tensor(outputs))})
    scores = {
        "ensemble": task.score(y_test, ensemble),
        "members": members,
        "distilled": task.score(y_test, students[DISTILLED], ensemble),
        "baseline": task.score(y_test, students[BASELINE], ensemble),
    }
    paired = (
        task.correct(y_test, students[DISTILLED]),
        task.correct(y_test, students[BASELINE]),
    )
    return scores, paired


def environment() -> dict[str, Any]:
    """Versions of Python and the libraries a run used, and the machine's threads."""
    versions: dict[str, Any] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    packages = (
        "kdistill",
        "torch",
        "numpy",
        "scipy",
        "scikit-learn",
        "pandas",
        "pydantic",
    )
    for package in packages:
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


@dataclass
class Split:
    """The training and test rows of an experiment, prepared and raw."""

    train: pd.DataFrame
    y_train: pd.Series
    raw_train: pd.DataFrame
    test: pd.DataFrame
    y_test: pd.Series
    raw_test: pd.DataFrame


def split_rows(dataset: Dataset, config: ExperimentConfig) -> Split:
    """The training and test rows: given test rows, or a (stratified) split."""
    if dataset.test is not None:
        return Split(dataset.features, dataset.y, dataset.raw, *dataset.test)
    classification = dataset.task != "regression"
    stratify = dataset.y.astype(str) if classification and config.stratify else None
    try:
        train, test = train_test_split(
            dataset.features.index,
            test_size=config.test_size,
            random_state=config.split_seed,
            stratify=stratify,
        )
    except ValueError as error:
        raise InputError(
            f"the rows cannot be split into training and test: {error}"
        ) from None
    features, y, raw = dataset.features, dataset.y, dataset.raw
    return Split(
        features.loc[train],
        y.loc[train],
        raw.loc[train],
        features.loc[test],
        y.loc[test],
        raw.loc[test],
    )


def _task_for(dataset: Dataset, y_train: pd.Series) -> Task:
    if dataset.task == "regression":
        return Regression.fit(pd.to_numeric(y_train).to_numpy(dtype=np.float64))
    labels = [
        v.item() if isinstance(v, np.generic) else v for v in pd.unique(dataset.y)
    ]
    return Classification(np.array(sorted(labels)))


def _parameter_counts(result: Distillation) -> dict[str, Any]:
    """Parameters of the MLP teachers and the student; None where unknown.

    Members of other kinds (trees, given models) have no parameter count
    that compares with a network's, so compression is given for MLP members
    only.
    """
    student = result.students.n_parameters_per_member
    net = result.ensemble.mlp
    if net is None or net.n_members != len(result.ensemble.names):
        return {
            "member": None,
            "ensemble": None,
            "student": student,
            "compression": None,
        }
    member = net.n_parameters_per_member
    ensemble = member * net.n_members
    return {
        "member": member,
        "ensemble": ensemble,
        "student": student,
        "compression": ensemble / student,
    }


def _run_record(
    task: Task, seed: int, scores: dict[str, Any], seconds: dict[str, float]
) -> dict[str, Any]:
    metric = task.metric
    run: dict[str, Any] = {"seed": seed, **scores}
    run["gain"] = scores["distilled"][metric] - scores["baseline"][metric]
    run["edge"] = scores["ensemble"][metric] - scores["baseline"][metric]
    run["gap"] = scores["ensemble"][metric] - scores["distilled"][metric]
    run["recovered"] = run["gain"] / run["edge"] if run["edge"] else None
    run["seconds"] = seconds
    return run


@dataclass
class ExperimentResult:
    """The results file's content, and the model of the first seed to ship."""

    results: dict[str, Any]
    model: DistilledModel
    test_rows: pd.DataFrame | None = None


def run_experiment(
    dataset: Dataset,
    config: ExperimentConfig,
    *,
    teachers: Sequence[Callable[[Task], tuple[Teacher, str]]] = (),
    cache: TeacherCache | None = None,
    progress: ProgressHook | None = None,
    on_run: Callable[[dict[str, Any]], None] | None = None,
) -> ExperimentResult:
    """Run the distillation experiment over ``config.seeds`` seeds.

    Parameters
    ----------
    dataset : Dataset
        The rows, from :func:`dataset_from_frame` or :func:`dataset_from_arrays`.
    config : ExperimentConfig
        The recipe, the seeds and the split.
    teachers : sequence of callable, optional
        Ready teachers to add to the ensemble: each callable takes the task
        (which knows the classes) and returns the teacher and its cache key.
    cache : TeacherCache, optional
        Where teacher outputs are looked up and kept.
    progress : callable, optional
        Called with ``(phase, finished epochs, total epochs)`` while training.
    on_run : callable, optional
        Called with each seed's results as soon as it is done.

    Returns
    -------
    ExperimentResult
        The results, with the keys of the public results file, and the
        first seed's model (preprocessing, student, baseline, teachers).
        Shipping the first seed's student, not the best one on the test rows,
        keeps the test scores honest.
    """
    started = time.perf_counter()
    split = split_rows(dataset, config)
    task = _task_for(dataset, split.y_train)
    preprocessor = build_preprocessor(
        dataset.schema, min_frequency=config.min_frequency
    )
    train = Rows(
        split.raw_train,
        preprocessor.fit_transform(split.train),
        split.train.index.to_numpy(),
    )
    test = Rows(
        split.raw_test, preprocessor.transform(split.test), split.test.index.to_numpy()
    )
    test_inputs = torch.as_tensor(test.matrix, dtype=torch.float32)
    layout = layout_of(preprocessor, train.matrix.shape[1])
    y_train = task.target_tensor(task.encode(split.y_train))
    fingerprint = data_fingerprint(train.matrix, y_train.numpy(), test.matrix)
    y_test = _encode_test(task, split.y_test)
    prepared = [factory(task) for factory in teachers]

    runs: list[dict[str, Any]] = []
    paired: list[tuple[np.ndarray, np.ndarray]] = []
    seeds = config.seed_list()
    model: DistilledModel | None = None
    for number, seed in enumerate(seeds, start=1):
        clock = time.perf_counter()
        result = distill(
            train,
            y_train,
            task=task,
            config=config.distillation,
            seed=seed,
            test=test,
            teachers=[teacher for teacher, _ in prepared],
            teacher_keys=[key for _, key in prepared],
            cache=cache,
            layout=layout,
            fingerprint=fingerprint,
            progress=_labelled(progress, f"seed {number}/{len(seeds)}"),
        )
        scores, rows = _score_seed(
            task, config.distillation, result, test_inputs, y_test
        )
        seconds = {**result.seconds, "total": time.perf_counter() - clock}
        runs.append(_run_record(task, seed, scores, seconds))
        runs[-1]["teacher_cache"] = result.ensemble.cache
        paired.append(rows)
        logger.info("seed %d done in %.1f s", seed, seconds["total"])
        if on_run is not None:
            on_run(runs[-1])
        if model is None:
            model = result.model(dataset.schema, preprocessor, task)
    assert model is not None

    both = (np.stack([d for d, _ in paired]), np.stack([b for _, b in paired]))
    kind = "errors" if task.name == "regression" else "correct"
    summary = summarize_runs(runs, both, metric=task.metric, paired=kind)
    summary["parameters"] = _parameter_counts(result)
    summary["seconds"] = {
        "teachers": float(np.mean([run["seconds"]["teachers"] for run in runs])),
        "students": float(np.mean([run["seconds"]["students"] for run in runs])),
        "total": time.perf_counter() - started,
    }
    description = {
        **dataset.description,
        "n_train": len(split.train),
        "n_test": len(split.test),
        "n_inputs": int(train.matrix.shape[1]),
        "test_rows": "given" if dataset.test is not None else "split",
    }
    if isinstance(task, Classification):
        description["classes"] = task.labels()
    else:
        description["target_mean"], description["target_std"] = task.mean, task.std
    if description.get("name") is None:
        del description["name"]
    results = {
        "kdistill_version": _version(),
        "task": task.name,
        "metric": task.metric,
        "config": {**config.model_dump(mode="json"), "data": description},
        "environment": environment(),
        "runs": runs,
        "summary": summary,
    }
    return ExperimentResult(results, model, split.raw_test)


def _encode_test(task: Task, y_test: pd.Series) -> np.ndarray:
    if isinstance(task, Classification):
        unknown = sorted(set(y_test.tolist()) - set(task.classes.tolist()), key=str)
        if unknown:
            raise InputError(
                f"the test rows have class(es) {unknown} that no training row has; "
                "each class needs training rows"
            )
        return task.encode(y_test)
    values = pd.to_numeric(y_test, errors="coerce")
    if values.isna().any():
        raise InputError("the test rows' target has values that are not numbers")
    return task.encode(values.to_numpy(dtype=np.float64))


def _version() -> str:
    from kdistill import __version__

    return __version__
