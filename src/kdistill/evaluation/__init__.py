"""Evaluation: scores of one run, and statistics over seeds."""

from kdistill.evaluation.metrics import (
    classification_scores,
    expected_calibration_error,
)
from kdistill.evaluation.stats import mcnemar_exact, summarize_runs

__all__ = [
    "classification_scores",
    "expected_calibration_error",
    "mcnemar_exact",
    "summarize_runs",
]
