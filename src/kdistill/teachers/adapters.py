"""Teachers from anywhere: one interface over models trained elsewhere.

A teacher gives, for a set of rows, one output per class (logits, or class
probabilities that enter the ensemble as log-probabilities) or, for
regression, a prediction. Adapters cover fitted scikit-learn estimators and
pipelines (which includes XGBoost, LightGBM and CatBoost through their
scikit-learn interfaces), torch modules, ONNX files and saved outputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np
import pandas as pd
import torch

from kdistill.exceptions import InputError

__all__ = [
    "EstimatorTeacher",
    "OnnxTeacher",
    "Rows",
    "SavedOutputs",
    "Teacher",
    "TeacherOutput",
    "TorchTeacher",
    "load_teacher_model",
]

# Probabilities are clipped away from 0 before their logarithm is taken.
PROBABILITY_FLOOR = 1e-7

OutputKind = Literal["logits", "probabilities", "values"]


@dataclass
class Rows:
    """The rows a teacher is asked about, in every form a teacher may need.

    Attributes
    ----------
    frame : pandas.DataFrame
        The raw feature columns, as read from the file.
    matrix : numpy.ndarray
        The same rows after kdistill's preprocessing, ``(n, d)`` float32.
    positions : numpy.ndarray
        Each row's position in the original data file (for saved outputs).
    """

    frame: pd.DataFrame
    matrix: np.ndarray
    positions: np.ndarray


@dataclass
class TeacherOutput:
    """What a teacher said about some rows: ``values`` of shape ``(n, outputs)``."""

    values: np.ndarray
    kind: OutputKind

    def logits(self) -> np.ndarray:
        """Logits: probabilities become log-probabilities (clipped away from 0)."""
        if self.kind == "probabilities":
            return np.log(np.clip(self.values, PROBABILITY_FLOOR, 1.0))
        return self.values


class Teacher(Protocol):
    """Anything that gives outputs for rows; ``name`` labels it in results."""

    name: str

    def outputs(self, rows: Rows) -> TeacherOutput:
        """The teacher's outputs for ``rows``."""
        ...


def _class_order(model_classes: Any, classes: np.ndarray, name: str) -> np.ndarray:
    """Column of the model's output for each of ``classes``, in their order."""
    theirs = [str(c) for c in np.asarray(model_classes).tolist()]
    ours = [str(c) for c in classes.tolist()]
    if sorted(theirs) != sorted(ours):
        raise InputError(
            f"teacher {name} predicts the classes {theirs}, the data has {ours}; "
            "a teacher must know the same classes"
        )
    return np.array([theirs.index(c) for c in ours])


class EstimatorTeacher:
    """A fitted scikit-learn estimator or pipeline (or any model with its API).

    Classifiers give ``predict_proba`` (or, without it, ``decision_function``
    as logits); regressors give ``predict``. XGBoost, LightGBM and CatBoost
    models work through their scikit-learn interfaces.

    Parameters
    ----------
    estimator : object
        The fitted model.
    inputs : {"raw", "preprocessed"}, default="raw"
        Whether it takes the raw feature columns (a fitted pipeline) or
        kdistill's preprocessed matrix (a model kdistill trained).
    name : str, optional
        Its label in the results; by default its class name.
    classes : numpy.ndarray, optional
        The task's classes, to put the model's columns in their order.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> model = LogisticRegression().fit(X, ["a", "a", "b", "b"])
    >>> classes = np.array(["a", "b"])
    >>> teacher = EstimatorTeacher(model, inputs="preprocessed", classes=classes)
    >>> rows = Rows(pd.DataFrame(X), X.astype(np.float32), np.arange(4))
    >>> teacher.outputs(rows).values.shape
    (4, 2)
    """

    def __init__(
        self,
        estimator: Any,
        *,
        inputs: Literal["raw", "preprocessed"] = "raw",
        name: str | None = None,
        classes: np.ndarray | None = None,
    ) -> None:
        self.estimator = estimator
        self.inputs = inputs
        self.name = name or type(estimator).__name__
        self.classes = classes

    def outputs(self, rows: Rows) -> TeacherOutput:
        X = rows.frame if self.inputs == "raw" else rows.matrix
        if self.classes is None:
            return TeacherOutput(
                np.asarray(self.estimator.predict(X), float).reshape(-1, 1), "values"
            )
        order = _class_order(
            getattr(self.estimator, "classes_", self.classes), self.classes, self.name
        )
        if hasattr(self.estimator, "predict_proba"):
            return TeacherOutput(
                np.asarray(self.estimator.predict_proba(X))[:, order], "probabilities"
            )
        scores = np.asarray(self.estimator.decision_function(X), dtype=float)
        if scores.ndim == 1:  # binary: the score of the second class
            scores = np.stack([-scores / 2, scores / 2], axis=1)
        return TeacherOutput(scores[:, order], "logits")


