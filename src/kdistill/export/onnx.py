"""The student and its preprocessing as one ONNX graph, raw columns in.

The fitted ColumnTransformer is written as graph operations, so that the
file needs onnxruntime alone:

- numeric columns, all at once: ``Where(IsNaN(x), median, x)``, missing-value
  indicators ``Cast(IsNaN(x))`` for the columns that had them in training,
  then ``(x - mean) / scale``;
- categorical column (a string): ``ai.onnx.ml.LabelEncoder`` maps each level
  to its one-hot position (rare and unseen levels to the "infrequent" one,
  ``"(missing)"`` to the missing level), and
  ``Equal`` against ``0 .. width - 1`` makes the one-hot block;
- the student: ``MatMul``, ``Add`` and ``Relu`` per layer; then ``Softmax``
  for the probabilities and ``ArgMax`` with ``Gather`` for the label (for
  regression, the prediction rescaled to the target's units).

Inputs are one ``(n, 1)`` tensor per raw feature column, named after it:
float for numeric columns (NaN for missing), string for categorical ones
(``"(missing)"`` for missing). Outputs: ``label``
and ``probabilities`` (``(n, classes)``, in the order of the ``classes``
metadata), or ``prediction``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from torch import nn

from kdistill.data.preprocessing import MISSING_LEVEL
from kdistill.exceptions import InputError, KdistillError
from kdistill.model import DistilledModel
from kdistill.tasks import Classification

__all__ = [
    "ParityError",
    "export_onnx",
    "onnx_feed",
    "parity",
    "predict_onnx",
    "read_onnx_schema",
]

OPSET = 17
ML_OPSET = 3


class ParityError(KdistillError):
    """The exported graph does not give the PyTorch pipeline's answers."""


def _numeric_block(
    model: DistilledModel, helper: Any, nodes: list, inits: list
) -> list[str]:
    """Imputation, indicators and scaling of all numeric columns at once."""
    schema = model.schema
    if not schema.numeric:
        return []
    pipeline = model.preprocessor.named_transformers_["numeric"]
    imputer, scaler = pipeline.named_steps["impute"], pipeline.named_steps["scale"]
    columns = ["numeric__raw"]
    nodes.append(
        helper.make_node("Concat", list(schema.numeric), ["numeric__x"], axis=1)
    )
    nodes.append(helper.make_node("IsNaN", ["numeric__x"], ["numeric__missing"]))
    medians = imputer.statistics_.astype(np.float32)[None, :]
    inits.append(_constant(helper, "numeric__median", medians))
    nodes.append(
        helper.make_node(
            "Where",
            ["numeric__missing", "numeric__median", "numeric__x"],
            ["numeric__raw"],
        )
    )
    if imputer.indicator_ is not None and len(imputer.indicator_.features_):
        features = np.asarray(imputer.indicator_.features_, dtype=np.int64)
        inits.append(_constant(helper, "numeric__with_indicator", features))
        nodes.append(
            helper.make_node(
                "Gather",
                ["numeric__missing", "numeric__with_indicator"],
                ["numeric__missing_some"],
                axis=1,
            )
        )
        nodes.append(
            helper.make_node(
                "Cast", ["numeric__missing_some"], ["numeric__flags"], to=1
            )
        )
        columns.append("numeric__flags")
    nodes.append(helper.make_node("Concat", columns, ["numeric__imputed"], axis=1))
    inits.append(
        _constant(helper, "numeric__mean", scaler.mean_.astype(np.float32)[None, :])
    )
    inits.append(
        _constant(helper, "numeric__scale", scaler.scale_.astype(np.float32)[None, :])
    )
    nodes.append(
        helper.make_node(
            "Sub", ["numeric__imputed", "numeric__mean"], ["numeric__centred"]
        )
    )
    nodes.append(
        helper.make_node("Div", ["numeric__centred", "numeric__scale"], ["numeric"])
    )
    return ["numeric"]


def _categorical_blocks(
    model: DistilledModel, helper: Any, nodes: list, inits: list
) -> list[str]:
    schema = model.schema
    if not schema.categorical:
        return []
    encoder = model.preprocessor.named_transformers_["categorical"].named_steps[
        "encode"
    ]
    infrequent = encoder.infrequent_categories_
    blocks = []
    for i, name in enumerate(schema.categorical):
        levels = [str(v) for v in encoder.categories_[i]]
        rare = {str(v) for v in infrequent[i]} if infrequent[i] is not None else set()
        frequent = [level for level in levels if level not in rare]
        width = len(frequent) + (1 if rare else 0)
        position = {level: frequent.index(level) for level in frequent}
        position.update({level: len(frequent) for level in rare})
        default = len(frequent) if rare else -1
        code = f"{name}__code"
        nodes.append(
            helper.make_node(
                "LabelEncoder",
                [name],
                [code],
                domain="ai.onnx.ml",
                keys_strings=list(position),
                values_int64s=list(position.values()),
                default_int64=default,
            )
        )
        inits.append(
            _constant(
                helper, f"{name}__positions", np.arange(width, dtype=np.int64)[None, :]
            )
        )
        nodes.append(
            helper.make_node("Equal", [code, f"{name}__positions"], [f"{name}__hot"])
        )
        nodes.append(
            helper.make_node("Cast", [f"{name}__hot"], [f"{name}__block"], to=1)
        )
        blocks.append(f"{name}__block")
    return blocks


