"""Statistics over seeds: intervals, the paired test and the verdict.

One run proves nothing: on the reference experiment the distilled student's
gain over the baseline moves from seed to seed by about as much as its own
size. Every figure here is therefore given over several seeds, with its
interval, and the comparison of distilled and baseline is paired: both are
scored on the same test rows in each seed.

Two tests answer two questions:

- Exact McNemar, per seed and pooled over seeds: on these test rows, does the
  distilled student get right the rows the baseline gets wrong more often
  than the reverse? Pooling sums the discordant pairs of every seed; under
  the null hypothesis each discordant pair is a fair coin, so the pooled count
  is binomial and the test stays exact. It treats the training runs as fixed.
- A paired t-test on the per-seed gains: is the gain beyond seed noise, that
  is, would another seed most likely also show it? This is the question a
  user asks, so the verdict rests on it when there are 3 seeds or more.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import stats

__all__ = ["interval", "mcnemar_exact", "summarize_runs", "verdict"]

SCORED = ("ensemble", "distilled", "baseline")
ALPHA = 0.05


def mcnemar_exact(
    distilled_correct: np.ndarray, baseline_correct: np.ndarray
) -> dict[str, Any]:
    """Exact McNemar test of two classifiers scored on the same rows.

    Parameters
    ----------
    distilled_correct, baseline_correct : numpy.ndarray of bool, shape (n,)
        Whether each model got each row right.

    Returns
    -------
    dict
        ``distilled_only`` (rows only the distilled student got right),
        ``baseline_only`` and the two-sided ``p_value``.

    Examples
    --------
    >>> a = np.array([True] * 10 + [False] * 2)
    >>> b = np.array([False] * 10 + [True] * 2)
    >>> round(mcnemar_exact(a, b)["p_value"], 4)
    0.0386
    """
    only_distilled = int(np.sum(distilled_correct & ~baseline_correct))
    only_baseline = int(np.sum(~distilled_correct & baseline_correct))
    return {
        "distilled_only": only_distilled,
        "baseline_only": only_baseline,
        "p_value": _binomial_p(only_distilled, only_baseline),
    }


def _binomial_p(wins: int, losses: int) -> float:
    if wins + losses == 0:
        return 1.0
    return float(stats.binomtest(wins, wins + losses, 0.5).pvalue)


def interval(values: Sequence[float]) -> dict[str, Any]:
    """Mean, standard deviation and 95% t-interval of per-seed values.

    With one value the spread is unknown: ``std`` and ``ci95`` are None.

    Examples
    --------
    >>> interval([1.0, 2.0, 3.0])["ci95"]
    [-0.484..., 4.484...]
    """
    x = np.asarray(values, dtype=float)
    mean = float(x.mean())
    if len(x) < 2:
        return {"mean": mean, "std": None, "ci95": None}
    std = float(x.std(ddof=1))
    half = float(stats.t.ppf(0.975, len(x) - 1)) * std / math.sqrt(len(x))
    return {"mean": mean, "std": std, "ci95": [mean - half, mean + half]}


def _recovered(runs: Sequence[dict[str, Any]], metric: str) -> dict[str, Any]:
    """Share of the ensemble's edge recovered, as a ratio of means over seeds.

    The ratio of means is stable where per-seed ratios are not (a seed whose
    ensemble barely beats the baseline gives any ratio at all). Its interval
    is a percentile bootstrap over seeds, resampling whole runs.
    """
    scores = {name: np.array([run[name][metric] for run in runs]) for name in SCORED}

    def ratio(
        ensemble: np.ndarray, distilled: np.ndarray, baseline: np.ndarray
    ) -> float:
        edge = ensemble.mean() - baseline.mean()
        return float((distilled.mean() - baseline.mean()) / edge) if edge else math.nan

    value = ratio(scores["ensemble"], scores["distilled"], scores["baseline"])
    edge = interval(scores["ensemble"] - scores["baseline"])
    result: dict[str, Any] = {
        "mean": None if math.isnan(value) else value,
        "ci95": None,
        "edge": edge,
        "method": "ratio of means over seeds; percentile bootstrap interval",
    }
    if len(runs) >= 3 and not math.isnan(value):
        boot = stats.bootstrap(
            (scores["ensemble"], scores["distilled"], scores["baseline"]),
            ratio,
            paired=True,
            vectorized=False,
            n_resamples=2000,
            method="percentile",
            random_state=0,
        )
        low, high = boot.confidence_interval
        if np.isfinite(low) and np.isfinite(high):
            result["ci95"] = [float(low), float(high)]
    if edge["ci95"] is None or edge["ci95"][0] <= 0:
        result["warning"] = (
            "the ensemble's edge over the baseline is within seed noise, "
            "so the share recovered means little"
        )
    return result


def verdict(
    gain: dict[str, Any], p_value: float, test: str, n_seeds: int, metric: str
) -> str:
    """One plain sentence: is the distilled student's gain beyond seed noise?"""
    points = 100 * gain["mean"]
    size = f"{points:+.2f} points of {metric}"
    if n_seeds < 3:
        return (
            f"The distilled student's gain over the baseline is {size} ({test}, "
            f"p = {p_value:.3g}); {n_seeds} seed(s) cannot tell it from seed "
            "noise: run 3 or more."
        )
    if p_value < ALPHA and points > 0:
        return f"The gain of {size} is beyond seed noise ({test}, p = {p_value:.3g})."
    if p_value < ALPHA:
        return (
            f"The distilled student is worse than the baseline by {-points:.2f} "
            f"points, beyond seed noise ({test}, p = {p_value:.3g})."
        )
    return f"The gain of {size} is not beyond seed noise ({test}, p = {p_value:.3g})."


