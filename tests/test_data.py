"""The embedded reference data."""

from __future__ import annotations

import numpy as np

from kdistill.data import load_reference, make_reference


def test_embedded_data_is_make_classification() -> None:
    X, y = load_reference()
    X_new, y_new = make_reference()
    assert X.shape == (5000, 20)
    np.testing.assert_array_equal(X, X_new)
    np.testing.assert_array_equal(y, y_new)
