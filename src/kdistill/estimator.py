"""A scikit-learn estimator that trains an ensemble and distills it."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import ExitStack
from typing import Any

import numpy as np
import torch
from pydantic import ValidationError
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import NotFittedError as _SklearnNotFittedError
from sklearn.preprocessing import StandardScaler
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from kdistill.config import DistillationConfig, input_error
from kdistill.exceptions import InputError, NotFittedError
from kdistill.experiment import distill
from kdistill.losses import ensemble_logits
from kdistill.progress import progress_bars
from kdistill.students import BASELINE, DISTILLED

__all__ = ["DistilledClassifier"]

# Constructor parameter of each configuration field, for error messages.
_PARAMETERS: dict[tuple[int | str, ...], str] = {
    ("n_members",): "n_members",
    ("temperature",): "temperature",
    ("alpha",): "alpha",
    ("batch_size",): "batch_size",
    ("teacher", "hidden"): "teacher_hidden",
    ("teacher", "dropout"): "teacher_dropout",
    ("teacher", "epochs"): "teacher_epochs",
    ("teacher", "learning_rate"): "learning_rate",
    ("student", "hidden"): "student_hidden",
    ("student", "epochs"): "student_epochs",
    ("student", "learning_rate"): "learning_rate",
    ("student", "weight_decay"): "student_weight_decay",
}


class DistilledClassifier(ClassifierMixin, BaseEstimator):
    """An MLP student distilled from an ensemble of MLP teachers.

    ``fit`` standardizes the features, trains ``n_members`` MLP teachers at once
    (stacked), averages their logits, and trains the student on
    ``alpha * T**2 * KL(soft targets || student) + (1 - alpha) * CE(labels)``.
    It also trains the same student on the labels alone, from the same initial
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
        Temperature ``T`` of the soft targets, above 0.
    alpha : float, default=0.7
        Weight of the soft-target term, in [0, 1].
    batch_size : int, default=64
        Minibatch size.
    learning_rate : float, default=1e-3
        Adam's learning rate, for teachers and students.
    student_weight_decay : float, default=1e-4
        L2 weight decay of the student and the baseline.
    random_state : int or None, default=0
        Seed of every random stream (initial weights, batch orders, dropout);
        None draws a fresh seed at each fit.
    verbose : bool, default=False
        Show progress bars on standard error while training.

    Attributes
    ----------
    classes_ : numpy.ndarray
        The class labels.
    n_features_in_ : int
        Number of features seen in ``fit``.
    scaler_ : sklearn.preprocessing.StandardScaler
        The feature scaling fitted on the training rows.
    teachers_ : kdistill.stacked.StackedMLP
        The teacher ensemble, members stacked.
    student_ : torch.nn.Sequential
        The distilled student (takes scaled features, gives logits).
    baseline_ : torch.nn.Sequential
        The same student trained on the labels alone.
    history_ : dict
        Training loss on the last minibatch of each epoch: ``"teachers"``,
        ``(epochs, n_members)``; ``"students"``, ``(epochs, 2)``, distilled
        then baseline.

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

    def fit(self, X: Any, y: Any) -> DistilledClassifier:
        """Train the teachers, the distilled student and the baseline.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Numeric features.
        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        self : DistilledClassifier
        """
        config = self._config()
        seed = self._seed()
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        self.classes_, encoded = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise InputError(
                f"y has a single class ({self.classes_[0].item()!r}); "
                "distillation needs two or more classes"
            )

        self.scaler_ = StandardScaler().fit(X)
        rows = torch.as_tensor(self.scaler_.transform(X), dtype=torch.float32)
        with ExitStack() as stack:
            progress = stack.enter_context(progress_bars()) if self.verbose else None
            result = distill(
                rows,
                torch.as_tensor(encoded, dtype=torch.long),
                n_classes=len(self.classes_),
                config=config,
                seed=seed,
                progress=progress,
            )

        self.teachers_ = result.teachers
        self.student_ = result.students.member(DISTILLED)
        self.baseline_ = result.students.member(BASELINE)
        self.history_ = {
            "teachers": result.teacher_history,
            "students": result.student_history,
        }
        return self

    def _rows(self, X: Any) -> torch.Tensor:
        try:
            check_is_fitted(self, "student_")
        except _SklearnNotFittedError as error:
            raise NotFittedError(str(error)) from None
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return torch.as_tensor(self.scaler_.transform(X), dtype=torch.float32)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities of the distilled student, ``(n_samples, n_classes)``."""
        rows = self._rows(X)
        with torch.no_grad():
            logits = self.student_(rows)
        return torch.softmax(logits.double(), dim=-1).numpy()

    def predict(self, X: Any) -> np.ndarray:
        """Class labels predicted by the distilled student."""
        proba = self.predict_proba(X)
        return self.classes_[proba.argmax(axis=1)]

    def ensemble_predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities of the teacher ensemble (softmax of mean logits)."""
        rows = self._rows(X)
        with torch.no_grad():
            logits = ensemble_logits(self.teachers_(rows))
        return torch.softmax(logits.double(), dim=-1).numpy()
