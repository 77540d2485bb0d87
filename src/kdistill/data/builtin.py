"""Data sets that ship with kdistill."""

from __future__ import annotations

from importlib import resources

import numpy as np

__all__ = ["REFERENCE_PARAMS", "load_reference", "make_reference"]

#: The arguments of :func:`sklearn.datasets.make_classification` that make the
#: reference experiment's data.
REFERENCE_PARAMS = {
    "n_samples": 5000,
    "n_features": 20,
    "n_informative": 10,
    "n_redundant": 5,
    "random_state": 42,
}


def load_reference() -> tuple[np.ndarray, np.ndarray]:
    """The reference experiment's data: 5,000 rows, 20 features, 2 classes.

    The rows are those of ``make_classification(**REFERENCE_PARAMS)``, stored in
    the package so that the demo needs neither the generator nor its exact
    version: the generator's output may change between scikit-learn releases.

    Returns
    -------
    X : numpy.ndarray of shape (5000, 20), float64
    y : numpy.ndarray of shape (5000,), int64, labels 0 and 1

    Examples
    --------
    >>> X, y = load_reference()
    >>> X.shape, sorted(set(y.tolist()))
    ((5000, 20), [0, 1])
    """
    with resources.files("kdistill.data").joinpath("reference.npz").open("rb") as f:
        data = np.load(f, allow_pickle=False)
        return data["X"], data["y"].astype(np.int64)


def make_reference() -> tuple[np.ndarray, np.ndarray]:
    """Generate the reference data anew with scikit-learn."""
    from sklearn.datasets import make_classification

    X, y = make_classification(**REFERENCE_PARAMS)
    return X, y
