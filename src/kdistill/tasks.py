"""What differs between classification and regression, in one place.

A task knows how to encode the target for training, what the networks
output, how the ensemble combines its members, which loss trains teachers
and students, how predictions are scored, and how outputs become answers in
the user's terms (class labels and probabilities, or values).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score
from torch import Tensor

from kdistill.data.target import TaskName
from kdistill.evaluation.metrics import classification_scores
from kdistill.losses import DistillationObjective, ensemble_logits, soft_targets
from kdistill.training import Objective

__all__ = [
    "Classification",
    "Regression",
    "RegressionObjective",
    "Task",
    "task_from_dict",
]


class RegressionObjective:
    """``alpha * MSE(student, ensemble) + (1 - alpha) * MSE(student, y)`` per member.

    The gradient with respect to the prediction ``s`` is ``2 (s - t) / batch``
    with ``t = alpha * ensemble + (1 - alpha) * y``, computed once per row.

    Parameters
    ----------
    y : Tensor
        Targets of the training rows, ``(n,)``, standardized.
    alpha : Tensor
        Weight of the ensemble term for each member, ``(k,)``.
    ensemble : Tensor, optional
        The ensemble's prediction for each training row, ``(n,)``; needed when
        any ``alpha`` is above 0.

    Examples
    --------
    >>> objective = RegressionObjective(torch.tensor([1.0, 2.0]), torch.tensor([0.0]))
    >>> objective.loss(torch.tensor([[[1.0], [1.0]]]), torch.tensor([[0, 1]]))
    tensor([0.5000])
    """

    def __init__(
        self, y: Tensor, alpha: Tensor, ensemble: Tensor | None = None
    ) -> None:
        if ensemble is None and bool((alpha > 0).any()):
            raise ValueError("the ensemble's predictions are needed when alpha > 0")
        a = alpha.reshape(-1, 1)
        self._target = (
            y.unsqueeze(0) if ensemble is None else a * ensemble + (1 - a) * y
        )
        self._members = torch.arange(len(alpha)).unsqueeze(1)  # (k, 1)

    def _targets(self, rows: Tensor) -> Tensor:
        if self._target.shape[0] == 1:
            return self._target[0][rows].unsqueeze(-1)
        return self._target[self._members, rows].unsqueeze(-1)  # (k, batch, 1)

    def gradient(self, outputs: Tensor, rows: Tensor) -> Tensor:
        """Gradient of each member's loss, ``(k, batch, 1)``."""
        return (outputs - self._targets(rows)).mul_(2.0 / outputs.shape[1])

    def loss(self, outputs: Tensor, rows: Tensor) -> Tensor:
        """Each member's loss on ``rows``, ``(k,)``."""
        return (outputs - self._targets(rows)).square().mean(dim=(1, 2))


class Classification:
    """Binary or multi-class classification over ``classes``."""

    metric = "accuracy"

    def __init__(self, classes: np.ndarray) -> None:
        self.classes = np.asarray(classes)
        self.name: TaskName = "binary" if len(self.classes) == 2 else "multiclass"
        self.n_outputs = len(self.classes)

    def encode(self, y: Any) -> np.ndarray:
        """Class indices of labels ``y``."""
        index = {label: i for i, label in enumerate(self.classes.tolist())}
        return np.array(
            [index[label] for label in np.asarray(y).tolist()], dtype=np.int64
        )

    def target_tensor(self, encoded: np.ndarray) -> Tensor:
        return torch.as_tensor(encoded, dtype=torch.long)

    def ensemble(self, member_outputs: Tensor) -> Tensor:
        """Soft voting: the mean of the members' logits."""
        return ensemble_logits(member_outputs)

    def teacher_objective(self, y: Tensor, n_members: int) -> Objective:
        return DistillationObjective(
            y, torch.zeros(n_members), n_classes=self.n_outputs
        )

    def student_objective(
        self, y: Tensor, ensemble: Tensor, alphas: Tensor, temperature: float
    ) -> Objective:
        targets = soft_targets(ensemble, temperature)
        return DistillationObjective(y, alphas, targets, temperature)

    def probabilities(self, outputs: Tensor) -> np.ndarray:
        return torch.softmax(outputs.double(), dim=-1).numpy()

    def score(
        self, y: np.ndarray, outputs: Tensor, reference: Tensor | None = None
    ) -> dict[str, float]:
        """Accuracy, log-loss, calibration; agreement and KL with ``reference``."""
        ref = None if reference is None else self.probabilities(reference)
        return classification_scores(y, self.probabilities(outputs), reference=ref)

    def correct(self, y: np.ndarray, outputs: Tensor) -> np.ndarray:
        """Which rows the outputs classify right, for the paired test."""
        return self.probabilities(outputs).argmax(axis=1) == y

    def answers(self, outputs: Tensor) -> dict[str, np.ndarray]:
        """Predicted labels and one probability column per class."""
        proba = self.probabilities(outputs)
        answers = {"prediction": self.classes[proba.argmax(axis=1)]}
        for i, label in enumerate(self.classes.tolist()):
            answers[f"probability_{label}"] = proba[:, i]
        return answers

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "classes": self.classes.tolist()}

    def labels(self) -> list[Any]:
        """The class labels as plain Python values."""
        return self.classes.tolist()