def _constant(helper: Any, name: str, array: np.ndarray) -> Any:
    from onnx import numpy_helper

    return numpy_helper.from_array(np.ascontiguousarray(array), name=name)


def export_onnx(
    model: DistilledModel, path: str | Path, *, metadata: dict[str, Any] | None = None
) -> Path:
    """Write ``model`` (preprocessing and student) as one ONNX file at ``path``.

    The file's ``kdistill`` metadata holds the schema and the task, so that
    ``kdistill predict`` can check a table against it.
    """
    import onnx
    from onnx import TensorProto, helper

    nodes: list[Any] = []
    inits: list[Any] = []
    inputs = [
        helper.make_tensor_value_info(n, TensorProto.FLOAT, [None, 1])
        for n in model.schema.numeric
    ]
    inputs += [
        helper.make_tensor_value_info(n, TensorProto.STRING, [None, 1])
        for n in model.schema.categorical
    ]
    blocks = _numeric_block(model, helper, nodes, inits) + _categorical_blocks(
        model, helper, nodes, inits
    )
    nodes.append(helper.make_node("Concat", blocks, ["features"], axis=1))

    h = "features"
    linears = [m for m in model.student if isinstance(m, nn.Linear)]
    for i, linear in enumerate(linears):
        inits.append(
            _constant(
                helper, f"W{i}", linear.weight.detach().numpy().T.astype(np.float32)
            )
        )
        inits.append(
            _constant(helper, f"b{i}", linear.bias.detach().numpy().astype(np.float32))
        )
        nodes.append(helper.make_node("MatMul", [h, f"W{i}"], [f"z{i}_"]))
        nodes.append(helper.make_node("Add", [f"z{i}_", f"b{i}"], [f"z{i}"]))
        h = f"z{i}"
        if i < len(linears) - 1:
            nodes.append(helper.make_node("Relu", [h], [f"h{i}"]))
            h = f"h{i}"

    task = model.task
    if isinstance(task, Classification):
        labels = task.classes
        if labels.dtype.kind in "iu":
            label_array, label_type = labels.astype(np.int64), TensorProto.INT64
        else:
            label_array, label_type = (
                labels.astype(str).astype(object),
                TensorProto.STRING,
            )
        nodes.append(helper.make_node("Softmax", [h], ["probabilities"], axis=1))
        nodes.append(helper.make_node("ArgMax", [h], ["index"], axis=1, keepdims=0))
        inits.append(_constant(helper, "classes", label_array))
        nodes.append(
            helper.make_node("Gather", ["classes", "index"], ["label"], axis=0)
        )
        outputs = [
            helper.make_tensor_value_info("label", label_type, [None]),
            helper.make_tensor_value_info(
                "probabilities", TensorProto.FLOAT, [None, len(labels)]
            ),
        ]
    else:
        inits.append(_constant(helper, "target_std", np.array([task.std], np.float32)))
        inits.append(
            _constant(helper, "target_mean", np.array([task.mean], np.float32))
        )
        nodes.append(helper.make_node("Mul", [h, "target_std"], ["scaled"]))
        nodes.append(
            helper.make_node("Add", ["scaled", "target_mean"], ["prediction_"])
        )
        inits.append(_constant(helper, "flat", np.array([-1], dtype=np.int64)))
        nodes.append(
            helper.make_node("Reshape", ["prediction_", "flat"], ["prediction"])
        )
        outputs = [
            helper.make_tensor_value_info("prediction", TensorProto.FLOAT, [None])
        ]

    internal = {name for node in nodes for name in node.output} | {
        i.name for i in inits
    }
    clash = sorted(internal & set(model.schema.features))
    if clash:
        raise InputError(
            f"the column name(s) {clash} are also names inside the ONNX graph; "
            "rename those columns in the data and rerun, then export"
        )
    graph = helper.make_graph(nodes, "kdistill_student", inputs, outputs, inits)
    onnx_model = helper.make_model(
        graph,
        opset_imports=[
            helper.make_opsetid("", OPSET),
            helper.make_opsetid("ai.onnx.ml", ML_OPSET),
        ],
        producer_name="kdistill",
    )
    description = {
        "schema": model.schema.model_dump(),
        "task": task.to_dict(),
        **(metadata or {}),
    }
    helper.set_model_props(onnx_model, {"kdistill": json.dumps(description)})
    onnx.checker.check_model(onnx_model)
    onnx.save(onnx_model, str(path))
    return Path(path)


