"""Teacher kinds kdistill trains itself, from a short spec like ``lightgbm:4``.

Each kind has defaults that suit tabular data of a few thousand to a few
hundred thousand rows. Members of a kind differ by their seed and, where the
kind bags, by their rows and columns: random forests and extra trees
bootstrap rows; the boosting kinds subsample 80% of rows and columns per
tree. The MLP kind is trained by kdistill's stacked trainer (all members at
once); the others are fitted one by one on the preprocessed rows.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kdistill.exceptions import InputError

__all__ = ["KINDS", "TeacherSpec", "parse_teacher_spec", "require_package"]

# What to install for each kind that needs an optional package.
_EXTRAS = {"lightgbm": "lightgbm", "xgboost": "xgboost", "catboost": "catboost"}


def _random_forest(seed: int, classification: bool) -> Any:
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

    cls = RandomForestClassifier if classification else RandomForestRegressor
    return cls(n_estimators=300, min_samples_leaf=2, n_jobs=-1, random_state=seed)


def _extra_trees(seed: int, classification: bool) -> Any:
    from sklearn.ensemble import ExtraTreesClassifier, ExtraTreesRegressor

    cls = ExtraTreesClassifier if classification else ExtraTreesRegressor
    return cls(
        n_estimators=300,
        min_samples_leaf=2,
        bootstrap=True,
        n_jobs=-1,
        random_state=seed,
    )


def _hist_gradient_boosting(seed: int, classification: bool) -> Any:
    from sklearn.ensemble import (
        HistGradientBoostingClassifier,
        HistGradientBoostingRegressor,
    )

    cls = (
        HistGradientBoostingClassifier
        if classification
        else HistGradientBoostingRegressor
    )
    return cls(
        max_iter=300, learning_rate=0.05, early_stopping=False, random_state=seed
    )


def _lightgbm(seed: int, classification: bool) -> Any:
    lightgbm = _optional("lightgbm")
    cls = lightgbm.LGBMClassifier if classification else lightgbm.LGBMRegressor
    return cls(
        n_estimators=300,
        learning_rate=0.05,
        num_leaves=31,
        subsample=0.8,
        subsample_freq=1,
        colsample_bytree=0.8,
        random_state=seed,
        n_jobs=2,
        verbose=-1,
    )


def _xgboost(seed: int, classification: bool) -> Any:
    xgboost = _optional("xgboost")
    cls = xgboost.XGBClassifier if classification else xgboost.XGBRegressor
    return cls(
        n_estimators=300,
        learning_rate=0.05,
        max_depth=6,
        subsample=0.8,
        colsample_bytree=0.8,
        random_state=seed,
        n_jobs=2,
    )


def _catboost(seed: int, classification: bool) -> Any:
    catboost = _optional("catboost")
    cls = catboost.CatBoostClassifier if classification else catboost.CatBoostRegressor
    return cls(
        iterations=300,
        learning_rate=0.05,
        bootstrap_type="Bernoulli",
        subsample=0.8,
        random_seed=seed,
        thread_count=2,
        verbose=False,
        allow_writing_files=False,
    )


def require_package(kind: str) -> None:
    """Raise an :class:`InputError` naming the extra if ``kind`` lacks its package."""
    if kind in _EXTRAS:
        _optional(kind)


def _optional(package: str) -> Any:
    try:
        return importlib.import_module(package)
    except ImportError:
        raise InputError(
            f"the {package} teacher needs the {package} package: "
            f"pip install 'kdistill[{_EXTRAS[package]}]'"
        ) from None


#: Kinds of teacher kdistill can train, each a factory of (seed, classification).
KINDS: dict[str, Callable[[int, bool], Any] | None] = {
    "mlp": None,  # the stacked MLP ensemble
    "random_forest": _random_forest,
    "extra_trees": _extra_trees,
    "hist_gradient_boosting": _hist_gradient_boosting,
    "lightgbm": _lightgbm,
    "xgboost": _xgboost,
    "catboost": _catboost,
}


@dataclass(frozen=True)
class TeacherSpec:
    """``n_members`` teachers of one kind, e.g. ``TeacherSpec("lightgbm", 4)``."""

    kind: str
    n_members: int

    def __str__(self) -> str:
        return f"{self.kind}:{self.n_members}"

    def build(self, seed: int, classification: bool) -> Any:
        """An unfitted model of this kind, seeded with ``seed``."""
        factory = KINDS[self.kind]
        assert factory is not None, "MLP teachers are trained by the stacked trainer"
        return factory(seed, classification)


def parse_teacher_spec(text: str) -> TeacherSpec:
    """``"kind:count"`` (or ``"kind"`` for one member) as a :class:`TeacherSpec`.

    Examples
    --------
    >>> parse_teacher_spec("lightgbm:4")
    TeacherSpec(kind='lightgbm', n_members=4)
    >>> parse_teacher_spec("random-forest")
    TeacherSpec(kind='random_forest', n_members=1)
    """
    kind, _, count = text.strip().partition(":")
    kind = kind.strip().lower().replace("-", "_")
    if kind not in KINDS:
        close = difflib.get_close_matches(kind, list(KINDS), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise InputError(
            f"--teacher {text}: unknown teacher kind {kind!r}.{hint} "
            f"The kinds are: {', '.join(KINDS)}."
        )
    try:
        n_members = int(count) if count else 1
    except ValueError:
        n_members = 0
    if n_members < 1:
        raise InputError(
            f"--teacher {text}: the member count must be a whole number of at least 1; "
            f"got {count!r}. Write it as kind:count, e.g. lightgbm:4."
        )
    return TeacherSpec(kind, n_members)
