"""scikit-learn estimators that train an ensemble and distill it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import ExitStack
from typing import Any

import numpy as np
import pandas as pd
import torch
from pydantic import ValidationError
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import NotFittedError as _SklearnNotFittedError
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from kdistill.config import DistillationConfig, input_error
from kdistill.data.preprocessing import build_preprocessor
from kdistill.data.schema import infer_schema, prepare_features
from kdistill.exceptions import InputError, NotFittedError
from kdistill.experiment import distill
from kdistill.progress import progress_bars
from kdistill.tasks import Classification, Regression, Task
from kdistill.teachers.adapters import EstimatorTeacher, Rows, Teacher, TorchTeacher

__all__ = ["DistilledClassifier", "DistilledRegressor"]

# Constructor parameter of each configuration field, for error messages.
_PARAMETERS: dict[tuple[int | str, ...], str] = {
    ("n_members",): "n_members",
    ("temperature",): "temperature",
    ("alpha",): "alpha",
    ("batch_size",): "batch_size",
    ("teachers",): "teachers",
    ("combine",): "combine",
    ("teacher", "hidden"): "teacher_hidden",
    ("teacher", "dropout"): "teacher_dropout",
    ("teacher", "epochs"): "teacher_epochs",
    ("teacher", "learning_rate"): "learning_rate",
    ("student", "hidden"): "student_hidden",
    ("student", "epochs"): "student_epochs",
    ("student", "learning_rate"): "learning_rate",
    ("student", "weight_decay"): "student_weight_decay",
}


class _DistilledEstimator(BaseEstimator):
    """What the distilled classifier and regressor share."""

    def __init__(
        self,
        n_members: int = 12,
        *,
        teacher_hidden: Sequence[int] = (256, 128, 64),
        teacher_dropout: float | Sequence[float] | None = None,
        teacher_epochs: int = 30,
        student_hidden: Sequence[int] = (64, 32),
        student_epochs: int = 50,
        temperature: float = 3.0,
        alpha: float = 0.7,
        batch_size: int = 64,
        learning_rate: float = 1e-3,
        student_weight_decay: float = 1e-4,
        min_frequency: int = 10,
        teachers: Sequence[Any] | None = None,
        combine: str = "logits",
        random_state: int | None = 0,
        verbose: bool = False,
    ) -> None:
        self.n_members = n_members
        self.teacher_hidden = teacher_hidden
        self.teacher_dropout = teacher_dropout
        self.teacher_epochs = teacher_epochs
        self.student_hidden = student_hidden
        self.student_epochs = student_epochs
        self.temperature = temperature
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.student_weight_decay = student_weight_decay
        self.min_frequency = min_frequency
        self.teachers = teachers
        self.combine = combine
        self.random_state = random_state
        self.verbose = verbose

    def _config(self) -> DistillationConfig:
        """The estimator's parameters, validated."""
        dropout = self.teacher_dropout
        if dropout is None:
            n_hidden = len(self.teacher_hidden)
            dropout = (0.3,) * (n_hidden - 1) + (0.0,) if n_hidden else 0.0
        values: dict[str, Any] = {
            "n_members": self.n_members,
            "temperature": self.temperature,
            "alpha": self.alpha,
            "batch_size": self.batch_size,
            "teachers": tuple(t for t in self.teachers or () if isinstance(t, str)),
            "combine": self.combine,
            "teacher": {
                "hidden": tuple(self.teacher_hidden),
                "dropout": dropout
                if isinstance(dropout, float | int)
                else tuple(dropout),
                "epochs": self.teacher_epochs,
                "learning_rate": self.learning_rate,
            },
            "student": {
                "hidden": tuple(self.student_hidden),
                "epochs": self.student_epochs,
                "learning_rate": self.learning_rate,
                "weight_decay": self.student_weight_decay,
            },
        }
        try:
            config = DistillationConfig.model_validate(values)
        except ValidationError as error:
            name = type(self).__name__

            def describe(loc: tuple[int | str, ...]) -> str:
                parameter = _PARAMETERS.get(tuple(loc[:2]), str(loc[0]))
                return f"The {parameter!r} parameter of {name}"

            raise input_error(error, DistillationConfig, describe) from None
        return config

    def _seed(self) -> int:
        """The run seed: ``random_state``, or a fresh one for None."""
        if self.random_state is None:
            return int(np.random.default_rng().integers(2**31))
        if isinstance(self.random_state, bool) or not isinstance(
            self.random_state, int | np.integer
        ):
            raise InputError(
                f"The 'random_state' parameter of {type(self).__name__} must be a "
                f"non-negative integer or None; got {self.random_state!r}."
            )
        if self.random_state < 0:
            raise InputError(
                f"The 'random_state' parameter of {type(self).__name__} must be a "
                f"non-negative integer or None; got {self.random_state!r}."
            )
        return int(self.random_state)

    def _frame(self, X: Any, *, reset: bool) -> pd.DataFrame:
        """``X`` as a DataFrame of raw columns (numeric arrays get x0, x1, ...)."""
        if isinstance(X, pd.DataFrame):
            if reset:
                self.feature_names_in_ = np.asarray(X.columns, dtype=object)
                self.n_features_in_ = X.shape[1]
            return X.rename(columns=str)
        array = validate_data(
            self, X, dtype=np.float64, reset=reset, ensure_all_finite=False
        )
        return pd.DataFrame(array, columns=[f"x{i}" for i in range(array.shape[1])])

    def _fit(
        self, X: Any, y: np.ndarray, make_task: Callable[[np.ndarray], Task]
    ) -> None:
        config = self._config()
        seed = self._seed()
        frame = self._frame(X, reset=True)
        if len(y) != len(frame):
            raise InputError(f"X has {len(frame)} rows but y has {len(y)} values")
        task = make_task(y)

        schema = infer_schema(frame.assign(__target__=0), "__target__")
        preprocessor = build_preprocessor(schema, min_frequency=self.min_frequency)
        features = prepare_features(frame, schema)
        rows = Rows(frame, preprocessor.fit_transform(features), np.arange(len(frame)))
        target = task.target_tensor(task.encode(y))
        given = self._given_teachers(task)
        with ExitStack() as stack:
            progress = stack.enter_context(progress_bars()) if self.verbose else None
            result = distill(
                rows,
                target,
                task=task,
                config=config,
                seed=seed,
                teachers=given,
                teacher_keys=[f"{i}:{t.name}" for i, t in enumerate(given)],
                progress=progress,
            )

        self.model_ = result.model(schema, preprocessor, task)
        self.preprocessor_ = preprocessor
        self.teachers_ = result.ensemble.mlp
        self.teacher_names_ = result.ensemble.names
        self.student_ = self.model_.student
        self.baseline_ = self.model_.baseline
        self.history_ = {
            "teachers": result.ensemble.history,
            "students": result.student_history,
        }

    def _given_teachers(self, task: Task) -> list[Teacher]:
        """The ready teachers among ``teachers`` (spec strings are trained)."""
        classes = task.classes if isinstance(task, Classification) else None
        given: list[Teacher] = []
        for teacher in self.teachers or ():
            if isinstance(teacher, str):
                continue
            if hasattr(teacher, "outputs") and hasattr(teacher, "name"):
                given.append(teacher)
            elif isinstance(teacher, torch.nn.Module):
                given.append(TorchTeacher(teacher, regression=classes is None))
            else:
                given.append(EstimatorTeacher(teacher, classes=classes))
        return given

    def _outputs(self, X: Any, model: str = "student") -> torch.Tensor:
        try:
            check_is_fitted(self, "model_")
        except _SklearnNotFittedError as error:
            raise NotFittedError(str(error)) from None
        return self.model_.outputs(self._frame(X, reset=False), model=model)


