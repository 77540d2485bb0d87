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

        ((1 - alpha) * q + alpha * T * q_T - target) / batch,
        target = (1 - alpha) * onehot(y) + alpha * T * p_T,

    so that training needs no autograd graph; ``target`` is computed once for
    every training row.

    Parameters
    ----------
    labels : Tensor
        Class index of every training row, ``(n,)``.
    alpha : Tensor
        Weight of the soft term for each member, ``(k,)``.
    targets : Tensor, optional
        Soft targets of every training row, ``(n, classes)``; needed when any
        ``alpha`` is above 0.
    temperature : float, optional
        The temperature the soft targets were made with; required with
        ``targets``.
    n_classes : int, optional
        Number of classes; required without ``targets`` (the labels of a
        training set need not include every class).
    labelled : Tensor, optional
        Whether each row has a true label, ``(n,)``; rows without one (a
        transfer set's synthetic rows) get the soft term only. By default
        every row is labelled.

    Examples
    --------
    Two members, one distilled (alpha = 0.5) and one on the labels alone:

    >>> labels = torch.tensor([0, 1, 1])
    >>> targets = torch.tensor([[0.8, 0.2], [0.3, 0.7], [0.4, 0.6]])
    >>> objective = DistillationObjective(
    ...     labels, torch.tensor([0.5, 0.0]), targets, temperature=2.0
    ... )
    >>> rows = torch.tensor([[0, 2], [1, 2]])
    >>> objective.gradient(torch.zeros(2, 2, 2), rows).shape
    torch.Size([2, 2, 2])
    """

    def __init__(
        self,
        labels: Tensor,
        alpha: Tensor,
        targets: Tensor | None = None,
        temperature: float | None = None,
        *,
        n_classes: int | None = None,
        labelled: Tensor | None = None,
    ) -> None:
        self.soft = bool((alpha > 0).any())
        if labelled is not None and not self.soft:
            raise ValueError("rows without labels need a soft term (alpha > 0)")
        if self.soft and targets is None:
            raise ValueError("soft targets are needed when alpha > 0")
        if targets is not None and temperature is None:
            raise ValueError("the temperature of the soft targets is needed")
        if targets is not None:
            n_classes = targets.shape[1]
        if n_classes is None:
            raise ValueError("n_classes is needed when no soft targets are given")
        temperature = 1.0 if temperature is None else temperature
        self.labels = labels
        self.targets = targets
        self.temperature = temperature
        self.alpha = alpha
        onehot = torch.nn.functional.one_hot(labels, n_classes).to(torch.float32)
        if not self.soft:
            self._target = onehot  # (n, classes), the same for every member
            return
        assert targets is not None
        a = alpha.reshape(-1, 1, 1)
        self._members = torch.arange(len(alpha)).unsqueeze(1)  # (k, 1)
        self._soft_weight = a * temperature
        self.labelled = labelled
        if labelled is None:
            self._hard_weight = 1 - a
        else:
            # Rows of the transfer set that have no true label get no hard term.
            weight = (1 - a) * labelled.to(torch.float32).reshape(1, -1, 1)  # (k, n, 1)
            self._hard_rows = weight
            onehot = onehot * labelled.to(torch.float32).unsqueeze(-1)
        self._target = (1 - a) * onehot + (a * temperature) * targets  # (k, n, classes)

    def gradient(self, logits: Tensor, rows: Tensor) -> Tensor:
        """Gradient of each member's loss on ``rows``, ``(k, batch, classes)``.

        ``logits`` are ``(k, batch, classes)``; ``rows`` are the indices of the
        training rows each member saw, ``(k, batch)``.
        """
        n_rows = logits.shape[1]
        grad = torch.softmax(logits, dim=-1)
        if not self.soft:
            return grad.sub_(self._target[rows]).div_(n_rows)
        soft = torch.softmax(logits / self.temperature, dim=-1).mul_(self._soft_weight)
        if self.labelled is None:
            grad = grad.mul_(self._hard_weight).add_(soft)
        else:
            grad = grad.mul_(self._hard_rows[self._members, rows]).add_(soft)
        return grad.sub_(self._target[self._members, rows]).div_(n_rows)

    def loss(self, logits: Tensor, rows: Tensor) -> Tensor:
        """Each member's loss on ``rows``, ``(k,)``."""
        labels = self.labels[rows]
        if not self.soft:
            log_q = torch.log_softmax(logits, dim=-1)
            return -log_q.gather(-1, labels.unsqueeze(-1)).squeeze(-1).mean(dim=-1)
        assert self.targets is not None
        if self.labelled is not None:
            t = self.temperature
            targets = self.targets[rows]
            log_q_t = torch.log_softmax(logits / t, dim=-1)
            kl = (torch.xlogy(targets, targets) - targets * log_q_t).sum(-1).mean(-1)
            ce = (
                -torch.log_softmax(logits, -1)
                .gather(-1, labels.unsqueeze(-1))
                .squeeze(-1)
            )
            weight = self.labelled.to(torch.float32)[rows]
            return self.alpha * t**2 * kl + (1 - self.alpha) * (ce * weight).mean(-1)
        return distillation_loss(
            logits,
            self.targets[rows],
            labels,
            temperature=self.temperature,
            alpha=self.alpha,
        )
