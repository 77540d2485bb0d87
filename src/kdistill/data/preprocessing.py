"""The feature preprocessing, fitted on training rows only."""

from __future__ import annotations

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from kdistill.data.schema import Schema

__all__ = ["MISSING_LEVEL", "build_preprocessor"]

#: The category level that stands for a missing categorical value.
MISSING_LEVEL = "(missing)"


def build_preprocessor(schema: Schema, *, min_frequency: int = 10) -> ColumnTransformer:
    """A ColumnTransformer for the schema's features, not yet fitted.

    Numeric columns: missing values replaced by the training median, with a
    0/1 indicator column for each column that had missing values, then
    standardized. Categorical columns: missing values become their own level
    ``"(missing)"``; one-hot encoded, levels seen fewer than ``min_frequency``
    times in training grouped into one "infrequent" column, and levels never
    seen in training mapped there too (or to all zeros where there is none).

    Its input is the output of :func:`kdistill.data.schema.prepare_features`.

    Examples
    --------
    >>> import pandas as pd
    >>> schema = Schema(target="y", numeric=["a"], categorical=["b"])
    >>> frame = pd.DataFrame({"a": [1.0, None, 3.0], "b": ["x", "y", "x"]})
    >>> build_preprocessor(schema, min_frequency=1).fit_transform(frame).shape
    (3, 4)
    """
    numeric = Pipeline(
        [
            ("impute", SimpleImputer(strategy="median", add_indicator=True)),
            ("scale", StandardScaler()),
        ]
    )
    categorical = Pipeline(
        [
            ("impute", SimpleImputer(strategy="constant", fill_value=MISSING_LEVEL)),
            (
                "encode",
                OneHotEncoder(
                    handle_unknown="infrequent_if_exist",
                    min_frequency=min_frequency,
                    sparse_output=False,
                    dtype=np.float32,
                ),
            ),
        ]
    )
    return ColumnTransformer(
        [
            ("numeric", numeric, schema.numeric),
            ("categorical", categorical, schema.categorical),
        ],
        sparse_threshold=0.0,
    )