class DistilledClassifier(ClassifierMixin, _DistilledEstimator):
    """An MLP student distilled from an ensemble of MLP teachers.

    ``fit`` preprocesses the features (a DataFrame may mix numeric and
    categorical columns, with missing values), trains ``n_members`` MLP
    teachers at once (stacked), averages their logits, and trains the student
    on ``alpha * T**2 * KL(soft targets || student) + (1 - alpha) * CE``. It
    also trains the same student on the labels alone, from the same initial
    weights and batches: the baseline, kept in ``baseline_`` for comparison.
    Predictions come from the distilled student.

    Parameters
    ----------
    n_members : int, default=12
        Teachers in the ensemble.
    teacher_hidden : sequence of int, default=(256, 128, 64)
        Hidden layer widths of each teacher.
    teacher_dropout : float, sequence of float or None, default=None
        Dropout after each of the teacher's hidden layers: one rate for all,
        or one per layer. None is the reference recipe's: 0.3 after every
        hidden layer but the last, which has none.
    teacher_epochs : int, default=30
        Training epochs of the teachers.
    student_hidden : sequence of int, default=(64, 32)
        Hidden layer widths of the student.
    student_epochs : int, default=50
        Training epochs of the student and the baseline.
    temperature : float, default=3.0
        Temperature ``T`` of the soft targets, above 0 (unused in regression).
    alpha : float, default=0.7
        Weight of the soft-target (or ensemble) term, in [0, 1].
    batch_size : int, default=64
        Minibatch size.
    learning_rate : float, default=1e-3
        Adam's learning rate, for teachers and students.
    student_weight_decay : float, default=1e-4
        L2 weight decay of the student and the baseline.
    min_frequency : int, default=10
        Levels of a categorical column seen fewer times in training are
        grouped into one "infrequent" level.
    teachers : list, optional
        The ensemble, instead of ``n_members`` MLPs: specs of teachers to
        train (``"mlp:8"``, ``"lightgbm:4"``, ``"random_forest:1"``, ...) and
        ready teachers: fitted scikit-learn models or pipelines taking the
        raw ``X``, torch modules taking the preprocessed rows, or
        :mod:`kdistill.teachers.adapters` objects.
    combine : {"logits", "probabilities"}, default="logits"
        How members' outputs are averaged: logits (probabilities entering
        as log-probabilities), or probabilities.
    random_state : int or None, default=0
        Seed of every random stream (initial weights, batch orders, dropout);
        None draws a fresh seed at each fit.
    verbose : bool, default=False
        Show progress bars on standard error while training.

    Attributes
    ----------
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : numpy.ndarray
        Column names, when ``X`` was a DataFrame.
    model_ : kdistill.model.DistilledModel
        The schema, fitted preprocessing and networks.
    preprocessor_ : sklearn.compose.ColumnTransformer
        The preprocessing fitted on the training rows: numeric columns imputed
        (with missing indicators) and standardized, categorical columns
        one-hot encoded.
    teachers_ : kdistill.stacked.StackedMLP or None
        The MLP teachers, members stacked (None when no MLP was trained).
    teacher_names_ : list of str
        Every member of the ensemble.
    student_ : torch.nn.Sequential
        The distilled student (takes preprocessed features).
    baseline_ : torch.nn.Sequential
        The same student trained on the targets alone.
    history_ : dict
        Training loss on the last minibatch of each epoch: ``"teachers"``,
        ``(epochs, n_members)``; ``"students"``, ``(epochs, 2)``, distilled
        then baseline.
    classes_ : numpy.ndarray
        The class labels.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> X, y = make_classification(n_samples=300, random_state=0)
    >>> model = DistilledClassifier(n_members=3, teacher_epochs=5, student_epochs=5)
    >>> model.fit(X, y).predict(X[:4]).shape
    (4,)
    >>> model.predict_proba(X[:2]).shape
    (2, 2)
    """

    def fit(self, X: Any, y: Any) -> DistilledClassifier:
        """Train the teachers, the distilled student and the baseline.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Features; a DataFrame may hold categorical columns.
        y : array-like of shape (n_samples,)
            Class labels of any type.

        Returns
        -------
        self : DistilledClassifier
        """
        y = np.asarray(y)
        check_classification_targets(y)
        self._fit(X, y, _classification)
        self.classes_ = self._task().classes
        return self

    def _task(self) -> Classification:
        task = self.model_.task
        assert isinstance(task, Classification)
        return task

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities of the distilled student, ``(n_samples, n_classes)``."""
        outputs = self._outputs(X)
        return self._task().probabilities(outputs)

    def predict(self, X: Any) -> np.ndarray:
        """Class labels predicted by the distilled student."""
        proba = self.predict_proba(X)
        return self.classes_[proba.argmax(axis=1)]

    def ensemble_predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities of the teacher ensemble (softmax of mean logits)."""
        outputs = self._outputs(X, model="ensemble")
        return self._task().probabilities(outputs)


