"""Time `kdistill demo` against a plain one-teacher-at-a-time implementation.

Runs alternate in one session (kdistill, plain, kdistill, plain, ...) so that
both see the same machine load; the figure that counts is the ratio of the
median wall times, each measured from process start to exit. Scores of both
are printed side by side.

    python benchmarks/bench_demo.py --rounds 3
    python benchmarks/bench_demo.py --plain ../shared/reference/article_pipeline.py

`--plain` names another script to compare with; it must accept `--json PATH`
and write {"accuracy": {"ensemble", "distilled", "baseline"}} there (the
reference reconstruction does). Scores over seeds come from `--score-seeds`:
`kdistill demo --seeds N` against N runs of the plain script (with `--seed i`
for ours, `--offset i` for the reference reconstruction).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
KDISTILL = [sys.executable, "-m", "kdistill"]


def timed(command: list[str]) -> float:
    clock = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - clock


def plain_command(script: Path, json_path: Path, seed: int) -> list[str]:
    seed_flag = "--offset" if script.name == "article_pipeline.py" else "--seed"
    return [sys.executable, str(script), "--json", str(json_path), seed_flag, str(seed)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="timed runs of each")
    parser.add_argument("--plain", type=Path, default=HERE / "plain_pytorch.py")
    parser.add_argument(
        "--score-seeds", type=int, default=5, help="seeds for the score comparison"
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kdistill-bench-"))

    ours, theirs = [], []
    for i in range(args.rounds):
        ours.append(timed([*KDISTILL, "demo", "-q", "--json", str(work / "k.json")]))
        theirs.append(timed(plain_command(args.plain, work / "p.json", 0)))
        print(
            f"round {i + 1}: kdistill {ours[-1]:.2f} s, plain {theirs[-1]:.2f} s",
            file=sys.stderr,
        )
    ratio = statistics.median(theirs) / statistics.median(ours)
    print(f"kdistill demo: median {statistics.median(ours):.2f} s {sorted(ours)}")
    print(
        f"{args.plain.name}: median {statistics.median(theirs):.2f} s {sorted(theirs)}"
    )
    print(f"median wall-time ratio: {ratio:.2f}x")

    if args.score_seeds:
        n = args.score_seeds
        path = work / "seeds.json"
        subprocess.run(
            [*KDISTILL, "demo", "-q", "--seeds", str(n), "--json", str(path)],
            check=True,
        )
        summary = json.loads(path.read_text())["summary"]
        plain = {"ensemble": [], "distilled": [], "baseline": []}
        for seed in range(n):
            subprocess.run(
                plain_command(args.plain, work / "p.json", seed),
                check=True,
                stdout=subprocess.DEVNULL,
            )
            scores = json.loads((work / "p.json").read_text())["accuracy"]
            for name in plain:
                plain[name].append(scores[name])
        print(f"\nmean accuracy over {n} seeds   kdistill   {args.plain.name}   diff")
        for name, values in plain.items():
            ours_mean = summary[name]["accuracy"]["mean"]
            theirs_mean = statistics.mean(values)
            print(
                f"{name:<28} {100 * ours_mean:8.2f}   {100 * theirs_mean:8.2f}   "
                f"{100 * (ours_mean - theirs_mean):+.2f}"
            )


if __name__ == "__main__":
    main()
