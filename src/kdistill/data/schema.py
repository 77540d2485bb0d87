"""Which columns are features, of which kind, and the checks on new data.

The schema is inferred once from the training file (numeric versus
categorical from the dtype, overridable column by column), saved with the
run, and used again to check every table the student scores later.
"""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from kdistill.exceptions import InputError, KdistillWarning

__all__ = ["Schema", "infer_schema", "prepare_features"]

# A text column with more distinct values than this share of its rows (and
# than _MIN_FREE_TEXT levels) is free text or an identifier, not a category.
_FREE_TEXT_SHARE = 0.5
_MIN_FREE_TEXT = 100


class Schema(BaseModel):
    """The feature columns of a data set and their kinds.

    Attributes
    ----------
    target : str
        The column to predict.
    numeric, categorical : list of str
        Feature columns of each kind, in the order of the file.
    dropped : dict
        Columns left out, each with the reason.
    """

    model_config = ConfigDict(frozen=True)

    target: str
    numeric: list[str]
    categorical: list[str]
    dropped: dict[str, str] = {}

    @property
    def features(self) -> list[str]:
        """All feature columns, numeric first."""
        return [*self.numeric, *self.categorical]


def _nearest(name: str, columns: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, list(columns), n=1, cutoff=0.5)
    if not close:
        lowered = {c.lower(): c for c in columns}
        close = [lowered[name.lower()]] if name.lower() in lowered else []
    return f" Did you mean {close[0]!r}?" if close else ""


def _check_names(frame: pd.DataFrame, names: Sequence[str], option: str) -> None:
    for name in names:
        if name not in frame.columns:
            raise InputError(
                f"{option} {name}: no column {name!r} in the data."
                + _nearest(name, frame.columns)
            )


def _non_numeric(values: pd.Series) -> pd.Series:
    """The non-missing values of ``values`` that are not numbers."""
    present = values.dropna()
    converted = pd.to_numeric(present, errors="coerce")
    return present[converted.isna()]


def _text_in_numeric_error(column: str, bad: pd.Series, fix: str) -> InputError:
    examples = ", ".join(repr(v) for v in pd.unique(bad.astype(str))[:3])
    return InputError(
        f"column {column!r} has {len(bad)} non-numeric value(s), e.g. {examples}; {fix}"
    )


def infer_schema(
    frame: pd.DataFrame,
    target: str,
    *,
    categorical: Sequence[str] = (),
    numeric: Sequence[str] = (),
    drop: Sequence[str] = (),
) -> Schema:
    """Decide the kind of every feature column of ``frame``.

    Numeric dtypes are numeric features; text, boolean and categorical dtypes
    are categorical. ``categorical`` and ``numeric`` override the dtype for
    the columns they name, ``drop`` leaves columns out. Columns that carry no
    information (all missing, or one value) and text columns with a distinct
    value in most rows are dropped with a warning.

    Examples
    --------
    >>> frame = pd.DataFrame(
    ...     {"age": [30, 41, 25], "city": ["a", "b", "a"], "y": [0, 1, 0]}
    ... )
    >>> schema = infer_schema(frame, "y")
    >>> schema.numeric, schema.categorical
    (['age'], ['city'])
    """
    if target not in frame.columns:
        columns = ", ".join(repr(c) for c in frame.columns)
        raise InputError(
            f"no target column {target!r} in the data."
            f"{_nearest(target, frame.columns)} The columns are: {columns}."
        )
    _check_names(frame, categorical, "--categorical")
    _check_names(frame, numeric, "--numeric")
    _check_names(frame, drop, "--drop")
    both = sorted(set(categorical) & set(numeric))
    if both:
        raise InputError(
            f"columns {both} are declared both --categorical and --numeric"
        )
    if target in drop or target in categorical or target in numeric:
        raise InputError(f"the target {target!r} cannot also be a feature option")

    kinds: dict[str, str] = {}
    dropped = dict.fromkeys(drop, "asked to drop")
    for name in frame.columns:
        if name == target or name in dropped:
            continue
        values = frame[name]
        reason = _uninformative(values)
        if reason is None and name not in numeric and name not in categorical:
            reason = _free_text(values)
        if reason is not None:
            dropped[name] = reason
            warnings.warn(
                f"column {name!r} is dropped: {reason}", KdistillWarning, stacklevel=2
            )
            continue
        if name in numeric:
            bad = _non_numeric(values)
            if len(bad):
                raise _text_in_numeric_error(
                    name, bad, f"pass --categorical {name} or clean the file"
                )
            kinds[name] = "numeric"
        elif name in categorical:
            kinds[name] = "categorical"
        else:
            kinds[name] = _inferred_kind(name, values, len(frame))
    if not kinds:
        raise InputError("no feature columns are left; check --drop and the file")
    return Schema(
        target=target,
        numeric=[n for n, k in kinds.items() if k == "numeric"],
        categorical=[n for n, k in kinds.items() if k == "categorical"],
        dropped=dropped,
    )


