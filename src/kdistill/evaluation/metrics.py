"""Scores of one model on one set of rows."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import accuracy_score, log_loss

__all__ = ["classification_scores", "expected_calibration_error", "kl_divergence"]


def expected_calibration_error(
    y_true: np.ndarray, proba: np.ndarray, *, n_bins: int = 15
) -> float:
    """Expected calibration error of the top-class confidence.

    Rows are put in ``n_bins`` equal-width bins ``((i - 1) / M, i / M]`` by
    their highest predicted probability; the ECE is the mean, weighted by bin
    size, of ``|accuracy - confidence|`` in each bin (Naeini, Cooper and
    Hauskrecht, 2015; Guo et al., 2017).

    Parameters
    ----------
    y_true : numpy.ndarray of shape (n,)
        Class indices.
    proba : numpy.ndarray of shape (n, classes)
        Predicted probabilities.
    n_bins : int, default=15
        Number of confidence bins.

    Examples
    --------
    >>> proba = np.array([[0.9, 0.1], [0.9, 0.1], [0.6, 0.4], [0.6, 0.4]])
    >>> expected_calibration_error(np.array([0, 1, 0, 0]), proba)
    0.4
    """
    if len(y_true) == 0:
        raise ValueError("the calibration error of no rows is undefined")
    confidence = proba.max(axis=1)
    correct = proba.argmax(axis=1) == y_true
    bins = np.clip(np.ceil(confidence * n_bins).astype(int) - 1, 0, n_bins - 1)
    total = 0.0
    for b in np.unique(bins):
        in_bin = bins == b
        total += in_bin.sum() * abs(correct[in_bin].mean() - confidence[in_bin].mean())
    return float(total / len(y_true))


def kl_divergence(p: np.ndarray, q: np.ndarray) -> float:
    """Mean over rows of ``KL(p || q)``, in nats; ``q`` is clipped away from 0.

    Parameters
    ----------
    p, q : numpy.ndarray of shape (n, classes)
        Probabilities; ``p`` is the reference (the ensemble's).

    Examples
    --------
    >>> p = np.array([[0.5, 0.5]])
    >>> round(kl_divergence(p, np.array([[0.9, 0.1]])), 4)
    0.5108
    """
    q = np.clip(q, 1e-12, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * (np.log(p) - np.log(q)), 0.0)
    return float(terms.sum(axis=1).mean())


def classification_scores(
    y_true: np.ndarray, proba: np.ndarray, *, reference: np.ndarray | None = None
) -> dict[str, float]:
    """Accuracy, log-loss and calibration error of predicted probabilities.

    With ``reference`` (the ensemble's probabilities on the same rows) the
    scores also hold the agreement with the ensemble's predicted class and
    ``KL(ensemble || model)``, which say how faithfully a student copies it.

    Examples
    --------
    >>> proba = np.array([[0.8, 0.2], [0.3, 0.7]])
    >>> classification_scores(np.array([0, 0]), proba)["accuracy"]
    0.5
    """
    n_classes = proba.shape[1]
    scores = {
        "accuracy": float(accuracy_score(y_true, proba.argmax(axis=1))),
        "log_loss": float(log_loss(y_true, proba, labels=np.arange(n_classes))),
        "ece": expected_calibration_error(y_true, proba),
    }
    if reference is not None:
        scores["agreement"] = float(
            np.mean(proba.argmax(axis=1) == reference.argmax(axis=1))
        )
        scores["kl_to_ensemble"] = kl_divergence(reference, proba)
    return scores
