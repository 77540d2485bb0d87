"""The command line: the demo, its results file and its errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kdistill.cli import cli

FAST = ["--members", "2", "--teacher-epochs", "1", "--student-epochs", "1", "-q"]


def _invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--temperature", "0"], "--temperature must be greater than 0; got 0.0."),
        (["--temperature", "-1.5"], "--temperature must be greater than 0; got -1.5."),
        (["--alpha", "1.5"], "--alpha must be in [0, 1]; got 1.5."),
        (["--alpha", "-0.1"], "--alpha must be in [0, 1]; got -0.1."),
        (["--members", "0"], "--members must be at least 1; got 0."),
        (["--seeds", "0"], "--seeds must be at least 1; got 0."),
        (["--batch-size", "0"], "--batch-size must be at least 1; got 0."),
        (["--teacher-epochs", "0"], "--teacher-epochs must be at least 1; got 0."),
        (["--student-epochs", "-3"], "--student-epochs must be at least 1; got -3."),
    ],
)
def test_bad_option_values_exit_2_naming_option_range_and_value(args, message) -> None:
    result = _invoke("demo", *args)
    assert result.exit_code == 2
    assert message in result.output


def test_unknown_option_exits_2_and_suggests() -> None:
    result = _invoke("demo", "--temprature", "3")
    assert result.exit_code == 2
    assert "No such option '--temprature'" in result.output
    assert "Did you mean '--temperature'?" in result.output


def test_non_numeric_value_exits_2() -> None:
    result = _invoke("demo", "--alpha", "high")
    assert result.exit_code == 2
    assert "'high' is not a valid float" in result.output


def test_demo_writes_the_results_file(tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    result = _invoke("demo", *FAST, "--seeds", "3", "--json", str(out))
    assert result.exit_code == 0, result.output
    results = json.loads(out.read_text())
    assert results["task"] == "binary"
    assert results["metric"] == "accuracy"
    assert len(results["runs"]) == 3
    for run in results["runs"]:
        assert len(run["members"]) == 2
        for key in ("ensemble", "distilled", "baseline", "recovered", "seconds"):
            assert key in run
    summary = results["summary"]
    assert summary["parameters"]["student"] == 20 * 64 + 64 + 64 * 32 + 32 + 32 * 2 + 2
    assert summary["parameters"]["member"] == 46658
    assert isinstance(summary["distilled_vs_baseline"]["p_value"], float)
    assert summary["distilled_vs_baseline"]["verdict"]
    for name in ("ensemble", "distilled", "baseline"):
        assert set(summary[name]["accuracy"]) == {"mean", "std", "ci95"}
    config = results["config"]
    assert config["distillation"]["n_members"] == 2
    assert config["data"]["n_test"] == 1000
    assert results["environment"]["torch"]


def _without_timings(obj):
    if isinstance(obj, dict):
        return {k: _without_timings(v) for k, v in obj.items() if k != "seconds"}
    if isinstance(obj, list):
        return [_without_timings(v) for v in obj]
    return obj


def test_same_seed_same_results(tmp_path: Path) -> None:
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    assert _invoke("demo", *FAST, "--json", str(first)).exit_code == 0
    assert _invoke("demo", *FAST, "--json", str(second)).exit_code == 0
    a = json.loads(first.read_text())
    b = json.loads(second.read_text())
    assert _without_timings(a) == _without_timings(b)


def test_results_to_stdout_and_table_to_stderr() -> None:
    result = CliRunner().invoke(
        cli,
        [
            "demo",
            "--members",
            "2",
            "--teacher-epochs",
            "1",
            "--student-epochs",
            "1",
            "--json",
            "-",
        ],
    )
    assert result.exit_code == 0
    assert json.loads(result.stdout)["runs"]
    assert "distilled" in result.stderr
    assert "compression" in result.stderr


def test_a_bad_value_leaves_no_results_file(tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    assert _invoke("demo", "--alpha", "2", "--json", str(out)).exit_code == 2
    assert not out.exists()


@pytest.mark.parametrize("method", ["munge", "noise", "mixup"])
def test_demo_with_a_transfer_set(method: str, tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    result = _invoke(
        "demo", *FAST, "--augment", method, "--augment-size", "0.5", "--json", str(out)
    )
    assert result.exit_code == 0, result.output
    results = json.loads(out.read_text())
    assert results["config"]["distillation"]["augment"] == method
    assert results["runs"][0]["distilled"]["accuracy"] > 0.5


def test_augment_size_is_checked() -> None:
    result = _invoke("demo", "--augment", "munge", "--augment-size", "0")
    assert result.exit_code == 2
    assert "--augment-size must be in (0, 20]; got 0.0." in result.output
