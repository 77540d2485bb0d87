"""The distilled MLP student and its hard-label baseline, trained side by side."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from torch import Tensor

from kdistill._seeding import Stream, generator
from kdistill.config import MLPConfig
from kdistill.stacked import DropoutMasks, StackedMLP
from kdistill.training import BatchOrder, Objective, TrainingSettings, fit_stacked

__all__ = ["BASELINE", "DISTILLED", "train_student", "train_student_pair"]

#: Positions of the two students in the stack :func:`train_student_pair` returns.
DISTILLED, BASELINE = 0, 1


def train_student_pair(
    X: Tensor,
    objective: Objective,
    *,
    n_outputs: int,
    config: MLPConfig,
    batch_size: int,
    seed: int,
    on_epoch: Callable[[int], None] | None = None,
) -> tuple[StackedMLP, np.ndarray]:
    """Train the distilled student and the baseline as a stack of two.

    Both start from the same initial weights, see the same batches in the same
    order and take the same optimizer steps; they differ only in the loss,
    which ``objective`` gives: ``alpha * T**2 * KL + (1 - alpha) * CE`` for the
    distilled student (member :data:`DISTILLED`), ``CE`` alone for the
    baseline (or the squared-error pair for regression). Any difference
    between them is the teachers' doing.

    Parameters
    ----------
    X : Tensor
        Training rows, ``(n, d_in)``.
    objective : Objective
        The two students' losses, distilled first.
    n_outputs : int
        Outputs of the student (classes, or 1).
    config : MLPConfig
        The student's architecture and training.
    batch_size, seed : int
        Minibatch size; the run seed the random streams derive from.
    on_epoch : callable, optional
        Called with the number of finished epochs.

    Returns
    -------
    students : StackedMLP
        Member :data:`DISTILLED` is the distilled student, member
        :data:`BASELINE` the baseline; in evaluation mode.
    history : numpy.ndarray
        Training loss of both students on the last minibatch of each epoch,
        ``(epochs, 2)``.
    """
    init = generator(seed, Stream.STUDENT_INIT)
    net = StackedMLP(
        2,
        X.shape[1],
        config.hidden,
        n_outputs,
        dropout=config.dropout_rates(),
        generators=[init, init.clone_state()],
    )
    order = BatchOrder(2, X.shape[0], [generator(seed, Stream.STUDENT_ORDER)])
    dropout = generator(seed, Stream.STUDENT_DROPOUT)
    masks = DropoutMasks([dropout, dropout.clone_state()])
    settings = TrainingSettings(
        epochs=config.epochs,
        batch_size=batch_size,
        learning_rate=config.learning_rate,
        weight_decay=config.weight_decay,
    )
    history = fit_stacked(net, X, objective, settings, order, masks, on_epoch)
    return net, history


def train_student(
    X: Tensor,
    objective: Objective,
    *,
    n_outputs: int,
    config: MLPConfig,
    batch_size: int,
    seed: int,
    epochs: int | None = None,
    max_steps: int | None = None,
    on_epoch: Callable[[int], None] | None = None,
) -> tuple[StackedMLP, np.ndarray]:
    """Train one student alone, from the initial weights a pair would start from.

    Used when the distilled student and the baseline cannot share batches:
    with a transfer set, the distilled student sees synthetic rows the
    baseline has no labels for. ``epochs`` overrides ``config.epochs``, so
    that the baseline can be given as many optimizer steps as the distilled
    student.
    """
    net = StackedMLP(
        1,
        X.shape[1],
        config.hidden,
        n_outputs,
        dropout=config.dropout_rates(),
        generators=[generator(seed, Stream.STUDENT_INIT)],
    )
    order = BatchOrder(1, X.shape[0], [generator(seed, Stream.STUDENT_ORDER)])
    masks = DropoutMasks([generator(seed, Stream.STUDENT_DROPOUT)])
    settings = TrainingSettings(
        epochs=config.epochs if epochs is None else epochs,
        batch_size=batch_size,
        learning_rate=config.learning_rate,
        weight_decay=config.weight_decay,
        max_steps=max_steps,
    )
    history = fit_stacked(net, X, objective, settings, order, masks, on_epoch)
    return net, history
