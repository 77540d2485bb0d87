"""Transfer-set augmentation: MUNGE, Gaussian noise, mixup."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kdistill.data.preprocessing import build_preprocessor
from kdistill.data.schema import infer_schema, prepare_features
from kdistill.transfer import Layout, augment, layout_of


@pytest.fixture
def rows() -> tuple[np.ndarray, Layout]:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "a": rng.normal(size=200),
            "b": rng.normal(size=200),
            "colour": rng.choice(["red", "blue", "green"], size=200),
            "y": rng.integers(0, 2, size=200),
        }
    )
    schema = infer_schema(frame, "y")
    preprocessor = build_preprocessor(schema, min_frequency=1)
    X = preprocessor.fit_transform(prepare_features(frame, schema))
    return X, layout_of(preprocessor, X.shape[1])


def test_layout_of_the_preprocessor(rows) -> None:
    X, layout = rows
    assert layout.numeric == (0, 1)
    assert layout.blocks == ((2, 5),)
    assert X.shape[1] == 5


@pytest.mark.parametrize("method", ["munge", "noise"])
def test_synthetic_rows_keep_one_level_per_categorical_block(rows, method) -> None:
    X, layout = rows
    new = augment(X, layout, method=method, size=3, seed=1)
    assert new.shape == (600, 5)
    assert new.dtype == np.float32
    block = new[:, 2:5]
    np.testing.assert_array_equal(block.sum(axis=1), 1.0)
    assert set(np.unique(block)) <= {0.0, 1.0}


def test_munge_values_stay_near_the_data(rows) -> None:
    X, layout = rows
    new = augment(X, layout, method="munge", size=2, seed=2)
    assert not np.isin(new[:, 0], X[:, 0]).all()  # some numeric values are new
    assert np.abs(new[:, :2]).max() < np.abs(X[:, :2]).max() * 3


def test_mixup_mixes_pairs_and_noise_moves_only_numbers(rows) -> None:
    X, layout = rows
    mixed = augment(X, layout, method="mixup", size=1, seed=3)
    np.testing.assert_allclose(mixed[:, 2:5].sum(axis=1), 1.0, atol=1e-6)
    noisy = augment(X, layout, method="noise", size=1, seed=3, sigma=0.0)
    assert np.isin(noisy[:, 0], X[:, 0]).all()


def test_same_seed_same_rows(rows) -> None:
    X, layout = rows
    a = augment(X, layout, method="munge", seed=5)
    b = augment(X, layout, method="munge", seed=5)
    np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="use munge, noise or mixup"):
        augment(X, layout, method="smote")  # type: ignore[arg-type]
