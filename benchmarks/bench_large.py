"""Time and peak memory of `kdistill run` on a generated 100,000-row table.

The table has 50 feature columns: 40 numeric (5% missing) and 10 categorical
with 3 to 300 levels (2% missing), and a binary target that depends on both
kinds. The run uses the reference recipe (12 teachers, 30 + 50 epochs).

    python benchmarks/bench_large.py --rows 100000 --seeds 1
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


def make_table(n_rows: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    numeric = rng.normal(size=(n_rows, 40))
    frame = pd.DataFrame(numeric, columns=[f"num_{i}" for i in range(40)])
    score = numeric[:, :10] @ rng.normal(size=10) + np.sin(3 * numeric[:, 10])
    for i, n_levels in enumerate(np.linspace(3, 300, 10).astype(int)):
        codes = rng.integers(0, n_levels, size=n_rows)
        effects = rng.normal(scale=0.5, size=n_levels)
        score += effects[codes]
        frame[f"cat_{i}"] = np.char.add("level_", codes.astype(str))
    frame["target"] = np.where(score + rng.normal(size=n_rows) > 0, "yes", "no")
    for column in frame.columns[:40]:
        frame.loc[rng.random(n_rows) < 0.05, column] = np.nan
    for column in frame.columns[40:50]:
        frame.loc[rng.random(n_rows) < 0.02, column] = None
    return frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seeds", type=int, default=1)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kdistill-large-"))

    data = work / "large.csv"
    make_table(args.rows).to_csv(data, index=False)
    print(
        f"table: {args.rows} rows x 50 features, {data.stat().st_size / 1e6:.0f} MB CSV"
    )

    command = [
        sys.executable,
        "-m",
        "kdistill",
        "run",
        "--data",
        str(data),
        "--target",
        "target",
        "--seeds",
        str(args.seeds),
        "--out",
        str(work / "run"),
        "--json",
        str(work / "results.json"),
        "-q",
    ]
    clock = time.perf_counter()
    subprocess.run(command, check=True)
    seconds = time.perf_counter() - clock
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB -> MiB
    results = pd.read_json(work / "results.json", typ="series")
    summary = results["summary"]
    print(f"wall time: {seconds:.1f} s ({summary['seconds']})")
    print(f"peak memory (max RSS of the run): {peak:.0f} MiB")
    for name in ("ensemble", "distilled", "baseline"):
        print(f"{name:<10} accuracy {summary[name]['accuracy']['mean']:.4f}")
    print(f"inputs after preprocessing: {results['config']['data']['n_inputs']}")


if __name__ == "__main__":
    main()
