"""The training loop for stacked networks: teachers, students and baselines.

One loop serves all three. A teacher ensemble is a stack of ``k`` members
trained on the labels; the distilled student and its baseline are a stack of
two trained together, one on the distillation loss and one on the labels
alone, from the same initial weights and on the same batches.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch
from torch import Tensor

from kdistill.optim import StackedAdam
from kdistill.stacked import DropoutMasks, StackedMLP, train_backward, train_forward

__all__ = ["BatchOrder", "TrainingSettings", "fit_stacked"]


class Objective(Protocol):
    """A training loss for a stack: its gradient, and its value for the record."""

    def gradient(self, logits: Tensor, rows: Tensor) -> Tensor:
        """Gradient ``(k, batch, classes)`` of each member's loss on ``rows``."""
        ...

    def loss(self, logits: Tensor, rows: Tensor) -> Tensor:
        """Each member's loss on ``rows``, ``(k,)``."""
        ...


@dataclass(frozen=True)
class TrainingSettings:
    """How long and how fast a stack is trained (Adam on minibatches)."""

    epochs: int
    batch_size: int
    learning_rate: float = 1e-3
    weight_decay: float = 0.0
    #: Stop after this many optimizer steps, within the last epoch if need be.
    max_steps: int | None = None


class BatchOrder:
    """The order in which each member visits the training rows, epoch by epoch.

    Parameters
    ----------
    n_members : int
        Members in the stack, ``k``.
    n_rows : int
        Training rows, ``n``.
    generators : sequence of torch.Generator
        One stream per member, each shuffling for its member alone; or a
        single stream, whose one order all members share (a distilled
        student and its baseline then see the same batches).
    """

    def __init__(
        self, n_members: int, n_rows: int, generators: Sequence[torch.Generator]
    ) -> None:
        if len(generators) not in (1, n_members):
            raise ValueError(
                f"expected 1 or {n_members} generators, got {len(generators)}"
            )
        self.n_members = n_members
        self.n_rows = n_rows
        self.generators = list(generators)

    def next_epoch(self) -> Tensor:
        """Row indices of the next epoch, ``(k, n)``: each row a permutation."""
        orders = [torch.randperm(self.n_rows, generator=g) for g in self.generators]
        return torch.stack(orders).expand(self.n_members, -1)


def fit_stacked(
    net: StackedMLP,
    X: Tensor,
    objective: Objective,
    settings: TrainingSettings,
    order: BatchOrder,
    masks: DropoutMasks | None = None,
    on_epoch: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Train every member of ``net`` on minibatches of ``X``, each with Adam.

    Adam is elementwise, so one Adam step over the stacked parameters is the
    same as ``k`` separate Adam steps, one per member.

    Parameters
    ----------
    net : StackedMLP
        The stack to train, in place.
    X : Tensor
        Training rows, ``(n, d_in)``.
    objective : Objective
        Gives the gradient of each member's loss from the logits ``(k, batch,
        classes)`` and the rows they were computed on, ``(k, batch)``.
    settings : TrainingSettings
        Epochs, batch size and optimizer settings.
    order : BatchOrder
        Each member's order of visiting the rows.
    masks : DropoutMasks, optional
        The source of dropout masks; without it no dropout is applied.
    on_epoch : callable, optional
        Called with the number of finished epochs after each epoch.

    Returns
    -------
    numpy.ndarray
        Training loss of each member on the last minibatch of each epoch,
        ``(epochs, k)``. (A loss over every minibatch would cost a tenth of
        the students' training time.)
    """
    params = net.stacked_parameters()
    optimizer = StackedAdam(
        params, lr=settings.learning_rate, weight_decay=settings.weight_decay
    )
    n_rows = X.shape[0]
    history = torch.zeros(settings.epochs, net.n_members)

    net.train()
    n_steps = 0
    with torch.no_grad():
        for epoch in range(settings.epochs):
            epoch_order = order.next_epoch()
            for start in range(0, n_rows, settings.batch_size):
                if settings.max_steps is not None and n_steps == settings.max_steps:
                    break
                n_steps += 1
                rows = epoch_order[:, start : start + settings.batch_size]

                logits, cache = train_forward(net, X[rows], masks)
                grads = train_backward(net, cache, objective.gradient(logits, rows))
                optimizer.step(grads)

            history[epoch] = objective.loss(logits, rows)

            if on_epoch is not None:
                on_epoch(epoch + 1)
    net.eval()
    return history.numpy()
