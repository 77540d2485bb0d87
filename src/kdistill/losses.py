"""Soft voting, soft targets and the distillation loss.

The loss is the one of Hinton, Vinyals and Dean, "Distilling the Knowledge in
a Neural Network" (2015), section 2:

    L = alpha * T**2 * KL(p_T || q_T) + (1 - alpha) * CE(y, q)

where ``p_T = softmax(teacher_logits / T)`` are the soft targets,
``q_T = softmax(student_logits / T)``, ``q = softmax(student_logits)`` and ``y``
the true labels. The ``T**2`` factor keeps the soft term's gradient on the
same scale as the hard term's when ``T`` changes, since the gradient of the KL
term with respect to the student logits is ``(q_T - p_T) / T``. Both terms are
averaged over the rows of a batch (KL with 'batchmean' reduction).

All functions take a leading stack dimension: logits of shape
``(k, batch, classes)`` give one loss per member, ``(k,)``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = [
    "DistillationObjective",
    "distillation_loss",
    "ensemble_logits",
    "soft_targets",
]


def ensemble_logits(member_logits: Tensor) -> Tensor:
    """Soft voting: the mean of the members' logits.

    Parameters
    ----------
    member_logits : Tensor
        ``(k, n, classes)``.

    Returns
    -------
    Tensor
        ``(n, classes)``.

    Examples
    --------
    >>> ensemble_logits(torch.tensor([[[0.0, 2.0]], [[2.0, 0.0]]]))
    tensor([[1., 1.]])
    """
    return member_logits.mean(dim=0)


def soft_targets(logits: Tensor, temperature: float) -> Tensor:
    """The soft targets ``softmax(logits / temperature)``, ``(..., classes)``.

    Examples
    --------
    >>> soft_targets(torch.tensor([[0.0, 0.0]]), temperature=3.0)
    tensor([[0.5000, 0.5000]])
    """
    return torch.softmax(logits / temperature, dim=-1)


def distillation_loss(
    student_logits: Tensor,
    targets: Tensor,
    labels: Tensor,
    *,
    temperature: float,
    alpha: float | Tensor,
) -> Tensor:
    """``alpha * T**2 * KL(targets || q_T) + (1 - alpha) * CE(labels, q)``.

    Parameters
    ----------
    student_logits : Tensor
        ``(..., batch, classes)``.
    targets : Tensor
        Soft targets ``softmax(teacher_logits / T)``, same shape.
    labels : Tensor
        Class indices, ``(..., batch)``.
    temperature : float
        ``T``, the temperature the soft targets were made with.
    alpha : float or Tensor
        Weight of the soft term; a tensor of shape ``(...)`` gives each
        member of a stack its own.

    Returns
    -------
    Tensor
        The loss of each stacked network, shape ``(...)``.

    Examples
    --------
    With alpha = 0 the loss is the cross-entropy with the labels:

    >>> logits = torch.tensor([[2.0, 0.0]])
    >>> targets = torch.tensor([[0.5, 0.5]])
    >>> labels = torch.tensor([0])
    >>> float(distillation_loss(logits, targets, labels, temperature=2.0, alpha=0.0))
    0.126928...
    """
    n_rows = student_logits.shape[-2]
    log_q_t = F.log_softmax(student_logits / temperature, dim=-1)
    kl = (torch.xlogy(targets, targets) - targets * log_q_t).sum(dim=(-2, -1)) / n_rows
    log_q = F.log_softmax(student_logits, dim=-1)
    ce = -log_q.gather(-1, labels.unsqueeze(-1)).squeeze(-1).mean(dim=-1)
    return alpha * temperature**2 * kl + (1 - alpha) * ce


class DistillationObjective:
    """The distillation loss and its gradient, for a stack of students.

    Member ``i`` of the stack is trained on ``alpha[i] * T**2 * KL + (1 -
    alpha[i]) * CE``, the loss of :func:`distillation_loss`; ``alpha[i] = 0``
    trains it on the labels alone (a teacher, or the baseline student). The
    gradient with respect to the logits is written out,

        alpha * T * (q_T - p_T) / batch + (1 - alpha) * (q - onehot(y)) / batch,

    so that training needs no autograd graph.

    Parameters
    ----------
    labels : Tensor
        Class index of every training row, ``(n,)``.
    alpha : Tensor
        Weight of the soft term for each member, ``(k,)``.
    targets : Tensor, optional
        Soft targets of every training row, ``(n, classes)``; needed when any
        ``alpha`` is above 0.
    temperature : float, default=1.0
        The temperature the soft targets were made with.
    """

    def __init__(
        self,
        labels: Tensor,
        alpha: Tensor,
        targets: Tensor | None = None,
        temperature: float = 1.0,
    ) -> None:
        if targets is None and bool((alpha > 0).any()):
            raise ValueError("soft targets are needed when alpha > 0")
        self.labels = labels
        self.alpha = alpha.reshape(-1, 1)
        self.targets = targets
        self.temperature = temperature
        self.soft = targets is not None and bool((alpha > 0).any())
        if self.soft:
            assert targets is not None
            # sum_c p log p of each row: the constant part of KL(p || q_T).
            self._neg_entropy = torch.xlogy(targets, targets).sum(dim=-1)

    def __call__(self, logits: Tensor, rows: Tensor) -> tuple[Tensor, Tensor]:
        """Gradient ``(k, batch, classes)`` and loss ``(k,)`` on ``rows``.

        ``logits`` are ``(k, batch, classes)``; ``rows`` are the indices of the
        training rows each member saw, ``(k, batch)``.
        """
        n_rows = logits.shape[1]
        labels = self.labels[rows].unsqueeze(-1)  # (k, batch, 1)
        q = torch.softmax(logits, dim=-1)
        ce = q.gather(-1, labels).squeeze(-1).log_().neg_().mean(dim=1)
        grad = q.scatter_add_(-1, labels, torch.full_like(labels, -1.0, dtype=q.dtype))
        if not self.soft:
            return grad.div_(n_rows), ce

        assert self.targets is not None
        t = self.temperature
        targets = self.targets[rows]  # (k, batch, classes)
        log_q_t = torch.log_softmax(logits / t, dim=-1)
        kl = (self._neg_entropy[rows] - (targets * log_q_t).sum(dim=-1)).mean(dim=1)
        soft = log_q_t.exp_().sub_(targets).mul_(self.alpha.unsqueeze(-1) * t)
        grad = grad.mul_((1 - self.alpha).unsqueeze(-1)).add_(soft).div_(n_rows)
        alpha = self.alpha.squeeze(-1)
        return grad, alpha * t**2 * kl + (1 - alpha) * ce