class Regression:
    """Regression of a number, trained on the standardized target."""

    metric = "r2"
    name: TaskName = "regression"
    n_outputs = 1

    def __init__(self, mean: float, std: float) -> None:
        self.mean = float(mean)
        self.std = float(std) if std > 0 else 1.0

    @classmethod
    def fit(cls, y: np.ndarray) -> Regression:
        y = np.asarray(y, dtype=np.float64)
        return cls(float(y.mean()), float(y.std()))

    def encode(self, y: Any) -> np.ndarray:
        return (np.asarray(y, dtype=np.float64) - self.mean) / self.std

    def target_tensor(self, encoded: np.ndarray) -> Tensor:
        return torch.as_tensor(encoded, dtype=torch.float32)

    def ensemble(self, member_outputs: Tensor) -> Tensor:
        """The mean of the members' predictions."""
        return member_outputs.mean(dim=0)

    def teacher_objective(self, y: Tensor, n_members: int) -> Objective:
        return RegressionObjective(y, torch.zeros(n_members))

    def student_objective(
        self, y: Tensor, ensemble: Tensor, alphas: Tensor, temperature: float
    ) -> Objective:
        del temperature  # a regression student copies the ensemble's values
        return RegressionObjective(y, alphas, ensemble[:, 0])

    def values(self, outputs: Tensor) -> np.ndarray:
        """Predictions in the target's own units."""
        return outputs[..., 0].double().numpy() * self.std + self.mean

    def score(
        self, y: np.ndarray, outputs: Tensor, reference: Tensor | None = None
    ) -> dict[str, float]:
        """R^2, RMSE and MAE in the target's units; RMSE to the ensemble."""
        truth = y * self.std + self.mean
        predicted = self.values(outputs)
        scores = {
            "r2": float(r2_score(truth, predicted)),
            "rmse": float(np.sqrt(mean_squared_error(truth, predicted))),
            "mae": float(mean_absolute_error(truth, predicted)),
        }
        if reference is not None:
            ensemble = self.values(reference)
            scores["rmse_to_ensemble"] = float(
                np.sqrt(mean_squared_error(ensemble, predicted))
            )
        return scores

    def correct(self, y: np.ndarray, outputs: Tensor) -> np.ndarray:
        """Squared error of each row, for the paired test (lower is better)."""
        return (self.values(outputs) - (y * self.std + self.mean)) ** 2

    def answers(self, outputs: Tensor) -> dict[str, np.ndarray]:
        return {"prediction": self.values(outputs)}

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "mean": self.mean, "std": self.std}


Task = Classification | Regression


def task_from_dict(data: dict[str, Any]) -> Task:
    """The task :meth:`to_dict` described."""
    if data["name"] == "regression":
        return Regression(data["mean"], data["std"])
    return Classification(np.array(data["classes"]))
