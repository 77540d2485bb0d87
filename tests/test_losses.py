"""The distillation loss against values worked out by hand."""

from __future__ import annotations

import math

import pytest
import torch

from kdistill.losses import (
    DistillationObjective,
    distillation_loss,
    ensemble_logits,
    soft_targets,
)

# One row, two classes: student logits (1, 0), soft targets (0.5, 0.5), T = 2,
# label 0. By hand:
#   q_T = softmax((0.5, 0)) = (0.622459, 0.377541)
#   KL(p || q_T) = 0.5 ln(0.5 / 0.622459) + 0.5 ln(0.5 / 0.377541) = 0.030930
#   CE = -ln softmax((1, 0))[0] = ln(1 + e^-1) = 0.313262
LOGITS = torch.tensor([[1.0, 0.0]])
TARGETS = torch.tensor([[0.5, 0.5]])
LABELS = torch.tensor([0])
KL = 0.5 * math.log(0.5 / 0.622459) + 0.5 * math.log(0.5 / 0.377541)
CE = math.log(1 + math.exp(-1))


def _loss(alpha: float) -> float:
    return float(
        distillation_loss(LOGITS, TARGETS, LABELS, temperature=2.0, alpha=alpha)
    )


def test_alpha_zero_is_cross_entropy() -> None:
    assert _loss(0.0) == pytest.approx(CE, abs=1e-6)


def test_alpha_one_is_temperature_squared_times_kl() -> None:
    assert pytest.approx(0.030930, abs=1e-6) == KL
    assert _loss(1.0) == pytest.approx(4 * KL, abs=1e-5)


def test_mixture() -> None:
    assert _loss(0.7) == pytest.approx(0.7 * 4 * KL + 0.3 * CE, abs=1e-5)


def test_batchmean_divides_by_rows_only() -> None:
    logits = LOGITS.repeat(4, 1)
    loss = distillation_loss(
        logits, TARGETS.repeat(4, 1), LABELS.repeat(4), temperature=2.0, alpha=1.0
    )
    assert float(loss) == pytest.approx(4 * KL, abs=1e-5)


def test_soft_voting_and_soft_targets() -> None:
    members = torch.tensor([[[0.0, 3.0]], [[3.0, 3.0]]])
    assert torch.equal(ensemble_logits(members), torch.tensor([[1.5, 3.0]]))
    targets = soft_targets(torch.tensor([[0.0, 3.0]]), temperature=3.0)
    expected = torch.softmax(torch.tensor([[0.0, 1.0]]), dim=-1)
    assert torch.allclose(targets, expected)


@pytest.mark.parametrize("alphas", [(0.0, 0.0), (0.7, 0.0), (1.0, 0.3)])
def test_objective_gradient_and_value_match_autograd(alphas) -> None:
    torch.manual_seed(0)
    n, classes = 20, 4
    labels = torch.randint(0, classes, (n,))
    targets = torch.softmax(torch.randn(n, classes), dim=-1)
    alpha = torch.tensor(alphas)
    if alphas == (0.0, 0.0):
        objective = DistillationObjective(labels, alpha, n_classes=classes)
    else:
        objective = DistillationObjective(labels, alpha, targets, temperature=2.5)
    rows = torch.stack([torch.randperm(n)[:8], torch.randperm(n)[:8]])
    logits = torch.randn(2, 8, classes, requires_grad=True)

    grad = objective.gradient(logits.detach(), rows)
    loss = objective.loss(logits.detach(), rows)

    expected = distillation_loss(
        logits, targets[rows], labels[rows], temperature=2.5, alpha=alpha
    )
    assert torch.allclose(loss, expected.detach(), atol=1e-5)
    (want,) = torch.autograd.grad(expected.sum(), logits)
    assert torch.allclose(grad, want, atol=1e-6)


def test_objective_needs_targets_for_a_soft_term() -> None:
    with pytest.raises(ValueError, match="soft targets are needed"):
        DistillationObjective(LABELS, torch.tensor([0.5]))


def test_unlabelled_rows_get_the_soft_term_only() -> None:
    torch.manual_seed(1)
    n, classes = 12, 3
    labels = torch.randint(0, classes, (n,))
    targets = torch.softmax(torch.randn(n, classes), dim=-1)
    labelled = torch.tensor([True] * 6 + [False] * 6)
    alpha = torch.tensor([0.6])
    objective = DistillationObjective(
        labels, alpha, targets, temperature=2.0, labelled=labelled
    )
    rows = torch.randperm(n)[:8].unsqueeze(0)
    logits = torch.randn(1, 8, classes, requires_grad=True)

    t = 2.0
    log_q_t = torch.log_softmax(logits / t, dim=-1)
    p = targets[rows]
    kl = (torch.xlogy(p, p) - p * log_q_t).sum(-1).mean(-1)
    ce = (
        -torch.log_softmax(logits, -1)
        .gather(-1, labels[rows].unsqueeze(-1))
        .squeeze(-1)
    )
    expected = 0.6 * t**2 * kl + 0.4 * (ce * labelled[rows].float()).mean(-1)
    (want,) = torch.autograd.grad(expected.sum(), logits)

    assert torch.allclose(objective.gradient(logits.detach(), rows), want, atol=1e-6)
    assert torch.allclose(
        objective.loss(logits.detach(), rows), expected.detach(), atol=1e-5
    )
