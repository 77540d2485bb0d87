"""Statistics over seeds: intervals, the paired tests and the verdict.

One run proves nothing: on the reference experiment the distilled student's
gain over the baseline moves from seed to seed by about as much as its own
size. Every figure here is therefore given over several seeds, with its
interval, and the comparison of distilled and baseline is paired: both are
scored on the same test rows in each seed.

Two tests answer two questions:

- Exact McNemar per seed, and its extension to several seeds on the same test
  rows: does the distilled student get right the rows the baseline gets wrong
  more often than the reverse? Seeds share their test rows, so their
  discordant pairs are not independent; the pooled test therefore counts
  rows, not pairs: each row scores the number of seeds in which only the
  distilled student got it right minus the number in which only the baseline
  did, and an exact sign test asks whether positive rows outnumber negative
  ones. With one seed this is McNemar's exact test. It treats the training
  runs as fixed: it says nothing about another seed.
- A t-test on the per-seed gains: is the gain beyond seed noise, that is,
  would another seed most likely show it too? This is the question a user
  asks, so the verdict rests on it when there are 3 seeds or more.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import stats

__all__ = [
    "SIGNIFICANCE_LEVEL",
    "bootstrap_interval",
    "interval",
    "mcnemar_exact",
    "paired_errors_test",
    "recovered",
    "summarize_runs",
    "verdict",
]

#: Tests below this p-value count as evidence.
SIGNIFICANCE_LEVEL = 0.05

_SCORED = ("ensemble", "distilled", "baseline")


def _sign_test(wins: int, losses: int) -> float:
    """Two-sided exact sign test: are wins and losses a fair coin's?"""
    if wins + losses == 0:
        return 1.0
    return float(stats.binomtest(wins, wins + losses, 0.5).pvalue)


def mcnemar_exact(
    distilled_correct: np.ndarray, baseline_correct: np.ndarray
) -> dict[str, Any]:
    """Exact McNemar test of two classifiers scored on the same rows.

    Parameters
    ----------
    distilled_correct, baseline_correct : numpy.ndarray of bool
        Whether each model got each row right, shape ``(n,)``; or, for
        several seeds on the same rows, shape ``(n_seeds, n)``. Then each row
        counts once, by the sign of (seeds only the distilled student got it
        right) minus (seeds only the baseline did).

    Returns
    -------
    dict
        ``distilled_only`` (rows only the distilled student got right, or
        rows whose balance favours it), ``baseline_only`` and the two-sided
        ``p_value``.

    Examples
    --------
    >>> a = np.array([True] * 10 + [False] * 2)
    >>> b = np.array([False] * 10 + [True] * 2)
    >>> round(mcnemar_exact(a, b)["p_value"], 4)
    0.0386
    """
    d = np.atleast_2d(distilled_correct)
    b = np.atleast_2d(baseline_correct)
    balance = (d & ~b).sum(axis=0) - (~d & b).sum(axis=0)
    wins, losses = int(np.sum(balance > 0)), int(np.sum(balance < 0))
    return {
        "distilled_only": wins,
        "baseline_only": losses,
        "p_value": _sign_test(wins, losses),
    }


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


def bootstrap_interval(
    values: Sequence[float], *, n_resamples: int = 10_000, seed: int = 0
) -> list[float] | None:
    """A BCa bootstrap 95% interval of the mean of per-seed ``values``.

    It needs no normality, unlike the t-interval beside it; with few seeds
    it is narrower than it should be, which is why the verdict rests on the
    t-test. None with fewer than 3 values, or when all are equal.

    Examples
    --------
    >>> low, high = bootstrap_interval([0.1, 0.3, 0.2, 0.4, 0.25])
    >>> bool(low < 0.25 < high)
    True
    """
    x = np.asarray(values, dtype=float)
    if len(x) < 3 or np.ptp(x) == 0:
        return None
    result = stats.bootstrap(
        (x,),
        np.mean,
        n_resamples=n_resamples,
        method="BCa",
        random_state=np.random.default_rng(seed),
    )
    low, high = result.confidence_interval
    if not (np.isfinite(low) and np.isfinite(high)):
        return None
    return [float(low), float(high)]


