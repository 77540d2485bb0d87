"""The ``kdistill`` command line: parses, calls the library, prints.

Human-readable text (progress, tables, warnings, errors) goes to standard
error; data (the results file with ``--json -``) to standard output. Exit
status: 0 on success, 2 on bad input or usage, 1 on an internal failure.
"""

from __future__ import annotations

import functools
import shutil
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click
from pydantic import ValidationError
from rich.console import Console
from rich.text import Text

from kdistill import __version__
from kdistill.progress import progress_bars

F = TypeVar("F", bound=Callable[..., Any])

console = Console(stderr=True)


def _fail(message: str, status: int) -> None:
    # Text, not markup: a message may hold brackets, as in kdistill[lightgbm].
    console.print(Text.assemble(("Error:", "bold red"), " ", message), soft_wrap=True)
    sys.exit(status)


def _reports_errors(command: F) -> F:
    """Show kdistill's errors and warnings on stderr; exit with the right status."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from kdistill.exceptions import InputError, KdistillError, KdistillWarning

        def show(message: Any, category: Any, *rest: Any, **more: Any) -> None:
            text = Text.assemble(("Warning:", "yellow"), " ", str(message))
            console.print(text, soft_wrap=True)

        with warnings.catch_warnings():
            warnings.simplefilter("always", KdistillWarning)
            warnings.showwarning = show
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


# Where each command-line option lands in the configuration.
_OPTIONS: dict[str, tuple[str, ...]] = {
    "--seeds": ("seeds",),
    "--members": ("distillation", "n_members"),
    "--temperature": ("distillation", "temperature"),
    "--alpha": ("distillation", "alpha"),
    "--batch-size": ("distillation", "batch_size"),
    "--teacher-epochs": ("distillation", "teacher", "epochs"),
    "--student-epochs": ("distillation", "student", "epochs"),
    "--test-size": ("test_size",),
    "--data": ("data", "path"),
    "--target": ("data", "target"),
    "--test": ("data", "test"),
    "--task": ("data", "task"),
    "--categorical": ("data", "categorical"),
    "--numeric": ("data", "numeric"),
    "--drop": ("data", "drop"),
    "--out": ("out",),
    "--teacher": ("distillation", "teachers"),
    "--teacher-model": ("teacher_models",),
    "--teacher-outputs": ("teacher_outputs",),
    "--combine": ("distillation", "combine"),
    "--augment": ("distillation", "augment"),
    "--augment-size": ("distillation", "augment_size"),
    "--json": ("json",),
}
_LOCATIONS = {loc: option for option, loc in _OPTIONS.items()}


def _describe(
    source: str | None, given: dict[str, Any] | None = None
) -> Callable[[tuple[int | str, ...]], str]:
    """Names a configuration field as the user gave it: an option, or a key.

    ``given`` holds the command-line options the user passed; a field set by
    one of them is named by the option even when a config file is in use.
    """
    from_options = {
        _OPTIONS[option]
        for option, value in (given or {}).items()
        if value not in (None, ())
    }

    def name(loc: tuple[int | str, ...]) -> str:
        keys = tuple(str(part) for part in loc if not isinstance(part, int))
        if keys in _LOCATIONS and (source is None or keys in from_options):
            return _LOCATIONS[keys]
        key = ".".join(keys)
        return f"{key} in {source}" if source else key

    return name


def _recipe_options(command: F) -> F:
    """The options shared by every command that trains."""
    options = [
        click.option(
            "--seeds",
            type=int,
            help="Seeds to run; statistics are over seeds. [default: 1]",
        ),
        click.option(
            "--json",
            "json_path",
            type=click.Path(dir_okay=False, allow_dash=True),
            help="Write the results file here ('-' for standard output).",
        ),
        click.option(
            "--members", type=int, help="Teachers in the ensemble. [default: 12]"
        ),
        click.option(
            "--temperature",
            type=float,
            help="Temperature of the soft targets, > 0. [default: 3.0]",
        ),
        click.option(
            "--alpha",
            type=float,
            help="Weight of the soft-target term, in [0, 1]. [default: 0.7]",
        ),
        click.option(
            "--teacher-epochs",
            type=int,
            help="Training epochs of each teacher. [default: 30]",
        ),
        click.option(
            "--student-epochs",
            type=int,
            help="Training epochs of the students. [default: 50]",
        ),
        click.option("--batch-size", type=int, help="Minibatch size. [default: 64]"),
        click.option(
            "--augment",
            type=click.Choice(["none", "munge", "noise", "mixup"]),
            help="Add synthetic rows labelled by the teachers to the transfer set. "
            "[default: none]",
        ),
        click.option(
            "--augment-size",
            type=float,
            help="Synthetic rows as a multiple of the training rows. [default: 1.0]",
        ),
        click.option(
            "--quiet", "-q", is_flag=True, help="No progress bars and no table."
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _set(config: dict[str, Any], loc: tuple[str, ...], value: Any) -> None:
    """Put ``value`` at ``loc`` in a nested configuration dictionary."""
    for part in loc[:-1]:
        config = config.setdefault(part, {})
    config[loc[-1]] = value


def _merged(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``update`` laid over it, nested tables merged key by key."""
    merged = dict(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merged(merged[key], value)
        else:
            merged[key] = value
    return merged


def _with_options(config: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """The default experiment, overlaid with ``config``, then the options given."""
    from kdistill.config import ExperimentConfig

    config = _merged(ExperimentConfig().model_dump(), config)
    for option, value in given.items():
        if value is None or value == ():
            continue
        _set(config, _OPTIONS[option], value)
    return config


def _check_parent(path: str | None, option: str) -> None:
    """Refuse, before any work, an output path whose folder does not exist."""
    from kdistill.exceptions import InputError

    if path and path != "-" and not Path(path).resolve().parent.is_dir():
        raise InputError(
            f"{option} {path}: the folder {Path(path).parent} does not exist; "
            "create it or choose another path"
        )


def _check_out(out: Path | None, overwrite: bool) -> None:
    """Refuse, before any work, to replace a folder that should stay."""
    from kdistill.exceptions import InputError

    if out is None or not out.exists():
        return
    if not overwrite:
        raise InputError(
            f"{out} already exists; choose another --out, or pass --overwrite "
            "to replace it"
        )
    if not (out / "model.json").is_file():
        raise InputError(
            f"{out} exists and is not a kdistill run directory; --overwrite replaces "
            "run directories only: choose another --out"
        )


def _emit(results: dict[str, Any], json_path: str | None, quiet: bool) -> None:
    from kdistill._io import dumps, write_json
    from kdistill.report import results_view

    if json_path == "-":
        sys.stdout.write(dumps(results))
    elif json_path:
        write_json(json_path, results)
    if not quiet:
        console.print(results_view(results))
        if json_path and json_path != "-":
            console.print(f"results written to {json_path}", highlight=False)


@click.group(
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100}
)
@click.version_option(__version__, prog_name="kdistill")
def cli() -> None:
    """Distill an accurate, heavy ensemble into one small, fast student."""


@cli.command()
@click.option(
    "--out", type=click.Path(file_okay=False), help="Also write a run directory."
)
@click.option(
    "--overwrite", is_flag=True, help="Replace --out if it is a run directory."
)
@_recipe_options
@_reports_errors
def demo(
    json_path: str | None, quiet: bool, out: str | None, overwrite: bool, **recipe: Any
) -> None:
    """Run the reference experiment on the embedded data.

    Twelve MLP teachers (20-256-128-64-2) are distilled into one MLP student
    (20-64-32-2), 160 times smaller, on a synthetic 5,000-row data set; the
    same student trained on the labels alone is the baseline. The defaults
    are the reference experiment's.
    """
    from kdistill.config import ExperimentConfig, input_error
    from kdistill.data import REFERENCE_PARAMS, load_reference
    from kdistill.experiment import dataset_from_arrays, run_experiment

    _check_parent(json_path, "--json")
    _check_out(Path(out) if out else None, overwrite)
    given = {f"--{key.replace('_', '-')}": value for key, value in recipe.items()}
    # The reference split is a plain random one, as the walkthrough's.
    settings = _with_options({"stratify": False}, given)
    try:
        config = ExperimentConfig.model_validate(settings)
    except ValidationError as error:
        raise input_error(error, ExperimentConfig, _describe(None)) from None

    X, y = load_reference()
    dataset = dataset_from_arrays(X, y, name="reference")
    arguments = ", ".join(f"{key}={value!r}" for key, value in REFERENCE_PARAMS.items())
    dataset.description["source"] = f"make_classification({arguments})"
    with _progress(not quiet) as hook:
        result = run_experiment(dataset, config, progress=hook)
    if out is not None:
        _write_run(
            Path(out), result, config, Path(out) / "no-cache", overwrite=overwrite
        )
    _emit(result.results, json_path, quiet)


@cli.command()
@click.argument("config_file", required=False, type=click.Path(dir_okay=False))
@click.option(
    "--data",
    type=click.Path(dir_okay=False),
    help="Training data: CSV, TSV or Parquet.",
)
@click.option("--target", help="The column to predict.")
@click.option(
    "--test",
    type=click.Path(dir_okay=False),
    help="Test rows (else a split of --data).",
)
@click.option("--out", type=click.Path(file_okay=False), help="Run directory to write.")
@click.option("--overwrite", is_flag=True, help="Replace --out if it exists.")
@click.option(
    "--sweep-trials",
    type=int,
    help="First search this many recipes on validation rows (as `kdistill sweep`), "
    "then run the chosen one.",
)
@click.option(
    "--categorical",
    multiple=True,
    help="Treat this column as categorical (repeatable).",
)
@click.option(
    "--numeric", multiple=True, help="Treat this column as numeric (repeatable)."
)
@click.option("--drop", multiple=True, help="Leave this column out (repeatable).")
@click.option(
    "--task",
    type=click.Choice(["auto", "classification", "regression"]),
    help="What to learn; auto infers it from the target. [default: auto]",
)
@click.option(
    "--test-size", type=float, help="Share of rows held out for testing. [default: 0.2]"
)
@click.option(
    "--teacher",
    multiple=True,
    help="Teachers to train, KIND:COUNT (repeatable): mlp, random_forest, extra_trees, "
    "hist_gradient_boosting, lightgbm, xgboost, catboost. [default: mlp:12]",
)
@click.option(
    "--teacher-model",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="A fitted teacher (repeatable): .skops pipeline, .onnx, or MLP weights "
    "(.safetensors, .pt).",
)
@click.option(
    "--teacher-outputs",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="Saved teacher logits or probabilities, one row per row of --data "
    "(repeatable): CSV, Parquet or .npy.",
)
@click.option(
    "--combine",
    type=click.Choice(["logits", "probabilities"]),
    help="Average the members' logits or their probabilities. [default: logits]",
)
@_recipe_options
@_reports_errors
def run(
    config_file: str | None,
    overwrite: bool,
    sweep_trials: int | None,
    json_path: str | None,
    quiet: bool,
    **options: Any,
) -> None:
    """Distill a teacher ensemble into a small student on your own data.

    Give the data with --data and --target, or a config file (TOML) with the
    same settings; options on the command line override the file's. The run
    directory (--out) receives the results, the configuration and the
    fitted preprocessing, student, baseline and teachers, for `kdistill
    predict`.

    \b
    Example:
      kdistill run --data credit.csv --target Status --seeds 3 --out runs/credit
    """
    from kdistill.config import RunConfig, input_error
    from kdistill.configfile import read_config
    from kdistill.exceptions import InputError

    settings = read_config(config_file) if config_file else {}
    given = {f"--{key.replace('_', '-')}": value for key, value in options.items()}
    given["--json"] = json_path
    try:
        config = RunConfig.model_validate(_with_options(settings, given))
    except ValidationError as error:
        raise input_error(error, RunConfig, _describe(config_file, given)) from None
    if sweep_trials is not None and sweep_trials < 1:
        raise InputError(f"--sweep-trials must be at least 1; got {sweep_trials}.")
    if sweep_trials and (config.teacher_models or config.teacher_outputs):
        raise InputError(
            "--sweep-trials searches with teachers kdistill trains; it cannot be "
            "combined with --teacher-model or --teacher-outputs yet"
        )
    _run(config, overwrite=overwrite, quiet=quiet, sweep_trials=sweep_trials)


def _run(
    config: Any, *, overwrite: bool, quiet: bool, sweep_trials: int | None = None
) -> None:
    from kdistill.data.io import read_table
    from kdistill.exceptions import InputError, KdistillWarning
    from kdistill.experiment import dataset_from_frame, run_experiment
    from kdistill.teachers.ensemble import TeacherCache

    out = Path(config.out) if config.out else None
    _check_parent(config.json_path, "--json")
    _check_out(out, overwrite)
    data = config.data
    frame = read_table(data.path)
    if config.teacher_outputs and data.test:
        raise InputError(
            "--teacher-outputs covers the rows of --data only; with --test the "
            "test rows have no saved outputs: drop --test to split --data instead"
        )
    _check_teacher_packages(config.distillation.teachers)
    if config.distillation.teachers and config.distillation.n_members != 12:
        warnings.warn(
            "--members is ignored when --teacher lists the teachers; give the MLP "
            "count as --teacher mlp:COUNT",
            KdistillWarning,
            stacklevel=2,
        )
    dataset = dataset_from_frame(
        frame,
        data.target,
        test=read_table(data.test) if data.test else None,
        categorical=data.categorical,
        numeric=data.numeric,
        drop=data.drop,
        task=data.task,
        name=Path(data.path).stem,
    )
    teachers = _given_teachers(config, n_rows=len(frame))
    where = out.parent if out is not None else None
    if where is not None:
        where.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".kdistill-cache-", dir=where))
    sources = [out / "cache"] if out is not None else []
    cache = TeacherCache(scratch / "cache", sources) if out is not None else None
    experiment = config.experiment()
    search = None
    if sweep_trials:
        from kdistill.sweep import sweep as run_sweep

        found = run_sweep(dataset, experiment, n_trials=sweep_trials, evaluate=False)
        experiment, search = found.chosen, found.search
    try:
        with _progress(not quiet) as hook:
            result = run_experiment(
                dataset, experiment, teachers=teachers, cache=cache, progress=hook
            )
        if search is not None:
            result.results["sweep"] = search
        result.results["config"]["data"]["path"] = data.path
        result.results["config"]["teacher_models"] = list(config.teacher_models)
        result.results["config"]["teacher_outputs"] = list(config.teacher_outputs)
        if out is not None:
            _write_run(out, result, config, scratch / "cache", overwrite=overwrite)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    _emit(result.results, config.json_path, quiet)
    if out is not None and not quiet:
        console.print(f"run directory written to {out}", highlight=False)


