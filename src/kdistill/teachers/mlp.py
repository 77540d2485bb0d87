"""An ensemble of MLPs, all trained at once as one stacked network."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from torch import Tensor

from kdistill._seeding import Stream, generator
from kdistill.config import MLPConfig
from kdistill.stacked import DropoutMasks, StackedMLP
from kdistill.training import BatchOrder, Objective, TrainingSettings, fit_stacked

__all__ = ["train_mlp_ensemble"]


def train_mlp_ensemble(
    X: Tensor,
    objective: Objective,
    *,
    n_outputs: int,
    n_members: int,
    config: MLPConfig,
    batch_size: int,
    seed: int,
    on_epoch: Callable[[int], None] | None = None,
) -> tuple[StackedMLP, np.ndarray]:
    """Train ``n_members`` MLPs on ``objective``, each from its own random streams.

    Member ``i`` has its own initial weights, batch order and dropout masks,
    drawn from streams keyed by ``(seed, i)``: it is trained exactly as it would
    be alone.

    Parameters
    ----------
    X : Tensor
        Training rows, ``(n, d_in)``, float32.
    objective : Objective
        The loss of every member: cross-entropy with the labels, or squared
        error for regression.
    n_outputs, n_members : int
        Outputs of each member (classes, or 1); members in the ensemble.
    config : MLPConfig
        Architecture and training of one member.
    batch_size, seed : int
        Minibatch size; the run seed the random streams derive from.
    on_epoch : callable, optional
        Called with the number of finished epochs.

    Returns
    -------
    ensemble : StackedMLP
        The trained members, in evaluation mode.
    history : numpy.ndarray
        Training loss of each member on the last minibatch of each epoch,
        ``(epochs, k)``.
    """
    members = range(n_members)
    net = StackedMLP(
        n_members,
        X.shape[1],
        config.hidden,
        n_outputs,
        dropout=config.dropout_rates(),
        generators=[generator(seed, Stream.TEACHER_INIT, i) for i in members],
    )
    order = BatchOrder(
        n_members,
        X.shape[0],
        [generator(seed, Stream.TEACHER_ORDER, i) for i in members],
    )
    masks = DropoutMasks([generator(seed, Stream.TEACHER_DROPOUT, i) for i in members])
    settings = TrainingSettings(
        epochs=config.epochs,
        batch_size=batch_size,
        learning_rate=config.learning_rate,
        weight_decay=config.weight_decay,
    )
    history = fit_stacked(net, X, objective, settings, order, masks, on_epoch)
    return net, history