class DistilledRegressor(RegressorMixin, _DistilledEstimator):
    """An MLP student distilled from an ensemble of MLP regressors.

    ``fit`` preprocesses the features, standardizes the target, trains
    ``n_members`` MLP teachers at once, and trains the student on ``alpha *
    MSE(student, ensemble mean) + (1 - alpha) * MSE(student, y)``; the
    baseline is the same student on ``MSE(student, y)`` alone.

    Parameters
    ----------
    n_members : int, default=12
        Teachers in the ensemble.
    teacher_hidden : sequence of int, default=(256, 128, 64)
        Hidden layer widths of each teacher.
    teacher_dropout : float, sequence of float or None, default=None
        Dropout after each of the teacher's hidden layers: one rate for all,
        or one per layer. None is the reference recipe's: 0.3 after every
        hidden layer but the last, which has none.
    teacher_epochs : int, default=30
        Training epochs of the teachers.
    student_hidden : sequence of int, default=(64, 32)
        Hidden layer widths of the student.
    student_epochs : int, default=50
        Training epochs of the student and the baseline.
    temperature : float, default=3.0
        Temperature ``T`` of the soft targets, above 0 (unused in regression).
    alpha : float, default=0.7
        Weight of the soft-target (or ensemble) term, in [0, 1].
    batch_size : int, default=64
        Minibatch size.
    learning_rate : float, default=1e-3
        Adam's learning rate, for teachers and students.
    student_weight_decay : float, default=1e-4
        L2 weight decay of the student and the baseline.
    min_frequency : int, default=10
        Levels of a categorical column seen fewer times in training are
        grouped into one "infrequent" level.
    teachers : list, optional
        The ensemble, instead of ``n_members`` MLPs: specs of teachers to
        train (``"mlp:8"``, ``"lightgbm:4"``, ``"random_forest:1"``, ...) and
        ready teachers: fitted scikit-learn models or pipelines taking the
        raw ``X``, torch modules taking the preprocessed rows, or
        :mod:`kdistill.teachers.adapters` objects.
    combine : {"logits", "probabilities"}, default="logits"
        How members' outputs are averaged: logits (probabilities entering
        as log-probabilities), or probabilities.
    random_state : int or None, default=0
        Seed of every random stream (initial weights, batch orders, dropout);
        None draws a fresh seed at each fit.
    verbose : bool, default=False
        Show progress bars on standard error while training.

    Attributes
    ----------
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : numpy.ndarray
        Column names, when ``X`` was a DataFrame.
    model_ : kdistill.model.DistilledModel
        The schema, fitted preprocessing and networks.
    preprocessor_ : sklearn.compose.ColumnTransformer
        The preprocessing fitted on the training rows: numeric columns imputed
        (with missing indicators) and standardized, categorical columns
        one-hot encoded.
    teachers_ : kdistill.stacked.StackedMLP or None
        The MLP teachers, members stacked (None when no MLP was trained).
    teacher_names_ : list of str
        Every member of the ensemble.
    student_ : torch.nn.Sequential
        The distilled student (takes preprocessed features).
    baseline_ : torch.nn.Sequential
        The same student trained on the targets alone.
    history_ : dict
        Training loss on the last minibatch of each epoch: ``"teachers"``,
        ``(epochs, n_members)``; ``"students"``, ``(epochs, 2)``, distilled
        then baseline.

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> X, y = make_regression(n_samples=200, n_features=5, random_state=0)
    >>> model = DistilledRegressor(n_members=3, teacher_epochs=5, student_epochs=5)
    >>> model.fit(X, y).predict(X[:3]).shape
    (3,)
    """

    def fit(self, X: Any, y: Any) -> DistilledRegressor:
        """Train the teachers, the distilled student and the baseline.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Features; a DataFrame may hold categorical columns.
        y : array-like of shape (n_samples,)
            Numeric targets.

        Returns
        -------
        self : DistilledRegressor
        """
        self._fit(X, np.asarray(y), _regression)
        return self

    def _task(self) -> Regression:
        task = self.model_.task
        assert isinstance(task, Regression)
        return task

    def predict(self, X: Any) -> np.ndarray:
        """Values predicted by the distilled student."""
        outputs = self._outputs(X)
        return self._task().values(outputs)

    def ensemble_predict(self, X: Any) -> np.ndarray:
        """Values predicted by the teacher ensemble (mean of the members)."""
        outputs = self._outputs(X, model="ensemble")
        return self._task().values(outputs)


def _classification(y: np.ndarray) -> Task:
    labels = [v.item() if isinstance(v, np.generic) else v for v in np.unique(y)]
    if len(labels) < 2:
        raise InputError(
            f"y has a single class ({labels[0]!r}); distillation needs two or "
            "more classes"
        )
    return Classification(np.array(labels))


def _regression(y: np.ndarray) -> Task:
    try:
        values = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError("y must be numeric for regression") from None
    if not np.all(np.isfinite(values)):
        raise InputError("y has missing or infinite values; drop those rows first")
    return Regression.fit(values)
