"""StackedAdam is torch.optim.Adam."""

from __future__ import annotations

import torch

from kdistill.optim import StackedAdam


def test_equals_torch_adam_with_weight_decay() -> None:
    torch.manual_seed(0)
    start = [torch.randn(3, 4, 5), torch.randn(3, 1, 5)]
    ours = [p.clone() for p in start]
    theirs = [p.clone().requires_grad_() for p in start]
    mine = StackedAdam(ours, lr=0.01, weight_decay=1e-3)
    reference = torch.optim.Adam(theirs, lr=0.01, weight_decay=1e-3)
    for _ in range(20):
        grads = [torch.randn_like(p) for p in start]
        mine.step(grads)
        for param, grad in zip(theirs, grads, strict=True):
            param.grad = grad.clone()
        reference.step()
    for a, b in zip(ours, theirs, strict=True):
        assert torch.allclose(a, b.detach(), atol=1e-6)


def test_fallback_equals_torch_adam(monkeypatch) -> None:
    """Without the fused kernel, the functional foreach Adam gives the same."""
    monkeypatch.setattr("kdistill.optim._FUSED_ADAM", None)
    test_equals_torch_adam_with_weight_decay()
