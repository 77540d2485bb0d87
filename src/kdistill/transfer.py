"""Transfer-set augmentation: extra rows for the teachers to label.

The student learns the teachers' function better from more points than the
training rows alone. The extra rows carry no true label: they are labelled by
the ensemble only (soft targets), and a hard-label term never applies to them.

Rows are made in kdistill's preprocessed space, attribute by attribute: a
numeric attribute is one column; a categorical attribute is its one-hot
block, which is kept whole so that a synthetic row still has one level.

- ``munge``: MUNGE (Bucila, Caruana and Niculescu-Mizil, "Model
  Compression", KDD 2006). For each row and its nearest neighbour, each
  attribute is, with probability ``swap``, taken from the neighbour: a
  categorical block as it is, a numeric value drawn from a normal centred on
  the neighbour's value with standard deviation ``|a - b| / spread``.
- ``noise``: Gaussian noise of standard deviation ``sigma`` on the numeric
  columns (they are standardized, so ``sigma`` is in units of a standard
  deviation); categorical blocks are kept.
- ``mixup``: convex combinations ``lam * a + (1 - lam) * b`` of random pairs of
  rows, ``lam ~ Beta(0.4, 0.4)`` (Zhang et al., 2018); one-hot blocks become
  mixtures of two levels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.neighbors import NearestNeighbors

__all__ = ["Layout", "augment", "layout_of"]

Method = Literal["munge", "noise", "mixup"]


@dataclass(frozen=True)
class Layout:
    """Which preprocessed columns make up each attribute.

    ``numeric`` lists single columns; ``blocks`` lists ``(start, stop)``
    ranges of one-hot columns, one per categorical attribute.
    """

    numeric: tuple[int, ...]
    blocks: tuple[tuple[int, int], ...]


def layout_of(preprocessor: ColumnTransformer, n_columns: int) -> Layout:
    """The attribute layout of the output of kdistill's fitted preprocessor."""
    names = list(preprocessor.get_feature_names_out())
    numeric = tuple(i for i, name in enumerate(names) if name.startswith("numeric__"))
    blocks: list[tuple[int, int]] = []
    transformer = preprocessor.named_transformers_.get("categorical")
    encoder = (
        None if transformer in (None, "drop") else transformer.named_steps["encode"]
    )
    if encoder is not None and hasattr(encoder, "categories_"):  # fitted: has columns
        start = len(numeric)
        for i in range(len(encoder.categories_)):
            infrequent = encoder.infrequent_categories_[i]
            n_rare = 0 if infrequent is None else len(infrequent)
            width = len(encoder.categories_[i]) - n_rare + (1 if n_rare else 0)
            blocks.append((start, start + width))
            start += width
    assert not blocks or blocks[-1][1] == n_columns, "the layout covers every column"
    return Layout(numeric, tuple(blocks))


def augment(
    X: np.ndarray,
    layout: Layout,
    *,
    method: Method,
    size: float = 1.0,
    seed: int = 0,
    swap: float = 0.5,
    spread: float = 1.0,
    sigma: float = 0.1,
) -> np.ndarray:
    """``round(size * len(X))`` synthetic rows made from the rows of ``X``.

    Parameters
    ----------
    X : numpy.ndarray of shape (n, d)
        Preprocessed training rows.
    layout : Layout
        Which columns make up each attribute (see :func:`layout_of`).
    method : {"munge", "noise", "mixup"}
        How rows are made; see the module's description.
    size : float, default=1.0
        Synthetic rows as a multiple of the training rows.
    seed : int, default=0
        Seed of the random draws.
    swap, spread : float
        MUNGE's probability of taking an attribute from the neighbour, and its
        local spread parameter ``s``.
    sigma : float, default=0.1
        The standard deviation of the ``noise`` method.

    Returns
    -------
    numpy.ndarray of shape (m, d), float32

    Examples
    --------
    >>> X = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 1.0], [2.0, 1.0, 0.0]], np.float32)
    >>> layout = Layout(numeric=(0,), blocks=((1, 3),))
    >>> augment(X, layout, method="munge", size=2, seed=0).shape
    (6, 3)
    """
    rng = np.random.default_rng(seed)
    n_rows = len(X)
    n_new = round(size * n_rows)
    source = rng.integers(0, n_rows, size=n_new)
    base = X[source].astype(np.float64)
    numeric = list(layout.numeric)

    if method == "noise":
        base[:, numeric] += rng.normal(0.0, sigma, size=(n_new, len(numeric)))
        return base.astype(np.float32)

    if method == "mixup":
        partner = X[rng.integers(0, n_rows, size=n_new)].astype(np.float64)
        lam = rng.beta(0.4, 0.4, size=(n_new, 1))
        return (lam * base + (1 - lam) * partner).astype(np.float32)

    if method != "munge":
        raise ValueError(
            f"unknown augmentation method {method!r}; use munge, noise or mixup"
        )
    neighbours = NearestNeighbors(n_neighbors=min(2, n_rows)).fit(X)
    nearest = neighbours.kneighbors(X, return_distance=False)[:, -1]
    other = X[nearest[source]].astype(np.float64)
    if numeric:
        take = rng.random((n_new, len(numeric))) < swap
        scale = np.abs(base[:, numeric] - other[:, numeric]) / spread
        drawn = rng.normal(other[:, numeric], scale)
        base[:, numeric] = np.where(take, drawn, base[:, numeric])
    for start, stop in layout.blocks:
        take = rng.random(n_new) < swap
        base[take, start:stop] = other[take, start:stop]
    return base.astype(np.float32)
