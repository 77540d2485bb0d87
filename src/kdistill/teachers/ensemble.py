"""A teacher ensemble of any members, its outputs, and how they combine.

Members that kdistill trains (MLPs, trees, boosting) and members given ready
(fitted models, ONNX files, saved outputs) all end as outputs on the training
and test rows. Those outputs are what distillation needs; they are computed
once per data set and teacher, and cached (:class:`TeacherCache`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import torch

from kdistill.config import DistillationConfig
from kdistill.exceptions import InputError
from kdistill.stacked import StackedMLP
from kdistill.teachers.adapters import EstimatorTeacher, Rows, Teacher, TeacherOutput
from kdistill.teachers.kinds import TeacherSpec, parse_teacher_spec
from kdistill.teachers.mlp import train_mlp_ensemble

__all__ = [
    "TeacherCache",
    "TeacherEnsemble",
    "combine",
    "data_fingerprint",
    "file_key",
    "teacher_ensemble",
]

Rule = Literal["logits", "probabilities"]


def combine(
    outputs: Sequence[np.ndarray],
    *,
    rule: Rule = "logits",
    weights: Sequence[float] | None = None,
    regression: bool = False,
) -> np.ndarray:
    """The ensemble's output: a (weighted) mean of its members' outputs.

    Each member's output is ``(n, classes)`` logits (members that only give
    probabilities enter as log-probabilities), or ``(n, 1)`` values.

    - ``rule="logits"`` (the default): the mean of the logits, whose softmax
      is the normalized geometric mean of the members' probabilities.
    - ``rule="probabilities"``: the mean of the probabilities, returned as
      its logarithm, so that it too is a logit.

    Why a temperature still means something for tree models: a forest's or a
    boosted model's log-probabilities are logits like a network's, up to a
    constant per row, which softmax ignores. Dividing them by ``T > 1``
    flattens the distribution toward the classes the trees find plausible
    but not likely, which is what the student learns from; ``T = 1`` keeps
    the ensemble's own probabilities.

    Examples
    --------
    >>> a = np.log(np.array([[0.9, 0.1]]))
    >>> b = np.log(np.array([[0.5, 0.5]]))
    >>> np.exp(combine([a, b], rule="probabilities")).round(2)
    array([[0.7, 0.3]])
    """
    stack = np.stack(outputs)  # (k, n, outputs)
    w = np.ones(len(stack)) if weights is None else np.asarray(weights, dtype=float)
    w = w / w.sum()
    if regression or rule == "logits":
        return np.tensordot(w, stack, axes=1)
    shifted = stack - stack.max(axis=2, keepdims=True)
    probabilities = np.exp(shifted) / np.exp(shifted).sum(axis=2, keepdims=True)
    return np.log(np.clip(np.tensordot(w, probabilities, axes=1), 1e-12, 1.0))


class TeacherCache:
    """Teacher outputs saved in a folder, keyed by a hash of rows and teacher.

    An entry holds the outputs on the training and test rows and, for MLP
    members, their weights, so that a rerun can ship them without training.

    Parameters
    ----------
    folder : Path, optional
        Where entries are written; None keeps no cache.
    sources : sequence of Path
        Folders whose entries may be reused (e.g. an earlier run's cache).
    """

    def __init__(self, folder: Path | None, sources: Sequence[Path] = ()) -> None:
        self.folder = folder
        self.sources = [s for s in sources if s.is_dir()]
        self.hits = 0
        self.misses = 0

    def get(self, key: str) -> CacheEntry | None:
        for place in ([self.folder] if self.folder else []) + self.sources:
            path = place / f"{key}.npz"
            if not path.is_file():
                continue
            try:
                with np.load(path, allow_pickle=False) as data:
                    kind = str(data["kind"])
                    entry = CacheEntry(
                        TeacherOutput(data["train"], kind),  # type: ignore[arg-type]
                        TeacherOutput(data["test"], kind),  # type: ignore[arg-type]
                        {k[6:]: data[k] for k in data.files if k.startswith("state/")},
                    )
            except (OSError, ValueError, KeyError):
                continue  # a damaged entry is a miss
            self.hits += 1
            if self.folder is not None and place != self.folder:
                self.put(key, entry)
            return entry
        self.misses += 1
        return None

    def put(self, key: str, entry: CacheEntry) -> None:
        if self.folder is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, Any] = {
            "train": entry.train.values,
            "test": entry.test.values,
            "kind": np.array(entry.train.kind),
        }
        arrays.update({f"state/{name}": value for name, value in entry.state.items()})
        np.savez(self.folder / f"{key}.npz", **arrays)


@dataclass
class CacheEntry:
    """Outputs of some members on the training and test rows, and their weights."""

    train: TeacherOutput
    test: TeacherOutput
    state: dict[str, np.ndarray] = field(default_factory=dict)


def data_fingerprint(*arrays: Any) -> str:
    """A SHA-256 of the rows and labels a teacher sees (arrays or DataFrames)."""
    digest = hashlib.sha256()
    for array in arrays:
        if isinstance(array, pd.DataFrame):
            digest.update(repr(list(array.columns)).encode())
            array = pd.util.hash_pandas_object(array, index=False).to_numpy()
        data = np.ascontiguousarray(np.asarray(array))
        digest.update(str((data.shape, data.dtype.str)).encode())
        digest.update(
            data.tobytes() if data.dtype != object else repr(data.tolist()).encode()
        )
    return digest.hexdigest()


@dataclass
class TeacherEnsemble:
    """Every member's outputs on the training and test rows.

    Outputs are in the space the student is trained in: logits for
    classification, standardized values for regression.
    """

    names: list[str]
    train: list[np.ndarray]
    test: list[np.ndarray]
    mlp: StackedMLP | None = None
    history: np.ndarray | None = None
    cache: dict[str, int] = field(default_factory=dict)

    def combined(
        self,
        rows: str,
        *,
        rule: Rule,
        weights: Sequence[float] | None,
        regression: bool,
    ) -> np.ndarray:
        outputs = self.train if rows == "train" else self.test
        return combine(outputs, rule=rule, weights=weights, regression=regression)


def teacher_ensemble(
    *,
    task: Any,
    config: DistillationConfig,
    train: Rows,
    test: Rows,
    y_train: torch.Tensor,
    seed: int,
    prefitted: Sequence[Teacher] = (),
    prefitted_keys: Sequence[str] = (),
    cache: TeacherCache | None = None,
    fingerprint: str = "",
    on_epoch: Callable[[int], None] | None = None,
) -> TeacherEnsemble:
    """Train (or fetch from the cache) every member, and collect their outputs.

    ``config.teachers`` lists the kinds to train (by default, when no ready
    teacher is given either: ``mlp`` with ``config.n_members`` members), each
    member seeded from ``seed``;
    ``prefitted`` adds ready teachers, each cached under its entry of
    ``prefitted_keys`` (e.g. a file's hash). ``fingerprint`` identifies the
    rows and labels (see :func:`data_fingerprint`).
    """
    cache = cache or TeacherCache(None)
    hits, misses = cache.hits, cache.misses
    specs = [parse_teacher_spec(s) for s in config.teachers]
    if not specs and not prefitted:
        specs = [TeacherSpec("mlp", config.n_members)]
    ensemble = TeacherEnsemble([], [], [])

    def add(name: str, train_output: np.ndarray, test_output: np.ndarray) -> None:
        ensemble.names.append(name)
        ensemble.train.append(train_output)
        ensemble.test.append(test_output)

    for spec in specs:
        mlp = spec.kind == "mlp"
        recipe = (
            f"{config.teacher.model_dump_json()}|{config.batch_size}" if mlp else ""
        )
        key = _key(fingerprint, spec, seed, recipe)
        entry = cache.get(key)
        if entry is None:
            if mlp:
                entry = _train_mlp(
                    spec, task, config, train, test, y_train, seed, on_epoch
                )
            else:
                entry = _train_kind(spec, task, train, test, y_train, seed)
            cache.put(key, entry)
        if mlp:
            ensemble.mlp = _stacked(spec, task, config, train, entry)
            ensemble.history = entry.state.get("history")
        for i in range(spec.n_members):  # entries hold (members, rows, outputs)
            add(f"{spec.kind}-{i}", entry.train.values[i], entry.test.values[i])

    raw = ""
    if prefitted:  # ready teachers see the raw columns: key them on those too
        raw = data_fingerprint(train.frame, test.frame, train.positions, test.positions)
    for teacher, teacher_key in zip(prefitted, prefitted_keys, strict=True):
        text = f"{fingerprint}|{raw}|{teacher_key}"
        key = hashlib.sha256(text.encode()).hexdigest()[:32]
        entry = cache.get(key)
        if entry is None:
            entry = CacheEntry(teacher.outputs(train), teacher.outputs(test))
            cache.put(key, entry)
        add(
            teacher.name,
            _in_task_space(entry.train, task),
            _in_task_space(entry.test, task),
        )

    if config.weights is not None and len(config.weights) != len(ensemble.names):
        raise InputError(
            f"weights gives {len(config.weights)} weights for {len(ensemble.names)} "
            "members; give one weight per member, trained members first"
        )
    ensemble.cache = {"hits": cache.hits - hits, "misses": cache.misses - misses}
    return ensemble


def _key(fingerprint: str, spec: TeacherSpec, seed: int, recipe: str) -> str:
    from kdistill import __version__

    text = f"{__version__}|{fingerprint}|{spec}|{seed}|{recipe}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _stacked(
    spec: TeacherSpec,
    task: Any,
    config: DistillationConfig,
    train: Rows,
    entry: CacheEntry,
) -> StackedMLP:
    """The MLP members of ``entry``, rebuilt from their saved weights."""
    net = StackedMLP(
        spec.n_members,
        train.matrix.shape[1],
        config.teacher.hidden,
        task.n_outputs,
        dropout=config.teacher.dropout_rates(),
    )
    weights = {k: torch.from_numpy(v) for k, v in entry.state.items() if k != "history"}
    net.load_state_dict(weights)
    return net.eval()


def _in_task_space(output: TeacherOutput, task: Any) -> np.ndarray:
    """A given teacher's output as the student sees it: logits, or scaled values."""
    if output.kind == "values":
        return task.encode(output.values[:, 0]).reshape(-1, 1)
    return output.logits()


def _train_mlp(
    spec: TeacherSpec,
    task: Any,
    config: DistillationConfig,
    train: Rows,
    test: Rows,
    y_train: torch.Tensor,
    seed: int,
    on_epoch: Callable[[int], None] | None,
) -> CacheEntry:
    X_train = torch.as_tensor(train.matrix, dtype=torch.float32)
    net, history = train_mlp_ensemble(
        X_train,
        task.teacher_objective(y_train, spec.n_members),
        n_outputs=task.n_outputs,
        n_members=spec.n_members,
        config=config.teacher,
        batch_size=config.batch_size,
        seed=seed,
        on_epoch=on_epoch,
    )
    X_test = torch.as_tensor(test.matrix, dtype=torch.float32)
    on_train = net.predict(X_train).double().numpy()  # (k, n, outputs)
    on_test = net.predict(X_test).double().numpy()
    state = {k: v.detach().numpy().copy() for k, v in net.state_dict().items()}
    state["history"] = history
    return CacheEntry(
        TeacherOutput(on_train, "logits"), TeacherOutput(on_test, "logits"), state
    )


def _train_kind(
    spec: TeacherSpec,
    task: Any,
    train: Rows,
    test: Rows,
    y_train: torch.Tensor,
    seed: int,
) -> CacheEntry:
    """Fit the members of a non-MLP kind on the preprocessed rows, one by one.

    They learn the encoded target (class indices, or standardized values), so
    their outputs are already in the student's space.
    """
    classification = task.name != "regression"
    outputs: tuple[list[np.ndarray], list[np.ndarray]] = ([], [])
    for i in range(spec.n_members):
        model = spec.build(_member_seed(seed, spec.kind, i), classification)
        model.fit(train.matrix, y_train.numpy())
        classes = np.arange(task.n_outputs) if classification else None
        teacher = EstimatorTeacher(model, inputs="preprocessed", classes=classes)
        for place, rows in zip(outputs, (train, test), strict=True):
            output = teacher.outputs(rows)
            place.append(output.logits() if classification else output.values)
    return CacheEntry(
        TeacherOutput(np.stack(outputs[0]), "logits"),
        TeacherOutput(np.stack(outputs[1]), "logits"),
    )


def _member_seed(seed: int, kind: str, index: int) -> int:
    """A seed for member ``index`` of ``kind`` in run ``seed``, below 2**31."""
    text = f"{seed}|{kind}|{index}".encode()
    return int.from_bytes(hashlib.sha256(text).digest()[:4], "little") >> 1


def file_key(path: str | Path) -> str:
    """A cache key for a teacher given as a file: its name and content hash."""
    path = Path(path)
    return f"{path.name}|{hashlib.sha256(path.read_bytes()).hexdigest()}"