class TorchTeacher:
    """A torch module mapping kdistill's preprocessed rows to logits (or values).

    Parameters
    ----------
    module : torch.nn.Module
        Takes a float32 tensor ``(n, d)`` of preprocessed features.
    name : str, default="torch"
        Its label in the results.
    regression : bool, default=False
        Whether it predicts values (in the target's units) rather than logits.

    Examples
    --------
    >>> teacher = TorchTeacher(torch.nn.Linear(3, 2))
    >>> rows = Rows(pd.DataFrame(), np.zeros((5, 3), np.float32), np.arange(5))
    >>> teacher.outputs(rows).values.shape
    (5, 2)
    """

    def __init__(
        self, module: torch.nn.Module, *, name: str = "torch", regression: bool = False
    ):
        self.module = module
        self.name = name
        self.regression = regression

    def outputs(self, rows: Rows) -> TeacherOutput:
        self.module.eval()
        first = next(
            (m for m in self.module.modules() if isinstance(m, torch.nn.Linear)), None
        )
        if first is not None and first.in_features != rows.matrix.shape[1]:
            raise InputError(
                f"teacher {self.name} takes {first.in_features} inputs, kdistill's "
                f"preprocessing of this data gives {rows.matrix.shape[1]}"
            )
        with torch.no_grad():
            values = self.module(torch.as_tensor(rows.matrix, dtype=torch.float32))
        array = values.double().numpy()
        return TeacherOutput(
            array.reshape(len(array), -1), "values" if self.regression else "logits"
        )


