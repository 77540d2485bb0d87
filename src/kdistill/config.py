"""The configuration of a distillation experiment, validated in one place.

The command line, the config file and the Python API all build these models,
so a bad value gets the same check, and a message of the same shape (which
parameter, what it must be, what it got), wherever it comes from.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from kdistill.exceptions import InputError

__all__ = [
    "DataConfig",
    "DistillationConfig",
    "ExperimentConfig",
    "MLPConfig",
    "RunConfig",
    "input_error",
]


def _constraint(expected: str, got: Any) -> PydanticCustomError:
    """A validation error whose message reads "must be {expected}; got {got}"."""
    return PydanticCustomError(
        "constraint", "must be {expected}", {"expected": expected, "got": got}
    )


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MLPConfig(_Model):
    """An MLP and how it is trained (Adam on minibatches)."""

    hidden: tuple[int, ...] = Field(min_length=1)
    dropout: tuple[float, ...] | float = 0.0
    epochs: int = Field(ge=1)
    learning_rate: float = Field(default=1e-3, gt=0)
    weight_decay: float = Field(default=0.0, ge=0)

    @field_validator("hidden")
    @classmethod
    def _positive_widths(cls, hidden: tuple[int, ...]) -> tuple[int, ...]:
        if any(width < 1 for width in hidden):
            raise _constraint("a list of widths of at least 1", list(hidden))
        return hidden

    @field_validator("dropout")
    @classmethod
    def _rates(
        cls, dropout: tuple[float, ...] | float, info: ValidationInfo
    ) -> tuple[float, ...] | float:
        rates = dropout if isinstance(dropout, tuple) else (dropout,)
        if any(not 0 <= p < 1 for p in rates):
            raise _constraint("in [0, 1), one rate or one per hidden layer", dropout)
        hidden = info.data.get("hidden")
        if isinstance(dropout, tuple) and hidden and len(dropout) != len(hidden):
            raise _constraint(
                f"one rate, or {len(hidden)} (one per hidden layer)", list(dropout)
            )
        return dropout

    def dropout_rates(self) -> tuple[float, ...]:
        """One drop rate per hidden layer."""
        if isinstance(self.dropout, tuple):
            return self.dropout
        return (self.dropout,) * len(self.hidden)


REFERENCE_TEACHER = MLPConfig(hidden=(256, 128, 64), dropout=(0.3, 0.3, 0.0), epochs=30)
REFERENCE_STUDENT = MLPConfig(hidden=(64, 32), epochs=50, weight_decay=1e-4)


class DistillationConfig(_Model):
    """Everything that decides how one ensemble is distilled into one student."""

    n_members: int = Field(default=12, ge=1)
    teacher: MLPConfig = REFERENCE_TEACHER
    student: MLPConfig = REFERENCE_STUDENT
    temperature: float = Field(default=3.0, gt=0)
    alpha: float = Field(default=0.7, ge=0, le=1)
    batch_size: int = Field(default=64, ge=1)
    teachers: tuple[str, ...] = ()
    combine: Literal["logits", "probabilities"] = "logits"
    weights: tuple[float, ...] | None = None
    augment: Literal["none", "munge", "noise", "mixup"] = "none"
    augment_size: float = Field(default=1.0, gt=0, le=20)

    @field_validator("teachers")
    @classmethod
    def _known_kinds(cls, teachers: tuple[str, ...]) -> tuple[str, ...]:
        from kdistill.teachers.kinds import parse_teacher_spec

        kinds = []
        for spec in teachers:
            try:
                kinds.append(parse_teacher_spec(spec).kind)
            except InputError as error:
                raise PydanticCustomError("teacher_spec", str(error)) from None
        repeated = sorted({kind for kind in kinds if kinds.count(kind) > 1})
        if repeated:
            message = (
                f"--teacher gives the kind(s) {repeated} more than once; give each "
                "kind once, with its count"
            )
            raise PydanticCustomError("teacher_spec", message)
        return teachers

    @model_validator(mode="after")
    def _one_weight_per_member(self) -> DistillationConfig:
        if self.weights is None or not self.teachers:
            return self
        from kdistill.teachers.kinds import parse_teacher_spec

        n_trained = sum(parse_teacher_spec(spec).n_members for spec in self.teachers)
        if len(self.weights) < n_trained:
            message = (
                f"weights gives {len(self.weights)} weights for at least {n_trained} "
                "members; give one weight per member, trained members first"
            )
            raise PydanticCustomError("teacher_spec", message)
        return self

    @field_validator("weights")
    @classmethod
    def _positive_weights(
        cls, weights: tuple[float, ...] | None
    ) -> tuple[float, ...] | None:
        if weights is not None and (any(w < 0 for w in weights) or sum(weights) <= 0):
            raise _constraint("non-negative weights with a positive sum", list(weights))
        return weights


class ExperimentConfig(_Model):
    """A distillation experiment: the recipe, the seeds and the data split.

    Examples
    --------
    >>> ExperimentConfig(seeds=3).seed_list()
    [0, 1, 2]
    """

    distillation: DistillationConfig = DistillationConfig()
    seeds: int = Field(default=1, ge=1)
    first_seed: int = Field(default=0, ge=0)
    test_size: float = Field(default=0.2, gt=0, lt=1)
    split_seed: int = Field(default=42, ge=0)
    stratify: bool = True
    min_frequency: int = Field(default=10, ge=1)

    def seed_list(self) -> list[int]:
        """The run seeds, ``first_seed`` up to ``first_seed + seeds - 1``."""
        return list(range(self.first_seed, self.first_seed + self.seeds))


def _field_info(model: type[BaseModel], loc: tuple[int | str, ...]) -> Any:
    """The pydantic FieldInfo at ``loc`` in ``model``, or None."""
    info = None
    current: Any = model
    for part in loc:
        fields = getattr(current, "model_fields", None)
        if fields is None or part not in fields:
            return None
        info = fields[part]
        current = info.annotation
    return info


def _allowed(info: Any) -> str | None:
    """The allowed range of a numeric field in words, e.g. 'in [0, 1]'."""
    bounds: dict[str, Any] = {}
    for item in getattr(info, "metadata", []):
        for key in ("gt", "ge", "lt", "le"):
            if getattr(item, key, None) is not None:
                bounds[key] = getattr(item, key)
    low = ("(", bounds["gt"]) if "gt" in bounds else ("[", bounds.get("ge"))
    high = (")", bounds["lt"]) if "lt" in bounds else ("]", bounds.get("le"))
    if low[1] is not None and high[1] is not None:
        return f"in {low[0]}{low[1]}, {high[1]}{high[0]}"
    if low[1] is not None:
        return f"greater than {low[1]}" if low[0] == "(" else f"at least {low[1]}"
    if high[1] is not None:
        return f"less than {high[1]}" if high[0] == ")" else f"at most {high[1]}"
    return None


class DataConfig(_Model):
    """Where the data is and how to read its columns."""

    path: str
    target: str
    test: str | None = None
    categorical: tuple[str, ...] = ()
    numeric: tuple[str, ...] = ()
    drop: tuple[str, ...] = ()
    task: Literal["auto", "classification", "regression"] = "auto"


class RunConfig(ExperimentConfig):
    """A ``kdistill run``: the data, the experiment, and where results go.

    This is the layout of a run's config file (TOML): ``[data]`` and
    ``[distillation]`` (with ``[distillation.teacher]`` and
    ``[distillation.student]``) tables, and the experiment's keys at the top.

    Examples
    --------
    >>> config = RunConfig.model_validate(
    ...     {"data": {"path": "credit.csv", "target": "Status"}, "seeds": 3}
    ... )
    >>> config.data.target, config.seeds
    ('Status', 3)
    """

    data: DataConfig
    teacher_models: tuple[str, ...] = ()
    teacher_outputs: tuple[str, ...] = ()
    out: str | None = None
    json_path: str | None = Field(default=None, alias="json")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    def experiment(self) -> ExperimentConfig:
        """The experiment part of the configuration."""
        fields = ExperimentConfig.model_fields
        return ExperimentConfig(**{name: getattr(self, name) for name in fields})


_TYPES = {
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "float_parsing": "a number",
    "bool_parsing": "true or false",
    "tuple_type": "a list",
    "literal_error": "one of {expected}",
    "string_type": "a string",
    "bool_type": "true or false",
    "too_short": "a list of at least {min_length} items",
}


def _known_keys(model: type[BaseModel], loc: tuple[int | str, ...]) -> list[str]:
    """The valid keys of the (nested) model that holds ``loc``."""
    current: Any = model
    for part in loc[:-1]:
        fields = getattr(current, "model_fields", {})
        if part not in fields:
            return []
        current = fields[part].annotation
    return list(getattr(current, "model_fields", {}))


def input_error(
    error: ValidationError,
    model: type[BaseModel],
    describe: Callable[[tuple[int | str, ...]], str],
) -> InputError:
    """An :class:`InputError` for the first problem in a pydantic error.

    ``describe`` turns a field's location into the name the user knows (a
    command-line option, a constructor parameter). The message says what the
    value must be and what it was, e.g. "--alpha must be in [0, 1]; got 2.0."

    Examples
    --------
    >>> try:
    ...     DistillationConfig(alpha=2.0)
    ... except ValidationError as error:
    ...     print(input_error(error, DistillationConfig, lambda loc: loc[-1]))
    alpha must be in [0, 1]; got 2.0.
    """
    first = error.errors()[0]
    loc = tuple(first["loc"])
    name = describe(loc)
    kind = first["type"]
    ctx = first.get("ctx", {})
    if kind == "constraint":
        return InputError(f"{name} must be {ctx['expected']}; got {ctx['got']!r}.")
    if kind == "teacher_spec":
        return InputError(str(first["msg"]))
    if kind == "missing":
        return InputError(f"{name} is required.")
    if kind == "extra_forbidden":
        known = _known_keys(model, loc)
        close = difflib.get_close_matches(str(loc[-1]), known, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        return InputError(
            f"{name} is not a known setting.{hint} Known settings: {', '.join(known)}."
        )
    if kind in _TYPES:
        expected = _TYPES[kind].format(**ctx)
    else:
        expected = _allowed(_field_info(model, loc)) or str(first["msg"]).lower()
    return InputError(f"{name} must be {expected}; got {first['input']!r}.")
