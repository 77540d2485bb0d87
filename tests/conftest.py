"""Shared fixtures: small data that trains in well under a second."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.datasets import make_classification


@pytest.fixture
def small_data() -> tuple[np.ndarray, np.ndarray]:
    """400 rows, 8 features, 3 classes."""
    X, y = make_classification(
        n_samples=400, n_features=8, n_informative=5, n_classes=3, random_state=0
    )
    return X, y


@pytest.fixture
def rows() -> tuple[torch.Tensor, torch.Tensor]:
    """200 scaled rows of 5 features and their binary labels, as tensors."""
    X, y = make_classification(n_samples=200, n_features=5, random_state=1)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    return torch.tensor(X, dtype=torch.float32), torch.tensor(y)
