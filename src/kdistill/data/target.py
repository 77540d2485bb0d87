"""The target column: which task it makes, and its checks."""

from __future__ import annotations

import warnings
from typing import Literal

import numpy as np
import pandas as pd

from kdistill.exceptions import InputError, KdistillWarning

__all__ = ["TaskName", "infer_task", "target_values"]

TaskName = Literal["binary", "multiclass", "regression"]

# An integer target with at most this many distinct values is taken for
# class labels; with more, for a quantity to regress.
MAX_INFERRED_CLASSES = 20


def target_values(frame: pd.DataFrame, target: str) -> tuple[pd.Series, np.ndarray]:
    """The target's values on the rows where it is known, and those rows.

    Rows with a missing target are dropped with a warning; a target missing
    everywhere is an error.
    """
    values = frame[target]
    known = values.notna().to_numpy()
    if not known.any():
        raise InputError(
            f"the target column {target!r} has no values: every one is missing"
        )
    if not known.all():
        warnings.warn(
            f"{int((~known).sum())} row(s) with a missing {target!r} are left out",
            KdistillWarning,
            stacklevel=2,
        )
    return values[known], known


def infer_task(
    y: pd.Series,
    task: Literal["auto", "classification", "regression"] = "auto",
    *,
    min_class_rows: int = 2,
) -> TaskName:
    """Binary or multi-class classification, or regression, for target ``y``.

    With ``task="auto"``: text, boolean and category targets, and whole
    numbers with at most 20 distinct values, are class labels; other
    numbers are regressed.

    Examples
    --------
    >>> infer_task(pd.Series(["yes", "no", "yes", "no"]))
    'binary'
    >>> infer_task(pd.Series([1.5, 2.25, 3.0, 4.75]))
    'regression'
    """
    name = y.name
    numeric = pd.api.types.is_numeric_dtype(y) and not pd.api.types.is_bool_dtype(y)
    if task == "regression" or (
        task == "auto" and numeric and not _looks_like_labels(y)
    ):
        if not numeric:
            converted = pd.to_numeric(y, errors="coerce")
            bad = y[converted.isna()]
            if len(bad):
                examples = ", ".join(repr(v) for v in pd.unique(bad.astype(str))[:3])
                raise InputError(
                    f"the target {name!r} is not numeric, so it cannot be regressed: "
                    f"{len(bad)} value(s) like {examples}; pass --task "
                    "classification, or clean the column"
                )
        return "regression"

    counts = y.astype(str).value_counts()
    if len(counts) < 2:
        raise InputError(
            f"the target {name!r} has a single class ({counts.index[0]!r}); "
            "distillation needs two or more classes"
        )
    small = counts[counts < min_class_rows]
    if len(small):
        listed = ", ".join(
            f"{label!r} ({n} row{'s' if n > 1 else ''})" for label, n in small.items()
        )
        raise InputError(
            f"class(es) {listed} of {name!r} are too small to split into training "
            f"and test rows: each class needs at least {min_class_rows} rows; "
            "drop or merge them"
        )
    return "binary" if len(counts) == 2 else "multiclass"


def _looks_like_labels(y: pd.Series) -> bool:
    values = y.to_numpy(dtype=float)
    whole = bool(np.all(np.isfinite(values)) and np.all(values == np.round(values)))
    return whole and y.nunique() <= MAX_INFERRED_CLASSES