def _write_run(
    out: Path, result: Any, config: Any, cache: Path, *, overwrite: bool
) -> None:
    from kdistill._io import atomic_dir, write_json

    with atomic_dir(out, overwrite=overwrite) as folder:
        if cache.is_dir():
            shutil.move(str(cache), folder / "cache")
        result.model.save(folder)
        if result.test_rows is not None:
            # Kept for the parity check of `kdistill export`.
            result.test_rows.rename(columns=str).to_parquet(
                folder / "test_rows.parquet"
            )
        write_json(folder / "results.json", result.results)
        write_json(
            folder / "config.json", config.model_dump(mode="json", by_alias=True)
        )


def _check_teacher_packages(specs: tuple[str, ...]) -> None:
    """Fail before any work when a teacher kind's optional package is missing."""
    from kdistill.teachers.kinds import parse_teacher_spec, require_package

    for spec in specs:
        require_package(parse_teacher_spec(spec).kind)


def _given_teachers(
    config: Any, *, n_rows: int
) -> list[Callable[[Any], tuple[Any, str]]]:
    """Factories of the ready teachers: model files, then saved outputs."""
    from kdistill.teachers.adapters import SavedOutputs, load_teacher_model
    from kdistill.teachers.ensemble import file_key

    def model(path: str) -> Callable[[Any], tuple[Any, str]]:
        def make(task: Any) -> tuple[Any, str]:
            teacher = load_teacher_model(path, classes=getattr(task, "classes", None))
            return teacher, file_key(path)

        return make

    def outputs(path: str) -> Callable[[Any], tuple[Any, str]]:
        def make(task: Any) -> tuple[Any, str]:
            classes = getattr(task, "classes", None)
            return SavedOutputs(path, n_rows=n_rows, classes=classes), file_key(path)

        return make

    return [model(p) for p in config.teacher_models] + [
        outputs(p) for p in config.teacher_outputs
    ]