class OnnxTeacher:
    """An ONNX model run with onnxruntime, fed the raw feature columns.

    A model with one input gets the numeric feature columns as one float32
    matrix, in the data file's order; a model with one input per column gets
    each column by name (as exported by skl2onnx from a pipeline). Of its
    outputs, class probabilities (a tensor, or skl2onnx's list of maps) are
    taken for classification, the first float output for regression.

    Parameters
    ----------
    path : str or Path
        The ``.onnx`` file.
    classes : numpy.ndarray, optional
        The task's classes; the model's probability columns must match them
        in number (their order is the model's class order, sorted as
        scikit-learn sorts classes).
    """

    def __init__(self, path: str | Path, *, classes: np.ndarray | None = None) -> None:
        try:
            import onnxruntime
        except ImportError:
            raise InputError(
                "an ONNX teacher needs onnxruntime: pip install onnxruntime"
            ) from None
        self.path = Path(path)
        self.name = self.path.name
        self.classes = classes
        try:
            self.session = onnxruntime.InferenceSession(
                str(self.path), providers=["CPUExecutionProvider"]
            )
        except Exception as error:
            raise InputError(
                f"{self.path}: not a loadable ONNX model ({error})"
            ) from None

    def _feed(self, frame: pd.DataFrame) -> dict[str, np.ndarray]:
        inputs = self.session.get_inputs()
        if len(inputs) == 1:
            numeric = frame.select_dtypes("number")
            if numeric.shape[1] != frame.shape[1]:
                raise InputError(
                    f"{self.name} takes one numeric matrix, but the data has "
                    f"non-numeric columns {sorted(set(frame) - set(numeric))}"
                )
            return {inputs[0].name: numeric.to_numpy(dtype=np.float32)}
        feed = {}
        for spec in inputs:
            if spec.name not in frame.columns:
                raise InputError(f"{self.name} needs an input column {spec.name!r}")
            column = frame[[spec.name]]
            if "string" in spec.type:
                feed[spec.name] = column.astype(str).to_numpy()
            else:
                feed[spec.name] = column.to_numpy(dtype=np.float32)
        return feed

    def outputs(self, rows: Rows) -> TeacherOutput:
        results = self.session.run(None, self._feed(rows.frame))
        for spec, value in zip(self.session.get_outputs(), results, strict=True):
            if isinstance(value, list) and value and isinstance(value[0], dict):
                keys = list(value[0])  # skl2onnx's ZipMap: one {class: p} per row
                if self.classes is not None:
                    order = _class_order(keys, self.classes, self.name)
                    keys = [keys[i] for i in order]
                array = np.array([[row[k] for k in keys] for row in value], dtype=float)
                return self._checked(array, "probabilities")
            array = np.asarray(value)
            if array.dtype.kind == "f":
                kind: OutputKind = "values" if self.classes is None else "probabilities"
                if self.classes is not None and "logit" in spec.name.lower():
                    kind = "logits"
                return self._checked(array.reshape(len(array), -1), kind)
        raise InputError(f"{self.name} gives no float output that kdistill can use")

    def _checked(self, array: np.ndarray, kind: OutputKind) -> TeacherOutput:
        if self.classes is not None and array.shape[1] != len(self.classes):
            raise InputError(
                f"{self.name} gives {array.shape[1]} outputs per row, the data has "
                f"{len(self.classes)} classes"
            )
        return TeacherOutput(array, kind)


class SavedOutputs:
    """Teacher outputs saved in a file, one row per row of the data file.

    CSV and Parquet files have one column per class, named by the class
    labels (any order), or for regression one column; ``.npy`` files hold an
    ``(n_rows, n_classes)`` array in the sorted class order. Whether the
    values are logits or probabilities is read from them: rows of
    non-negative values summing to 1 are probabilities.

    Parameters
    ----------
    path : str or Path
        The file.
    n_rows : int
        Rows of the data file, which the outputs must match.
    classes : numpy.ndarray, optional
        The task's classes (None for regression).
    """

    def __init__(
        self, path: str | Path, *, n_rows: int, classes: np.ndarray | None
    ) -> None:
        from kdistill.data.io import read_table

        self.path = Path(path)
        self.name = self.path.name
        if self.path.suffix.lower() == ".npy":
            if not self.path.is_file():
                raise InputError(f"{self.path}: no such file")
            array = np.load(self.path, allow_pickle=False)
            array = array.reshape(len(array), -1).astype(float)
        else:
            frame = read_table(self.path)
            if classes is not None and frame.shape[1] == len(classes):
                names = [str(c) for c in classes.tolist()]
                headers = [str(c) for c in frame.columns]
                if sorted(headers) != sorted(names):
                    raise InputError(
                        f"{self.path} has the columns {headers}; name them by the "
                        f"classes {names}, so that each column meets its class"
                    )
                frame = frame[[frame.columns[headers.index(n)] for n in names]]
            array = frame.to_numpy(dtype=float)
        n_outputs = 1 if classes is None else len(classes)
        if len(array) != n_rows:
            raise InputError(
                f"{self.path} has {len(array)} rows of outputs, the data has "
                f"{n_rows} rows; "
                "save one row of outputs per row of the data, in the same order"
            )
        if array.shape[1] != n_outputs:
            what = "classes" if classes is not None else "outputs (regression)"
            raise InputError(
                f"{self.path} has {array.shape[1]} columns of outputs, the data has "
                f"{n_outputs} {what}"
            )
        self.array = array
        if classes is None:
            self.kind: OutputKind = "values"
        else:
            # Rows summing to 1 within rounding (probabilities saved with three
            # decimals) are probabilities; anything else is logits.
            sums = array.sum(axis=1)
            probabilities = bool(
                np.all(array >= 0) and np.allclose(sums, 1.0, atol=2e-3)
            )
            self.kind = "probabilities" if probabilities else "logits"

    def outputs(self, rows: Rows) -> TeacherOutput:
        return TeacherOutput(self.array[rows.positions], self.kind)


