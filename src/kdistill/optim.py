"""Adam for tensors whose gradients are computed by hand.

The training loop computes gradients itself (see :mod:`kdistill.stacked`), so
it needs no autograd bookkeeping from the optimizer either. This class keeps
Adam's state and calls torch's functional Adam with the fused kernel, which
skips the per-step work of :class:`torch.optim.Adam` (parameter groups, state
dictionaries, gradient lookups): about a fifth of a teacher's training step.
The update is torch's own, so it equals ``torch.optim.Adam`` to the bit;
``tests/test_optim.py`` checks this.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor
from torch.optim.adam import adam

__all__ = ["StackedAdam"]


class StackedAdam:
    """Adam (Kingma and Ba, 2015) with L2 weight decay, as ``torch.optim.Adam``.

    Adam is elementwise, so on stacked weights it is the same as one Adam per
    member.

    Parameters
    ----------
    params : sequence of Tensor
        The tensors to update in place.
    lr : float, default=1e-3
        Learning rate.
    betas : tuple of float, default=(0.9, 0.999)
        Decay rates of the first and second moment estimates.
    eps : float, default=1e-8
        Added to the denominator for numerical stability.
    weight_decay : float, default=0.0
        L2 penalty added to the gradient, as ``torch.optim.Adam`` does.

    Examples
    --------
    >>> w = torch.ones(3)
    >>> optimizer = StackedAdam([w], lr=0.1)
    >>> optimizer.step([torch.ones(3)])
    >>> w
    tensor([0.9000, 0.9000, 0.9000])
    """

    def __init__(
        self,
        params: Sequence[Tensor],
        *,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        self.params = [p.detach() for p in params]
        self.lr = lr
        self.betas = betas
        self.eps = eps
        self.weight_decay = weight_decay
        self.exp_avgs = [torch.zeros_like(p) for p in self.params]
        self.exp_avg_sqs = [torch.zeros_like(p) for p in self.params]
        self.steps = [torch.zeros((), dtype=torch.float32) for _ in self.params]

    def step(self, grads: Sequence[Tensor]) -> None:
        """Update every parameter with its gradient in ``grads``."""
        adam(
            self.params,
            list(grads),
            self.exp_avgs,
            self.exp_avg_sqs,
            [],
            self.steps,
            fused=True,
            amsgrad=False,
            beta1=self.betas[0],
            beta2=self.betas[1],
            lr=self.lr,
            weight_decay=self.weight_decay,
            eps=self.eps,
            maximize=False,
        )