@cli.command()
@click.argument("run_dir", type=click.Path())
@click.argument("data", type=click.Path())
@click.option(
    "--output",
    "-o",
    required=True,
    type=click.Path(dir_okay=False),
    help="Where to write the predictions (CSV, TSV or Parquet).",
)
@click.option(
    "--id", "id_column", help="Copy this column of DATA to the output, first."
)
@_reports_errors
def predict(run_dir: str, data: str, output: str, id_column: str | None) -> None:
    """Score DATA with the student of RUN_DIR (or of an exported .onnx file).

    The output has one row per input row, in the same order: the predicted
    label (or value) in `prediction`, and for classification one
    `probability_<class>` column per class.
    """
    from kdistill.data.io import read_table, write_table
    from kdistill.exceptions import InputError
    from kdistill.model import DistilledModel

    _check_parent(output, "--output")
    frame = read_table(data)
    if id_column is not None and id_column not in frame.columns:
        raise InputError(f"--id {id_column}: no column {id_column!r} in {data}")
    if run_dir.lower().endswith(".onnx"):
        from kdistill.export.onnx import predict_onnx

        predictions = predict_onnx(run_dir, frame)
    else:
        predictions = DistilledModel.load(run_dir).predict(frame)
    if id_column is not None:
        predictions.insert(0, id_column, frame[id_column].to_numpy())
    write_table(predictions, output)
    console.print(
        f"{len(predictions)} predictions written to {output}", highlight=False
    )