def summarize_runs(
    runs: Sequence[dict[str, Any]],
    correct: Sequence[tuple[np.ndarray, np.ndarray]],
    *,
    metric: str = "accuracy",
) -> dict[str, Any]:
    """Statistics over seeds of the per-seed results.

    Parameters
    ----------
    runs : sequence of dict
        One result per seed, each with ``ensemble``, ``distilled``, ``baseline``
        and ``members`` scores.
    correct : sequence of (numpy.ndarray, numpy.ndarray)
        Per seed, which test rows the distilled student and the baseline got
        right.
    metric : str, default="accuracy"
        The headline score, higher is better.

    Returns
    -------
    dict
        The ``summary`` of the results file.
    """
    summary: dict[str, Any] = {}
    for name in SCORED:
        keys = runs[0][name].keys()
        summary[name] = {
            key: interval([run[name][key] for run in runs]) for key in keys
        }
    member_scores = [m[metric] for run in runs for m in run["members"]]
    summary["members"] = {metric: interval(member_scores)}
    summary["recovered"] = _recovered(runs, metric)

    gains = [run["distilled"][metric] - run["baseline"][metric] for run in runs]
    per_seed = [mcnemar_exact(d, b) for d, b in correct]
    wins = sum(t["distilled_only"] for t in per_seed)
    losses = sum(t["baseline_only"] for t in per_seed)
    pooled = {
        "distilled_only": wins,
        "baseline_only": losses,
        "p_value": _binomial_p(wins, losses),
    }
    comparison: dict[str, Any] = {
        "gain": interval(gains),
        "mcnemar": {"per_seed": [t["p_value"] for t in per_seed], "pooled": pooled},
    }
    if len(runs) >= 3 and np.ptp(gains) > 0:
        t_test = stats.ttest_1samp(gains, 0.0)
        comparison["t_test"] = {
            "statistic": float(t_test.statistic),
            "p_value": float(t_test.pvalue),
        }
        p_value, test = float(t_test.pvalue), f"paired t-test over {len(runs)} seeds"
    else:
        p_value, test = pooled["p_value"], "exact McNemar test pooled over seeds"
    comparison["p_value"] = p_value
    comparison["test"] = test
    comparison["verdict"] = verdict(
        comparison["gain"], p_value, test, len(runs), metric
    )
    summary["distilled_vs_baseline"] = comparison
    return summary
