"""Statistics over seeds: McNemar, intervals, recovered and the verdict."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from kdistill.evaluation.stats import interval, mcnemar_exact, recovered, summarize_runs


def test_mcnemar_exact_by_hand() -> None:
    distilled = np.array([True] * 10 + [False] * 2 + [True] * 50)
    baseline = np.array([False] * 10 + [True] * 2 + [True] * 50)
    result = mcnemar_exact(distilled, baseline)
    assert (result["distilled_only"], result["baseline_only"]) == (10, 2)
    # Two-sided exact binomial: 2 * P(X <= 2), X ~ Bin(12, 1/2) = 2 * 79 / 4096.
    assert result["p_value"] == pytest.approx(2 * 79 / 4096)


def test_pooled_mcnemar_counts_rows_not_pairs() -> None:
    """The same row won in two seeds counts once; a row won and lost cancels."""
    distilled = np.array([[True, True, False, True], [True, True, True, True]])
    baseline = np.array([[False, False, True, True], [False, True, False, True]])
    # Row 0: won twice (+2); row 1: won once (+1); row 2: lost once, won once (0).
    result = mcnemar_exact(distilled, baseline)
    assert (result["distilled_only"], result["baseline_only"]) == (2, 0)
    assert result["p_value"] == pytest.approx(0.5)


def test_mcnemar_without_discordant_rows() -> None:
    same = np.array([True, False, True])
    assert mcnemar_exact(same, same)["p_value"] == 1.0


def test_interval_is_a_t_interval() -> None:
    values = [0.1, 0.3, 0.2, 0.4]
    result = interval(values)
    half = stats.t.ppf(0.975, 3) * np.std(values, ddof=1) / 2
    assert result["ci95"] == pytest.approx([0.25 - half, 0.25 + half])
    assert interval([0.5]) == {"mean": 0.5, "std": None, "ci95": None}


def _runs(gains: list[float], edge: float = 0.02):
    runs, correct = [], []
    rng = np.random.default_rng(0)
    for gain in gains:
        baseline = 0.95 + rng.normal(0, 0.001)
        runs.append(
            {
                "ensemble": {"accuracy": baseline + edge},
                "members": [{"accuracy": baseline}],
                "distilled": {"accuracy": baseline + gain},
                "baseline": {"accuracy": baseline},
            }
        )
        n_better = round(1000 * max(gain, 0))
        n_worse = round(1000 * max(-gain, 0))
        d = np.ones(1000, bool)
        b = np.ones(1000, bool)
        b[:n_better] = False
        d[n_better : n_better + n_worse] = False
        correct.append((d, b))
    return runs, (np.stack([d for d, _ in correct]), np.stack([b for _, b in correct]))


def test_clear_gain_is_beyond_seed_noise() -> None:
    runs, correct = _runs([0.010, 0.011, 0.009, 0.010, 0.012])
    summary = summarize_runs(runs, correct)
    comparison = summary["distilled_vs_baseline"]
    assert comparison["test"] == "paired t-test over 5 seeds"
    assert comparison["p_value"] < 0.001
    assert "is beyond seed noise" in comparison["verdict"]
    assert summary["recovered"]["mean"] == pytest.approx(0.52, abs=1e-6)
    low, high = summary["recovered"]["ci95"]
    assert low <= 0.52 <= high
    assert "warning" not in summary["recovered"]


def test_noisy_gain_is_not_beyond_seed_noise() -> None:
    runs, correct = _runs([0.01, -0.008, 0.004, -0.006, 0.003])
    comparison = summarize_runs(runs, correct)["distilled_vs_baseline"]
    assert comparison["p_value"] > 0.05
    assert "is not beyond seed noise" in comparison["verdict"]


def test_one_seed_says_it_cannot_tell() -> None:
    runs, correct = _runs([0.01])
    comparison = summarize_runs(runs, correct)["distilled_vs_baseline"]
    assert comparison["test"] == "exact McNemar sign test over test rows"
    assert "1 seed cannot tell it from seed noise" in comparison["verdict"]


def test_identical_gains_say_so() -> None:
    runs, correct = _runs([0.01, 0.01, 0.01])
    comparison = summarize_runs(runs, correct)["distilled_vs_baseline"]
    assert "in every one of 3 seeds: there is no seed noise" in comparison["verdict"]


def test_fieller_interval_matches_its_definition() -> None:
    """At each end r of the interval, gain - r * edge has t-test p = 0.05."""
    gain = np.array([0.004, 0.006, 0.002, 0.007, 0.005, 0.003])
    edge = np.array([0.010, 0.012, 0.009, 0.011, 0.010, 0.012])
    runs = [
        {
            "ensemble": {"accuracy": 0.9 + e},
            "distilled": {"accuracy": 0.9 + g},
            "baseline": {"accuracy": 0.9},
        }
        for g, e in zip(gain, edge, strict=True)
    ]
    low, high = recovered(runs, "accuracy")["ci95"]
    assert low < gain.mean() / edge.mean() < high
    for end in (low, high):
        assert stats.ttest_1samp(gain - end * edge, 0.0).pvalue == pytest.approx(0.05)


def test_recovered_warns_when_the_edge_is_noise() -> None:
    runs, correct = _runs([0.001, 0.0, 0.002], edge=0.0)
    share = summarize_runs(runs, correct)["recovered"]
    assert share["mean"] is None
    assert share["ci95"] is None
    assert "no edge to recover" in share["warning"]


def test_recovered_warns_when_the_edge_is_within_noise() -> None:
    runs, correct = _runs([0.001, 0.0, 0.002], edge=0.0)
    for run, noise in zip(runs, (0.004, -0.003, 0.0005), strict=True):
        run["ensemble"]["accuracy"] = run["baseline"]["accuracy"] + noise
    share = summarize_runs(runs, correct)["recovered"]
    assert share["ci95"] is None
    assert "within seed noise" in share["warning"]


def test_recovered_with_two_seeds_has_no_interval_and_says_why() -> None:
    runs, correct = _runs([0.01, 0.012])
    share = summarize_runs(runs, correct)["recovered"]
    assert share["ci95"] is None
    assert "2 seed(s) give no interval" in share["warning"]


def test_bootstrap_interval_of_the_gain() -> None:
    runs, correct = _runs([0.010, 0.011, 0.009, 0.010, 0.012])
    gain = summarize_runs(runs, correct)["distilled_vs_baseline"]["gain"]
    low, high = gain["bootstrap_ci95"]
    assert low < gain["mean"] < high
    assert (
        summarize_runs(*_runs([0.01, 0.02]))["distilled_vs_baseline"]["gain"][
            "bootstrap_ci95"
        ]
        is None
    )