def _uninformative(values: pd.Series) -> str | None:
    if values.isna().all():
        return "every value is missing"
    if values.nunique(dropna=True) == 1 and not values.isna().any():
        value = values.dropna().iloc[0]
        value = value.item() if isinstance(value, np.generic) else value
        return f"it has one value only ({value!r})"
    return None


def _free_text(values: pd.Series) -> str | None:
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return None
    n_levels = values.nunique(dropna=True)
    if n_levels > _MIN_FREE_TEXT and n_levels > _FREE_TEXT_SHARE * values.notna().sum():
        return (
            f"text with {n_levels} distinct values looks like free text or an "
            "identifier; pass --categorical to keep it"
        )
    return None


def _inferred_kind(name: str, values: pd.Series, n_rows: int) -> str:
    if pd.api.types.is_bool_dtype(values):
        return "categorical"
    if pd.api.types.is_numeric_dtype(values):
        if (
            pd.api.types.is_integer_dtype(values)
            and values.nunique() == n_rows
            and values.is_monotonic_increasing
        ):
            warnings.warn(
                f"column {name!r} counts up with a new value in every row and looks "
                f"like a row identifier; pass --drop {name} if it is one",
                KdistillWarning,
                stacklevel=3,
            )
        return "numeric"
    return "categorical"


def prepare_features(frame: pd.DataFrame, schema: Schema) -> pd.DataFrame:
    """The feature columns of ``frame`` in the schema's order and types.

    Numeric columns become float32 (what the networks compute in, and half
    the memory of float64); categorical columns become text, with
    missing values kept as NaN. Missing columns and text in numeric columns
    are errors; extra columns are ignored with a warning.

    Examples
    --------
    >>> schema = Schema(target="y", numeric=["a"], categorical=["b"])
    >>> frame = pd.DataFrame({"a": [1], "b": [2], "y": [0]})
    >>> prepare_features(frame, schema).dtypes.tolist()
    [dtype('float32'), dtype('O')]
    """
    missing = [c for c in schema.features if c not in frame.columns]
    if missing:
        raise InputError(
            f"the data lacks column(s) {missing} that the model was trained on; "
            "add them (values may be missing)"
        )
    extra = [
        c for c in frame.columns if c not in schema.features and c != schema.target
    ]
    extra = [c for c in extra if c not in schema.dropped]
    if extra:
        warnings.warn(
            f"column(s) {extra} were not used in training and are ignored",
            KdistillWarning,
            stacklevel=2,
        )
    prepared = {}
    for name in schema.numeric:
        bad = _non_numeric(frame[name])
        if len(bad):
            raise _text_in_numeric_error(
                name, bad, "the model was trained on numbers in this column"
            )
        values = pd.to_numeric(frame[name], errors="coerce").astype(np.float64)
        infinite = np.isinf(values.to_numpy())
        if infinite.any():
            raise InputError(
                f"column {name!r} has {int(infinite.sum())} infinite value(s) (first "
                f"in row {int(np.argmax(infinite))}); replace them with numbers or "
                "leave them empty"
            )
        prepared[name] = values.astype(np.float32)
    for name in schema.categorical:
        prepared[name] = frame[name].astype(object).map(_category_text)
    # Object columns, not pandas' string dtype: scikit-learn's imputer and
    # encoder treat object columns the same under every pandas version.
    kinds = dict.fromkeys(schema.categorical, object)
    return pd.DataFrame(prepared, index=frame.index).astype(kinds)


def _category_text(value: object) -> object:
    """A category level as text; NaN for missing.

    A whole number read as float (a column of integers with gaps is read as
    float) gives the same text as the integer: 3.0 and 3 are level "3".
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return np.nan
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)
