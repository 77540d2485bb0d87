"""The scikit-learn style API."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError as SklearnNotFittedError
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from kdistill import DistilledClassifier, DistilledRegressor, InputError, NotFittedError

FAST = {
    "n_members": 3,
    "teacher_epochs": 10,
    "student_epochs": 40,
    "teacher_hidden": (32,),
    "teacher_dropout": 0.1,
    "student_hidden": (8,),
}


def test_fit_predict_and_learned_attributes(small_data) -> None:
    X, y = small_data
    labels = np.array(["a", "b", "c"])[y]
    model = DistilledClassifier(**FAST).fit(X, labels)
    assert list(model.classes_) == ["a", "b", "c"]
    assert model.n_features_in_ == 8
    assert model.teachers_.n_members == 3
    assert set(model.predict(X[:10])) <= {"a", "b", "c"}
    proba = model.predict_proba(X[:10])
    assert proba.shape == (10, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert model.ensemble_predict_proba(X[:10]).shape == (10, 3)
    assert model.score(X, labels) > 0.6
    assert model.history_["teachers"].shape == (10, 3)
    assert model.history_["students"].shape == (40, 2)


def test_same_random_state_same_predictions(small_data) -> None:
    X, y = small_data
    a = DistilledClassifier(**FAST, random_state=4).fit(X, y).predict_proba(X)
    b = DistilledClassifier(**FAST, random_state=4).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)


def test_clone_and_get_params() -> None:
    model = DistilledClassifier(n_members=5, alpha=0.2)
    copy = clone(model)
    assert copy.get_params() == model.get_params()
    assert copy is not model


def test_works_in_a_pipeline_and_cross_validation(small_data) -> None:
    X, y = small_data
    pipeline = make_pipeline(FunctionTransformer(), DistilledClassifier(**FAST))
    scores = cross_val_score(pipeline, X, y, cv=2)
    assert scores.shape == (2,)


def test_not_fitted() -> None:
    with pytest.raises(NotFittedError, match=r"not fitted yet\. Call 'fit'") as info:
        DistilledClassifier().predict(np.zeros((2, 3)))
    assert isinstance(info.value, SklearnNotFittedError)


PREFIX = "The '{}' parameter of DistilledClassifier "


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"alpha": 2.0}, PREFIX.format("alpha") + "must be in [0, 1]; got 2.0."),
        (
            {"temperature": 0},
            PREFIX.format("temperature") + "must be greater than 0; got 0.",
        ),
        ({"n_members": 0}, PREFIX.format("n_members") + "must be at least 1; got 0."),
        (
            {"teacher_hidden": (4, 0)},
            PREFIX.format("teacher_hidden")
            + "must be a list of widths of at least 1; got [4, 0].",
        ),
    ],
)
def test_bad_parameters_are_named(small_data, params, message) -> None:
    X, y = small_data
    with pytest.raises(InputError) as info:
        DistilledClassifier(**{**FAST, **params}).fit(X, y)
    assert message in str(info.value)


def test_wrong_feature_count_at_predict(small_data) -> None:
    X, y = small_data
    model = DistilledClassifier(**FAST).fit(X, y)
    with pytest.raises(ValueError, match="features"):
        model.predict(X[:, :3])


def test_single_class_is_refused(small_data) -> None:
    X, _ = small_data
    with pytest.raises(InputError, match=r"y has a single class \('a'\)"):
        DistilledClassifier(**FAST).fit(X, np.array(["a"] * len(X)))


@pytest.mark.parametrize("seed", [-1, 1.5, "0"])
def test_bad_random_state(small_data, seed) -> None:
    X, y = small_data
    message = PREFIX.format("random_state") + "must be a non-negative integer or None"
    with pytest.raises(InputError) as info:
        DistilledClassifier(**{**FAST, "random_state": seed}).fit(X, y)
    assert message in str(info.value)


def test_default_dropout_fits_any_depth(small_data) -> None:
    X, y = small_data
    model = DistilledClassifier(
        **{**FAST, "teacher_dropout": None, "teacher_epochs": 1}
    )
    model.set_params(teacher_hidden=(16, 8, 8, 4)).fit(X, y)
    assert model.teachers_.dropout == (0.3, 0.3, 0.3, 0.0)


def test_dataframes_with_categories_and_missing_values() -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "size": rng.normal(size=300),
            "colour": rng.choice(["red", "blue", None], size=300),
        }
    )
    frame.loc[::10, "size"] = np.nan
    y = np.where(
        (frame["size"].fillna(0) > 0) | (frame["colour"] == "red"), "yes", "no"
    )
    model = DistilledClassifier(**FAST).fit(frame, y)
    assert list(model.feature_names_in_) == ["size", "colour"]
    new = pd.DataFrame({"colour": ["green", None], "size": [1.0, np.nan]})
    assert set(model.predict(new)) <= {"yes", "no"}
    assert model.score(frame, y) > 0.6


def test_regressor(small_data) -> None:
    X, _ = small_data
    y = X[:, 0] * 3 + 10
    model = DistilledRegressor(**{**FAST, "teacher_epochs": 40, "student_epochs": 60})
    model.fit(X, y)
    assert model.predict(X).shape == (len(X),)
    assert model.score(X, y) > 0.5
    assert model.ensemble_predict(X[:5]).shape == (5,)
    with pytest.raises(InputError, match="y must be numeric"):
        DistilledRegressor(**FAST).fit(X, np.array(["a"] * len(X)))