@cli.command()
@click.argument("run_dir", type=click.Path())
@click.option(
    "--format", "kind", type=click.Choice(["onnx"]), default="onnx", show_default=True
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False),
    help="Where to write the file. [default: RUN_DIR/student.onnx]",
)
@_reports_errors
def export(run_dir: str, kind: str, output: str | None) -> None:
    """Export the student of RUN_DIR, preprocessing included, as one ONNX file.

    The file takes the raw feature columns (one input per column) and gives
    the label and the class probabilities (or the prediction). It is checked
    on the run's test rows against the PyTorch pipeline: labels identical,
    probabilities within 1e-5; otherwise nothing is written.
    """
    import pandas as pd

    from kdistill._io import atomic_path
    from kdistill.export.onnx import export_onnx, parity
    from kdistill.model import DistilledModel

    model = DistilledModel.load(run_dir)
    target = Path(output) if output else Path(run_dir) / "student.onnx"
    _check_parent(str(target), "--output")
    test_file = Path(run_dir) / "test_rows.parquet"
    with atomic_path(target) as tmp:
        export_onnx(model, tmp, metadata={"run": str(run_dir)})
        if test_file.is_file():
            check = parity(model, tmp, pd.read_parquet(test_file))
            console.print(
                f"parity on {check['rows']} test rows: {check}", highlight=False
            )
        else:
            console.print("no test rows in the run directory: parity not checked")
    _write_card(Path(run_dir), target)
    console.print(f"ONNX model written to {target} ({target.stat().st_size:,} bytes)")


