"""The embedded reference data."""

from __future__ import annotations

import hashlib

import numpy as np

from kdistill.data import load_reference, make_reference

REFERENCE_SHA256 = "6e550aa0e7b93445d95b1c0c1e886ceb1713a3197296c2dc80eed17ce860d08b"


def test_embedded_data_is_make_classification() -> None:
    X, y = load_reference()
    X_new, y_new = make_reference()
    assert X.shape == (5000, 20)
    np.testing.assert_array_equal(X, X_new)
    np.testing.assert_array_equal(y, y_new)


def test_embedded_data_is_unchanged() -> None:
    """A fingerprint of the stored rows, independent of scikit-learn's version."""
    X, y = load_reference()
    digest = hashlib.sha256(X.tobytes() + y.tobytes()).hexdigest()
    assert digest == REFERENCE_SHA256
