"""Adam for tensors whose gradients are computed by hand.

The training loop computes gradients itself (see :mod:`kdistill.stacked`), so
it needs no autograd bookkeeping from the optimizer either. This class keeps
Adam's state and calls the fused Adam kernel that ``torch.optim.Adam(...,
fused=True)`` calls, without the Python work around it (parameter groups,
state dictionaries, grouping by device): on the small students that work was
a third of a training step. The kernel is ATen's ``_fused_adam_``; where a
torch build lacks it, the public functional ``torch.optim.adam.adam`` takes
over. Either way the update is torch's own: ``tests/test_optim.py`` checks it
against ``torch.optim.Adam``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor
from torch.optim.adam import adam

__all__ = ["StackedAdam"]

_FUSED_ADAM = getattr(torch, "_fused_adam_", None)


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
        # One step counter per parameter, as the kernel wants, all views of
        # one tensor so that a single addition advances them.
        self._step = torch.zeros(len(self.params), dtype=torch.float32)
        self.steps = list(self._step.unbind())

    def step(self, grads: Sequence[Tensor]) -> None:
        """Update every parameter with its gradient in ``grads``."""
        grads = list(grads)
        if _FUSED_ADAM is None:
            adam(
                self.params,
                grads,
                self.exp_avgs,
                self.exp_avg_sqs,
                [],
                self.steps,
                foreach=True,
                amsgrad=False,
                beta1=self.betas[0],
                beta2=self.betas[1],
                lr=self.lr,
                weight_decay=self.weight_decay,
                eps=self.eps,
                maximize=False,
            )
            return
        self._step.add_(1)
        _FUSED_ADAM(
            self.params,
            grads,
            self.exp_avgs,
            self.exp_avg_sqs,
            [],
            self.steps,
            amsgrad=False,
            lr=self.lr,
            beta1=self.betas[0],
            beta2=self.betas[1],
            weight_decay=self.weight_decay,
            eps=self.eps,
            maximize=False,
        )
