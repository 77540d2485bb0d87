"""The shippable result of a run: preprocessing, student, and how to use them.

A run directory holds, besides the results file and the configuration:

- ``model.json``: the schema of the raw columns, the task (classes, or the
  target's scaling), the networks' architectures and the library versions;
- ``preprocessing.skops``: the fitted scikit-learn ColumnTransformer, saved
  with skops, which loads it without unpickling arbitrary code;
- ``student.safetensors``, ``baseline.safetensors``, ``teachers.safetensors``:
  the weights, in safetensors, which holds tensors and nothing else.

Loading checks every piece and refuses a folder that is not a run or is
damaged, saying which file is at fault.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from sklearn.compose import ColumnTransformer
from torch import nn

from kdistill._io import write_json
from kdistill.data.schema import Schema, prepare_features
from kdistill.exceptions import InputError
from kdistill.stacked import StackedMLP
from kdistill.tasks import Task, task_from_dict

__all__ = ["MODEL_FILES", "DistilledModel"]

FORMAT_VERSION = 1
MODEL_FILES = (
    "model.json",
    "preprocessing.skops",
    "student.safetensors",
    "baseline.safetensors",
)
# Types a saved ColumnTransformer may hold beyond those skops trusts itself.
_TRUSTED_TYPES = {"numpy.dtype"}


def _sequential(hidden: list[int], d_in: int, d_out: int) -> nn.Sequential:
    """A ReLU MLP laid out as :meth:`StackedMLP.member` lays one out."""
    return StackedMLP(1, d_in, hidden, d_out).member(0)


@dataclass
class DistilledModel:
    """Raw columns in, answers out: the schema, preprocessing and networks.

    Attributes
    ----------
    schema : Schema
        The raw feature columns and their kinds.
    preprocessor : ColumnTransformer
        Fitted on the training rows; its output is the networks' input.
    task : Classification or Regression
        What the outputs mean.
    student, baseline : torch.nn.Sequential
        The distilled student and the same network trained on labels alone.
    teachers : StackedMLP or None
        The MLP teachers, when the ensemble was made of them alone (other
        members are not kept with the model).
    teacher_names : list of str, optional
        The names of all the ensemble's members.
    """

    schema: Schema
    preprocessor: ColumnTransformer
    task: Task
    student: nn.Sequential
    baseline: nn.Sequential
    teachers: StackedMLP | None = None
    teacher_names: list[str] | None = None

    def inputs(self, frame: pd.DataFrame) -> torch.Tensor:
        """The networks' input for the rows of ``frame``, checked against the schema."""
        features = prepare_features(frame, self.schema)
        return torch.as_tensor(
            self.preprocessor.transform(features), dtype=torch.float32
        )

    def outputs(self, frame: pd.DataFrame, *, model: str = "student") -> torch.Tensor:
        """Logits (or standardized predictions) of ``model`` for ``frame``.

        ``model`` is ``"student"``, ``"baseline"`` or ``"ensemble"``.
        """
        rows = self.inputs(frame)
        with torch.no_grad():
            if model == "ensemble":
                names = self.teacher_names or []
                if self.teachers is None or len(names) > self.teachers.n_members:
                    raise InputError(
                        "this model keeps only part of its teacher ensemble (its MLP "
                        "members), so it cannot give the ensemble's outputs"
                    )
                return self.task.ensemble(self.teachers(rows))
            network = {"student": self.student, "baseline": self.baseline}[model]
            return network(rows)

    def predict(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The student's answers for each row, in the order of ``frame``.

        A ``prediction`` column (labels spelled as in training, or values),
        and for classification one ``probability_<class>`` column per class.
        """
        answers = self.task.answers(self.outputs(frame))
        return pd.DataFrame(answers, index=frame.index)

    def save(self, folder: Path, *, extra: dict[str, Any] | None = None) -> None:
        """Write the model files into ``folder`` (which must exist)."""
        import skops.io
        from safetensors.torch import save_file

        from kdistill import __version__

        skops.io.dump(self.preprocessor, folder / "preprocessing.skops")
        save_file(
            _contiguous(self.student.state_dict()), folder / "student.safetensors"
        )
        save_file(
            _contiguous(self.baseline.state_dict()), folder / "baseline.safetensors"
        )
        if self.teachers is not None:
            state = _contiguous(self.teachers.state_dict())
            save_file(state, folder / "teachers.safetensors")
        linears = [m for m in self.student if isinstance(m, nn.Linear)]
        description = {
            "format": FORMAT_VERSION,
            "kdistill_version": __version__,
            "torch_version": torch.__version__,
            "schema": self.schema.model_dump(),
            "task": self.task.to_dict(),
            "n_inputs": linears[0].in_features,
            "student": {"hidden": [m.out_features for m in linears[:-1]]},
            "teachers": None
            if self.teachers is None
            else {
                "n_members": self.teachers.n_members,
                "hidden": list(self.teachers.sizes[1:-1]),
                "dropout": list(self.teachers.dropout),
            },
            "teacher_names": self.teacher_names,
            **(extra or {}),
        }
        write_json(folder / "model.json", description)

    @classmethod
    def load(cls, folder: str | Path) -> DistilledModel:
        """Load a run directory written by :meth:`save`, checking each file."""
        from safetensors.torch import load_file

        folder = Path(folder)
        if not folder.is_dir():
            raise InputError(f"{folder}: not a folder; give the --out folder of a run")
        missing = [name for name in MODEL_FILES if not (folder / name).is_file()]
        if missing:
            raise InputError(
                f"{folder} is not a kdistill run directory (missing "
                f"{', '.join(missing)}); give the --out folder of a finished "
                "`kdistill run`"
            )
        try:
            description = json.loads((folder / "model.json").read_text())
            if description.get("format") != FORMAT_VERSION:
                raise ValueError(
                    f"format {description.get('format')!r} is not {FORMAT_VERSION}"
                )
            schema = Schema.model_validate(description["schema"])
            task = task_from_dict(description["task"])
            d_in = int(description["n_inputs"])
            hidden = list(description["student"]["hidden"])
            teachers_spec = description.get("teachers")
            names = description.get("teacher_names")
        except (ValueError, KeyError, TypeError) as error:
            raise InputError(f"{folder / 'model.json'} is damaged ({error})") from None
        preprocessor = _load_preprocessor(folder / "preprocessing.skops")
        student = _sequential(hidden, d_in, task.n_outputs)
        baseline = _sequential(hidden, d_in, task.n_outputs)
        networks: list[tuple[str, nn.Module]] = [
            ("student", student),
            ("baseline", baseline),
        ]
        teachers = None
        if teachers_spec:
            teachers = StackedMLP(
                teachers_spec["n_members"],
                d_in,
                teachers_spec["hidden"],
                task.n_outputs,
                dropout=teachers_spec["dropout"],
            )
            networks.append(("teachers", teachers))
        for name, network in networks:
            path = folder / f"{name}.safetensors"
            try:
                network.load_state_dict(load_file(path))
            except Exception as error:
                raise InputError(f"{path} is damaged ({error})") from None
            network.eval()
        return cls(schema, preprocessor, task, student, baseline, teachers, names)


def _contiguous(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {key: value.detach().contiguous() for key, value in state.items()}


def _load_preprocessor(path: Path) -> ColumnTransformer:
    import skops.io

    try:
        untrusted = set(skops.io.get_untrusted_types(file=path))
    except Exception as error:
        raise InputError(f"{path} is damaged ({error})") from None
    unexpected = untrusted - _TRUSTED_TYPES
    if unexpected:
        raise InputError(
            f"{path} holds types kdistill does not write ({sorted(unexpected)}); "
            "it is damaged or was not written by kdistill, and is not loaded"
        )
    try:
        preprocessor = skops.io.load(path, trusted=sorted(untrusted))
    except Exception as error:
        raise InputError(f"{path} is damaged ({error})") from None
    if not isinstance(preprocessor, ColumnTransformer):
        raise InputError(f"{path} does not hold a ColumnTransformer")
    return preprocessor


def frame_from_array(X: np.ndarray, columns: list[str] | None = None) -> pd.DataFrame:
    """A DataFrame of numeric columns ``x0, x1, ...`` from a 2-D array."""
    names = columns or [f"x{i}" for i in range(X.shape[1])]
    return pd.DataFrame(X, columns=names)