def _fieller(gain: np.ndarray, edge: np.ndarray) -> list[float] | None:
    """Fieller's 95% interval for mean(gain) / mean(edge), paired by seed.

    It is the set of ratios r for which mean(gain) - r * mean(edge) is not
    significantly different from 0 (a t-test on the per-seed differences).
    When the edge itself is within noise the set is unbounded: None.
    """
    n = len(gain)
    t2 = float(stats.t.ppf(0.975, n - 1)) ** 2
    cov = np.cov(np.vstack([gain, edge]), ddof=1) / n  # covariance of the means
    g, e = gain.mean(), edge.mean()
    a = e**2 - t2 * cov[1, 1]
    b = g * e - t2 * cov[0, 1]
    c = g**2 - t2 * cov[0, 0]
    discriminant = b**2 - a * c
    if a <= 0 or discriminant < 0:
        return None
    root = math.sqrt(discriminant)
    return [float((b - root) / a), float((b + root) / a)]


def recovered(runs: Sequence[dict[str, Any]], metric: str) -> dict[str, Any]:
    """Share of the ensemble's edge recovered, as a ratio of means over seeds.

    ``(mean distilled - mean baseline) / (mean ensemble - mean baseline)``: the
    ratio of means is stable where per-seed ratios are not (a seed whose
    ensemble barely beats the baseline gives any ratio at all). Its 95%
    interval is Fieller's, which is honest about a denominator near 0: when
    the ensemble's edge over the baseline is within seed noise, there is no
    bounded interval, and a warning says so.

    Examples
    --------
    >>> runs = [
    ...     {"ensemble": {"acc": e}, "distilled": {"acc": d}, "baseline": {"acc": 0.9}}
    ...     for e, d in [(0.95, 0.93), (0.96, 0.92), (0.94, 0.93), (0.95, 0.925)]
    ... ]
    >>> round(recovered(runs, "acc")["mean"], 3)
    0.525
    """
    scores = {name: np.array([run[name][metric] for run in runs]) for name in _SCORED}
    gain = scores["distilled"] - scores["baseline"]
    edge = scores["ensemble"] - scores["baseline"]
    result: dict[str, Any] = {
        "mean": float(gain.mean() / edge.mean()) if edge.mean() > 0 else None,
        "ci95": None,
        "edge": interval(edge),
        "method": "ratio of means over seeds; Fieller 95% interval",
    }
    if edge.mean() <= 0:
        result["warning"] = (
            "the ensemble does not beat the baseline on average: there is no "
            "edge to recover"
        )
        return result
    if len(runs) < 3:
        result["warning"] = (
            f"{len(runs)} seed(s) give no interval for the share recovered: "
            "run 3 or more"
        )
        return result
    result["ci95"] = _fieller(gain, edge)
    if result["ci95"] is None:
        result["warning"] = (
            "the ensemble's edge over the baseline is within seed noise, so the "
            "share recovered has no bounded interval and means little"
        )
    return result


def verdict(gains: Sequence[float], p_value: float, test: str, metric: str) -> str:
    """One plain sentence: is the distilled student's gain beyond seed noise?

    Examples
    --------
    >>> print(verdict([0.01, 0.012, 0.009], 0.003, "t-test, 3 seeds", "accuracy"))
    The gain of +1.03 points of accuracy is beyond seed noise (t-test, 3 seeds,
    p = 0.003).
    """
    n_seeds = len(gains)
    # Accuracy reads best in percentage points, other scores as they are.
    scale, unit = (100, "points of ") if metric == "accuracy" else (1, "")
    points = scale * float(np.mean(gains))
    size = (
        f"{points:+.2f} {unit}{metric}" if scale == 100 else f"{points:+.4f} {metric}"
    )
    if n_seeds < 3:
        return (
            f"The distilled student's gain over the baseline is {size} ({test}, "
            f"p = {p_value:.3g}); {n_seeds} seed{'s' if n_seeds > 1 else ''} cannot "
            "tell it from seed noise: run 3 or more."
        )
    if np.ptp(gains) == 0:
        return (
            f"The gain is {size} in every one of {n_seeds} seeds: "
            "there is no seed noise."
        )
    if p_value >= SIGNIFICANCE_LEVEL:
        return (
            f"The gain of {size} is not beyond seed noise ({test}, p = {p_value:.3g})."
        )
    if points > 0:
        return f"The gain of {size} is beyond seed noise ({test}, p = {p_value:.3g})."
    return (
        f"The distilled student is worse than the baseline ({size}), beyond seed "
        f"noise ({test}, p = {p_value:.3g})."
    )


