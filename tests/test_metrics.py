"""Scores of one model: calibration error, agreement, KL."""

from __future__ import annotations

import numpy as np
import pytest

from kdistill.evaluation.metrics import (
    classification_scores,
    expected_calibration_error,
    kl_divergence,
)


def test_ece_by_hand() -> None:
    # Bin of confidence 0.9: 1 of 2 right (|0.5 - 0.9| = 0.4); bin of 0.6:
    # 2 of 2 right (|1 - 0.6| = 0.4): ECE = 0.4.
    proba = np.array([[0.9, 0.1], [0.9, 0.1], [0.6, 0.4], [0.6, 0.4]])
    assert expected_calibration_error(np.array([0, 1, 0, 0]), proba) == pytest.approx(
        0.4
    )


def test_perfectly_calibrated_is_zero() -> None:
    proba = np.array([[1.0, 0.0], [0.0, 1.0]])
    assert expected_calibration_error(np.array([0, 1]), proba) == 0.0


def test_agreement_and_kl_with_reference() -> None:
    proba = np.array([[0.8, 0.2], [0.4, 0.6], [0.3, 0.7]])
    reference = np.array([[0.7, 0.3], [0.6, 0.4], [0.2, 0.8]])
    scores = classification_scores(np.array([0, 0, 1]), proba, reference=reference)
    assert scores["accuracy"] == pytest.approx(2 / 3)
    assert scores["agreement"] == pytest.approx(2 / 3)
    assert scores["kl_to_ensemble"] == pytest.approx(kl_divergence(reference, proba))
    assert kl_divergence(reference, reference) == pytest.approx(0.0)