def _write_card(run_dir: Path, onnx_file: Path) -> None:
    """Write (or refresh) the model card beside an exported file."""
    import json

    from kdistill._io import write_text
    from kdistill.export.card import model_card

    results = json.loads((run_dir / "results.json").read_text())
    card = onnx_file.with_suffix(".md")
    write_text(card, model_card(results, onnx_file))
    console.print(f"model card written to {card}", highlight=False)


@cli.command()
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option(
    "--calls", type=int, default=2000, show_default=True, help="Single-row calls timed."
)
@click.option(
    "--plot",
    type=click.Path(dir_okay=False),
    help="PNG plot. [default: RUN_DIR/latency.png]",
)
@_reports_errors
def bench(run_dir: str, calls: int, plot: str | None) -> None:
    """Time the ensemble, the student and its ONNX export on RUN_DIR's test rows.

    Prints p50 and p99 single-row latency and the throughput on 10,000-row
    batches for the teacher ensemble (PyTorch), the student (PyTorch) and the
    student in ONNX Runtime, with their size on disk; adds the figures to the
    run's results file under "latency" and draws accuracy against latency.
    """
    import json

    from kdistill._io import write_json
    from kdistill.exceptions import InputError
    from kdistill.export.bench import bench_run, plot_latency
    from kdistill.report import latency_view

    target = Path(plot) if plot else Path(run_dir) / "latency.png"
    if not target.parent.is_dir():
        raise InputError(f"--plot {target}: the folder does not exist")
    figures = bench_run(Path(run_dir), n_calls=calls)
    results_file = Path(run_dir) / "results.json"
    results = json.loads(results_file.read_text())
    results["latency"] = figures
    write_json(results_file, results)
    console.print(latency_view(figures))
    plot_latency(figures, results, target)
    if (Path(run_dir) / "student.onnx").is_file():
        _write_card(Path(run_dir), Path(run_dir) / "student.onnx")
    console.print(
        f"figures added to {results_file}; plot written to {target}", highlight=False
    )


