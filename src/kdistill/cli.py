"""The ``kdistill`` command line: parses, calls the library, prints.

Human-readable text (progress, tables, errors) goes to standard error; data
(the results file with ``--json -``) to standard output. Exit status: 0 on
success, 2 on bad input or usage, 1 on an internal failure.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import click
from pydantic import ValidationError
from rich.console import Console

from kdistill import __version__
from kdistill.progress import progress_bars

F = TypeVar("F", bound=Callable[..., Any])

console = Console(stderr=True)


def _fail(message: str, status: int) -> None:
    console.print(f"[bold red]Error:[/] {message}", highlight=False)
    sys.exit(status)


def _reports_errors(command: F) -> F:
    """Report kdistill's errors on stderr and exit with the documented status."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from kdistill.exceptions import InputError, KdistillError

        try:
            return command(*args, **kwargs)
        except InputError as error:
            _fail(str(error), 2)
        except KdistillError as error:
            _fail(str(error), 1)

    return wrapper  # type: ignore[return-value]


@contextmanager
def _progress(enabled: bool) -> Iterator[Callable[[str, int, int], None] | None]:
    """Progress bars on stderr, or no hook at all when quiet."""
    if not enabled:
        yield None
        return
    with progress_bars(console) as hook:
        yield hook


# Where each option's value lands in the configuration, for error messages.
_DEMO_OPTIONS: dict[tuple[int | str, ...], str] = {
    ("seeds",): "--seeds",
    ("distillation", "n_members"): "--members",
    ("distillation", "temperature"): "--temperature",
    ("distillation", "alpha"): "--alpha",
    ("distillation", "batch_size"): "--batch-size",
    ("distillation", "teacher", "epochs"): "--teacher-epochs",
    ("distillation", "student", "epochs"): "--student-epochs",
}


def _option_name(loc: tuple[int | str, ...]) -> str:
    return _DEMO_OPTIONS.get(tuple(loc), ".".join(str(part) for part in loc))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kdistill")
def cli() -> None:
    """Distill an accurate, heavy ensemble into one small, fast student."""


@cli.command()
@click.option(
    "--seeds",
    type=int,
    default=1,
    show_default=True,
    help="Seeds to run; statistics are over seeds.",
)
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Write the results file here ('-' for standard output).",
)
@click.option(
    "--members",
    type=int,
    default=12,
    show_default=True,
    help="Teachers in the ensemble.",
)
@click.option(
    "--temperature",
    type=float,
    default=3.0,
    show_default=True,
    help="Softmax temperature of the soft targets, > 0.",
)
@click.option(
    "--alpha",
    type=float,
    default=0.7,
    show_default=True,
    help="Weight of the soft-target term, in [0, 1].",
)
@click.option(
    "--teacher-epochs",
    type=int,
    default=30,
    show_default=True,
    help="Training epochs of each teacher.",
)
@click.option(
    "--student-epochs",
    type=int,
    default=50,
    show_default=True,
    help="Training epochs of the students.",
)
@click.option(
    "--batch-size",
    type=int,
    default=64,
    show_default=True,
    help="Minibatch size for teachers and students.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bars and no table.")
@_reports_errors
def demo(
    seeds: int,
    json_path: str | None,
    members: int,
    temperature: float,
    alpha: float,
    teacher_epochs: int,
    student_epochs: int,
    batch_size: int,
    quiet: bool,
) -> None:
    """Run the reference experiment on the embedded data.

    Twelve MLP teachers (20-256-128-64-2) are distilled into one MLP student
    (20-64-32-2), 160 times smaller, on a synthetic 5,000-row data set; the
    same student trained on the labels alone is the baseline. The defaults
    are the reference experiment's.
    """
    from kdistill._io import dumps, write_json
    from kdistill.config import (
        REFERENCE_STUDENT,
        REFERENCE_TEACHER,
        ExperimentConfig,
        input_error,
    )
    from kdistill.data import REFERENCE_PARAMS, load_reference
    from kdistill.experiment import run_experiment
    from kdistill.report import results_view

    try:
        config = ExperimentConfig.model_validate(
            {
                "seeds": seeds,
                "distillation": {
                    "n_members": members,
                    "temperature": temperature,
                    "alpha": alpha,
                    "batch_size": batch_size,
                    "teacher": {
                        **REFERENCE_TEACHER.model_dump(),
                        "epochs": teacher_epochs,
                    },
                    "student": {
                        **REFERENCE_STUDENT.model_dump(),
                        "epochs": student_epochs,
                    },
                },
            }
        )
    except ValidationError as error:
        raise input_error(error, ExperimentConfig, _option_name) from None

    X, y = load_reference()
    arguments = ", ".join(f"{key}={value!r}" for key, value in REFERENCE_PARAMS.items())
    data = {"name": "reference", "source": f"make_classification({arguments})"}
    with _progress(not quiet) as hook:
        results = run_experiment(X, y, config, data=data, stratify=False, progress=hook)

    if json_path == "-":
        sys.stdout.write(dumps(results))
    elif json_path:
        write_json(json_path, results)
    if not quiet:
        console.print(results_view(results))
        if json_path and json_path != "-":
            console.print(f"results written to {json_path}", highlight=False)


def main() -> None:
    """Entry point of the ``kdistill`` console script."""
    cli(prog_name="kdistill")