def _mlp_from_weights(
    state: dict[str, torch.Tensor], path: Path
) -> torch.nn.Sequential:
    """A ReLU MLP laid out as ``state`` (keys ``"<i>.weight"``, ``"<i>.bias"``)."""
    try:
        indices = sorted({int(key.split(".")[0]) for key in state})
        shapes = [tuple(state[f"{i}.weight"].shape) for i in indices]
    except (ValueError, KeyError):
        raise InputError(
            f"{path}: not the weights of an nn.Sequential of Linear and ReLU layers"
        ) from None
    layers: list[torch.nn.Module] = []
    for index, (d_out, d_in) in zip(indices, shapes, strict=True):
        # The places between Linear layers held ReLU (and perhaps Dropout,
        # which does nothing at inference); ReLU twice is ReLU once.
        layers.extend(torch.nn.ReLU() for _ in range(index - len(layers)))
        layers.append(torch.nn.Linear(d_in, d_out))
    model = torch.nn.Sequential(*layers)
    try:
        model.load_state_dict(state)
    except RuntimeError as error:
        raise InputError(f"{path}: the weights do not fit an MLP ({error})") from None
    return model


def load_teacher_model(path: str | Path, *, classes: np.ndarray | None) -> Teacher:
    """A teacher from a model file: skops, ONNX, or torch weights of an MLP.

    - ``.skops``: a fitted scikit-learn model or pipeline, taking the raw
      columns. Its types are listed first and refused unless they come from
      scikit-learn, NumPy, SciPy or the gradient-boosting libraries, so that
      loading never runs arbitrary code.
    - ``.onnx``: see :class:`OnnxTeacher`.
    - ``.safetensors`` or ``.pt``: the state dict of an ``nn.Sequential`` of
      ``Linear`` and ``ReLU`` layers taking kdistill's preprocessed rows
      (``.pt`` is read with ``weights_only=True``).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".onnx":
        return OnnxTeacher(path, classes=classes)
    if suffix in (".safetensors", ".pt"):
        try:
            if suffix == ".safetensors":
                from safetensors.torch import load_file

                state = load_file(path)
            else:
                state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as error:
            raise InputError(
                f"{path}: not readable as the weights of a network ({error}); save "
                "the state_dict of an nn.Sequential with safetensors or torch.save"
            ) from None
        module = _mlp_from_weights(state, path)
        return TorchTeacher(module, name=path.name, regression=classes is None)
    if suffix == ".skops":
        import skops.io

        try:
            untrusted = skops.io.get_untrusted_types(file=path)
        except Exception as error:
            raise InputError(f"{path} is not a readable skops file ({error})") from None
        allowed = ("sklearn.", "numpy.", "scipy.", "lightgbm.", "xgboost.", "catboost.")
        refused = [t for t in untrusted if not t.startswith(allowed)]
        if refused:
            raise InputError(
                f"{path} holds types outside scikit-learn and its numeric libraries "
                f"({refused}); kdistill does not load them"
            )
        try:
            model = skops.io.load(path, trusted=untrusted)
        except Exception as error:
            raise InputError(
                f"{path}: the skops file does not load ({error})"
            ) from None
        return EstimatorTeacher(model, name=path.name, classes=classes)
    raise InputError(
        f"{path}: unsupported teacher model type {suffix!r}; give a .skops, .onnx, "
        ".safetensors or .pt file"
    )