@cli.command()
@click.option(
    "--data", type=click.Path(dir_okay=False), help="Training data (else the demo's)."
)
@click.option("--target", help="The column to predict, with --data.")
@click.option(
    "--test", type=click.Path(dir_okay=False), help="Test rows (else a split)."
)
@click.option(
    "--trials", type=int, default=20, show_default=True, help="Candidate recipes."
)
@click.option(
    "--minutes", type=float, help="Stop proposing candidates after this long."
)
@click.option(
    "--student-seeds",
    type=int,
    default=1,
    show_default=True,
    help="Seeds each candidate is trained on.",
)
@click.option(
    "--validation-size",
    type=float,
    default=0.2,
    show_default=True,
    help="Share of the training rows held out to score candidates.",
)
@click.option(
    "--trials-table",
    type=click.Path(dir_okay=False),
    help="Write every trial's recipe and score here (CSV).",
)
@_recipe_options
@_reports_errors
def sweep(
    data: str | None,
    target: str | None,
    test: str | None,
    trials: int,
    minutes: float | None,
    student_seeds: int,
    validation_size: float,
    trials_table: str | None,
    json_path: str | None,
    quiet: bool,
    **recipe: Any,
) -> None:
    """Search for the recipe that distills best, then test it beside the published one.

    Candidates (temperature, alpha, transfer-set augmentation and its size,
    the students' training length) are proposed by Optuna's TPE sampler and
    scored by the distilled student's accuracy on a validation split carved
    from the training rows; the test rows are never read during the search.
    The chosen recipe and the published one (the recipe options given, else
    the defaults) are then trained on all training rows and scored on the
    test rows over --seeds seeds. Without --data, the demo's data is used.
    The results file (--json) is the chosen recipe's, with the published
    recipe's summary under "published" and the search under "sweep".
    """
    from kdistill.config import ExperimentConfig, input_error
    from kdistill.data import load_reference
    from kdistill.data.io import read_table, write_table
    from kdistill.exceptions import InputError
    from kdistill.experiment import dataset_from_arrays, dataset_from_frame
    from kdistill.report import sweep_view
    from kdistill.sweep import sweep as run_sweep

    _check_parent(json_path, "--json")
    _check_parent(trials_table, "--trials-table")
    if trials < 1:
        raise InputError(f"--trials must be at least 1; got {trials}.")
    if student_seeds < 1:
        raise InputError(f"--student-seeds must be at least 1; got {student_seeds}.")
    if not 0 < validation_size < 1:
        raise InputError(f"--validation-size must be in (0, 1); got {validation_size}.")
    given = {f"--{key.replace('_', '-')}": value for key, value in recipe.items()}
    settings = _with_options({} if data else {"stratify": False}, given)
    try:
        config = ExperimentConfig.model_validate(settings)
    except ValidationError as error:
        raise input_error(error, ExperimentConfig, _describe(None)) from None
    if data:
        if not target:
            raise InputError("--data needs --target, the column to predict")
        dataset = dataset_from_frame(
            read_table(data),
            target,
            test=read_table(test) if test else None,
            name=Path(data).stem,
        )
    else:
        X, y = load_reference()
        dataset = dataset_from_arrays(X, y, name="reference")

    def progress(number: int, score: float) -> None:
        if not quiet:
            console.print(f"trial {number}/{trials}: validation accuracy {score:.4f}")

    result = run_sweep(
        dataset,
        config,
        n_trials=trials,
        minutes=minutes,
        student_seeds=student_seeds,
        validation_size=validation_size,
        on_trial=progress,
    )
    assert result.chosen_result is not None and result.published_result is not None
    results = result.chosen_result.results
    results["published"] = {
        "config": result.published_result.results["config"],
        "summary": result.published_result.results["summary"],
    }
    if trials_table:
        write_table(result.trials, trials_table)
    _emit(results, json_path, quiet=True)
    if not quiet:
        console.print(sweep_view(results))


def main() -> None:
    """Entry point of the ``kdistill`` console script."""
    cli(prog_name="kdistill")