def onnx_feed(frame: pd.DataFrame, schema: Any) -> dict[str, np.ndarray]:
    """The ONNX file's inputs for the raw rows of ``frame``, schema-checked."""
    from kdistill.data.schema import prepare_features

    features = prepare_features(frame, schema)
    feed: dict[str, np.ndarray] = {}
    for name in schema.numeric:
        feed[name] = features[name].to_numpy(dtype=np.float32).reshape(-1, 1)
    for name in schema.categorical:
        values = features[name].where(features[name].notna(), MISSING_LEVEL)
        feed[name] = values.astype(str).to_numpy(dtype=object).reshape(-1, 1)
    return feed


def parity(
    model: DistilledModel, path: Path, frame: pd.DataFrame, *, tolerance: float = 1e-5
) -> dict[str, float]:
    """Compare the ONNX file's answers with the PyTorch pipeline's on ``frame``.

    Raises :class:`ParityError` when a label differs or a probability (or
    prediction) is further than ``tolerance`` away.
    """
    import onnxruntime

    session = onnxruntime.InferenceSession(
        str(path), providers=["CPUExecutionProvider"]
    )
    results = dict(
        zip(
            [o.name for o in session.get_outputs()],
            session.run(None, onnx_feed(frame, model.schema)),
            strict=True,
        )
    )
    expected = model.predict(frame)
    if "probabilities" in results:
        labels_ok = np.array_equal(
            np.asarray(results["label"]).astype(str),
            expected["prediction"].astype(str).to_numpy(),
        )
        columns = [c for c in expected.columns if c.startswith("probability_")]
        gap = float(
            np.max(np.abs(results["probabilities"] - expected[columns].to_numpy()))
        )
        if not labels_ok or gap > tolerance:
            n_labels = int(
                np.sum(
                    np.asarray(results["label"]).astype(str)
                    != expected["prediction"].astype(str).to_numpy()
                )
            )
            raise ParityError(
                "the ONNX graph disagrees with the PyTorch pipeline on "
                f"{len(frame)} test rows: "
                f"{n_labels} label(s) differ, probabilities differ by up to {gap:.2e} "
                f"(allowed {tolerance:.0e})"
            )
        return {
            "rows": len(frame),
            "max_probability_difference": gap,
            "label_differences": 0,
        }
    gap = float(
        np.max(np.abs(results["prediction"] - expected["prediction"].to_numpy()))
    )
    scale = max(1.0, float(np.max(np.abs(expected["prediction"].to_numpy()))))
    if gap > tolerance * scale:
        raise ParityError(
            "the ONNX graph's predictions differ from the PyTorch pipeline's by up "
            f"to {gap:.2e}"
        )
    return {"rows": len(frame), "max_prediction_difference": gap}


def read_onnx_schema(path: str | Path) -> tuple[Any, dict[str, Any]]:
    """The schema and task an exported file carries in its metadata."""
    import onnx

    from kdistill.data.schema import Schema

    try:
        model = onnx.load(str(path))
        props = {p.key: p.value for p in model.metadata_props}
        description = json.loads(props["kdistill"])
        return Schema.model_validate(description["schema"]), description
    except Exception as error:
        raise InputError(
            f"{path}: not an ONNX file exported by kdistill ({error})"
        ) from None


def predict_onnx(path: str | Path, frame: pd.DataFrame) -> pd.DataFrame:
    """Score ``frame`` with an exported file, checking it against the file's schema."""
    try:
        import onnxruntime
    except ImportError:
        raise InputError(
            "scoring an ONNX file needs onnxruntime: pip install onnxruntime"
        ) from None
    from kdistill.tasks import task_from_dict

    schema, description = read_onnx_schema(path)
    feed = onnx_feed(frame, schema)
    session = onnxruntime.InferenceSession(
        str(path), providers=["CPUExecutionProvider"]
    )
    names = [o.name for o in session.get_outputs()]
    results = dict(zip(names, session.run(None, feed), strict=True))
    task = task_from_dict(description["task"])
    if "probabilities" in results:
        answers: dict[str, Any] = {"prediction": np.asarray(results["label"])}
        assert isinstance(task, Classification)
        for i, label in enumerate(task.classes.tolist()):
            answers[f"probability_{label}"] = results["probabilities"][:, i]
    else:
        answers = {"prediction": results["prediction"]}
    return pd.DataFrame(answers, index=frame.index)