def paired_errors_test(distilled: np.ndarray, baseline: np.ndarray) -> dict[str, Any]:
    """Wilcoxon signed-rank test of per-row errors of two regressors.

    Parameters
    ----------
    distilled, baseline : numpy.ndarray
        Squared error of each test row, ``(n_seeds, n)``; each row counts once,
        by its error difference averaged over seeds.

    Returns
    -------
    dict
        ``distilled_better`` and ``baseline_better`` (rows whose mean error is
        lower for each) and the two-sided ``p_value``.

    Examples
    --------
    >>> d = np.array([[1.0, 1.0, 2.0, 1.0, 0.5, 1.0, 1.0, 1.0]])
    >>> paired_errors_test(d, d + 1.0)["p_value"] < 0.01
    True
    """
    difference = np.atleast_2d(baseline).mean(axis=0) - np.atleast_2d(distilled).mean(
        axis=0
    )
    better, worse = int(np.sum(difference > 0)), int(np.sum(difference < 0))
    if better + worse == 0:
        p_value = 1.0
    else:
        p_value = float(stats.wilcoxon(difference[difference != 0]).pvalue)
    return {"distilled_better": better, "baseline_better": worse, "p_value": p_value}


def summarize_runs(
    runs: Sequence[dict[str, Any]],
    correct: tuple[np.ndarray, np.ndarray] | None = None,
    *,
    metric: str = "accuracy",
    paired: str = "correct",
) -> dict[str, Any]:
    """Statistics over seeds of the per-seed results.

    Parameters
    ----------
    runs : sequence of dict
        One result per seed, each with ``ensemble``, ``distilled``, ``baseline``
        and ``members`` scores.
    correct : (numpy.ndarray, numpy.ndarray), optional
        Per-row results of the distilled student and the baseline in each
        seed, each ``(n_seeds, n_test)``: whether each row was right
        (``paired="correct"``), or its squared error (``paired="errors"``).
    metric : str, default="accuracy"
        The headline score, higher is better.
    paired : {"correct", "errors"}, default="correct"
        What ``correct`` holds: McNemar's test applies to the first, the
        Wilcoxon signed-rank test to the second.

    Returns
    -------
    dict
        The ``summary`` of the results file.
    """
    summary: dict[str, Any] = {}
    for name in _SCORED:
        keys = runs[0][name].keys()
        summary[name] = {
            key: interval([run[name][key] for run in runs]) for key in keys
        }
    # Members of one seed share their rows: average within a seed first.
    member_means = [np.mean([m[metric] for m in run["members"]]) for run in runs]
    summary["members"] = {metric: interval(member_means)}
    summary["recovered"] = recovered(runs, metric)

    gains = [run["distilled"][metric] - run["baseline"][metric] for run in runs]
    comparison: dict[str, Any] = {"gain": interval(gains)}
    comparison["gain"]["bootstrap_ci95"] = bootstrap_interval(gains)
    row_test = mcnemar_exact if paired == "correct" else paired_errors_test
    row_name = "mcnemar" if paired == "correct" else "wilcoxon"
    if correct is not None:
        per_seed = [row_test(d, b)["p_value"] for d, b in zip(*correct, strict=True)]
        comparison[row_name] = {"per_seed": per_seed, "pooled": row_test(*correct)}
    if len(runs) >= 3 and np.ptp(gains) > 0:
        t_test = stats.ttest_1samp(gains, 0.0)
        comparison["t_test"] = {
            "statistic": float(t_test.statistic),
            "p_value": float(t_test.pvalue),
        }
        p_value, test = float(t_test.pvalue), f"paired t-test over {len(runs)} seeds"
    elif correct is not None:
        p_value = comparison[row_name]["pooled"]["p_value"]
        test = (
            "exact McNemar sign test over test rows"
            if paired == "correct"
            else "Wilcoxon signed-rank test of errors over test rows"
        )
    else:
        p_value, test = math.nan, "no test: fewer than 3 seeds"
    comparison["p_value"] = p_value
    comparison["test"] = test
    comparison["verdict"] = verdict(gains, p_value, test, metric)
    summary["distilled_vs_baseline"] = comparison
    return summary
