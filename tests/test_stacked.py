"""The stacked MLP: its hand-written gradient, and training members at once."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from kdistill._seeding import Stream, generator
from kdistill.losses import DistillationObjective
from kdistill.stacked import DropoutMasks, StackedMLP, train_backward, train_forward
from kdistill.training import BatchOrder, TrainingSettings, fit_stacked


def _net(n_members: int, dropout: tuple[float, ...], seed: int = 0) -> StackedMLP:
    gens = [generator(seed, Stream.TEACHER_INIT, i) for i in range(n_members)]
    return StackedMLP(n_members, 5, [16, 8], 3, dropout=dropout, generators=gens)


def test_backward_matches_autograd_with_dropout() -> None:
    net = _net(3, (0.3, 0.5))
    x = torch.randn(3, 10, 5)
    masks = DropoutMasks([generator(1, i) for i in range(3)])

    logits, cache = train_forward(net, x, masks)
    grad_logits = torch.randn_like(logits)
    grads = train_backward(net, cache, grad_logits)

    # The same forward pass in autograd, with the masks the cache recorded.
    replay = DropoutMasks([generator(1, i) for i in range(3)])
    h = x
    for layer, (weight, bias) in enumerate(zip(net.weights, net.biases, strict=True)):
        h = torch.baddbmm(bias, h, weight)
        if layer < 2:
            rate = net.dropout[layer]
            keep = replay.keep(h.shape, rate).float()
            h = torch.relu(h) * keep / (1 - DropoutMasks.effective_rate(rate))
    assert torch.allclose(h, logits, atol=1e-6)
    expected = torch.autograd.grad((h * grad_logits).sum(), list(net.parameters()))
    for got, want in zip(grads, expected, strict=True):
        assert torch.allclose(got, want, atol=1e-5)


def test_member_copy_gives_the_stacks_outputs() -> None:
    net = _net(4, (0.2, 0.0)).eval()
    x = torch.randn(7, 5)
    stacked = net(x)
    for i in range(4):
        assert torch.allclose(net.member(i)(x), stacked[i], atol=1e-6)
    again = StackedMLP.from_members([net.member(i) for i in range(4)])
    assert again.dropout == net.dropout
    assert torch.allclose(again.eval()(x), stacked, atol=1e-6)


def test_members_start_as_nn_linear_would() -> None:
    """Member i is initialized as nn.Linear would be from member i's stream."""
    gens = [torch.Generator().manual_seed(i) for i in range(2)]
    net = StackedMLP(2, 5, [4], 3, generators=gens)
    for i in range(2):
        torch.manual_seed(i)
        first, second = nn.Linear(5, 4), nn.Linear(4, 3)
        member = [m for m in net.member(i) if isinstance(m, nn.Linear)]
        for ours, theirs in zip(member, (first, second), strict=True):
            assert torch.allclose(ours.weight, theirs.weight)
            assert torch.allclose(ours.bias, theirs.bias)


def test_from_members_refuses_other_layers() -> None:
    with pytest.raises(ValueError, match="got Tanh"):
        StackedMLP.from_members([nn.Sequential(nn.Linear(2, 3), nn.Tanh())])
    with pytest.raises(ValueError, match="differ in their layers or widths"):
        StackedMLP.from_members(
            [nn.Sequential(nn.Linear(2, 3)), nn.Sequential(nn.Linear(2, 4))]
        )


def _train_one_by_one(
    net: StackedMLP,
    X: torch.Tensor,
    y: torch.Tensor,
    settings: TrainingSettings,
    seed: int,
) -> list[nn.Sequential]:
    """Each member alone, as nn.Sequential with torch.optim.Adam and autograd."""
    members = []
    for i in range(net.n_members):
        model = net.member(i).train()
        optimizer = torch.optim.Adam(model.parameters(), lr=settings.learning_rate)
        order = BatchOrder(1, len(X), [generator(seed, Stream.TEACHER_ORDER, i)])
        masks = DropoutMasks([generator(seed, Stream.TEACHER_DROPOUT, i)])
        linears = [m for m in model if isinstance(m, nn.Linear)]
        for _ in range(settings.epochs):
            epoch = order.next_epoch()[0]
            for start in range(0, len(X), settings.batch_size):
                rows = epoch[start : start + settings.batch_size]
                h = X[rows]
                for layer, linear in enumerate(linears):
                    h = linear(h)
                    if layer < len(linears) - 1:
                        h = torch.relu(h)
                        rate = net.dropout[layer]
                        if rate > 0:
                            keep = masks.keep(torch.Size([1, *h.shape]), rate)[0]
                            scale = 1 - DropoutMasks.effective_rate(rate)
                            h = h * keep.float() / scale
                optimizer.zero_grad()
                F.cross_entropy(h, y[rows]).backward()
                optimizer.step()
        members.append(model)
    return members


@pytest.mark.parametrize("dropout", [(0.0, 0.0), (0.3, 0.0)])
def test_stack_trains_each_member_as_if_alone(rows, dropout) -> None:
    """K members trained stacked equal K members trained one by one."""
    X, y = rows
    settings = TrainingSettings(epochs=3, batch_size=32, learning_rate=1e-2)
    net = _net(3, dropout)
    separate = _train_one_by_one(net, X, y, settings, seed=5)

    fit_stacked(
        net,
        X,
        DistillationObjective(y, torch.zeros(3), n_classes=3),
        settings,
        BatchOrder(
            3, len(X), [generator(5, Stream.TEACHER_ORDER, i) for i in range(3)]
        ),
        DropoutMasks([generator(5, Stream.TEACHER_DROPOUT, i) for i in range(3)]),
    )
    for i, model in enumerate(separate):
        for got, want in zip(
            net.member(i).parameters(), model.parameters(), strict=True
        ):
            assert torch.allclose(got, want, atol=2e-5), f"member {i} differs"


def test_training_is_reproducible(rows) -> None:
    X, y = rows
    settings = TrainingSettings(epochs=2, batch_size=32)

    def train() -> StackedMLP:
        net = _net(2, (0.3, 0.0), seed=3)
        fit_stacked(
            net,
            X,
            DistillationObjective(y, torch.zeros(2), n_classes=3),
            settings,
            BatchOrder(2, len(X), [generator(3, 1, i) for i in range(2)]),
            DropoutMasks([generator(3, 2, i) for i in range(2)]),
        )
        return net

    first, second = train(), train()
    for a, b in zip(first.parameters(), second.parameters(), strict=True):
        assert torch.equal(a, b)


def test_dropout_masks_keep_at_the_right_rate() -> None:
    masks = DropoutMasks([generator(0, i) for i in range(2)])
    keep = masks.keep(torch.Size([2, 1000, 100]), 0.3)
    assert keep.dtype == torch.int16
    assert set(keep.unique().tolist()) == {0, 1}
    assert abs(keep.float().mean().item() - 0.7) < 0.005
    assert not torch.equal(keep[0], keep[1])
    assert abs(DropoutMasks.effective_rate(0.3) - 0.3) < 2e-5


def test_a_members_masks_do_not_depend_on_its_stack() -> None:
    stacked = DropoutMasks([generator(0, i) for i in range(3)], chunk=100)
    alone = DropoutMasks([generator(0, 2)], chunk=37)
    for width in (30, 64, 250):
        both = stacked.keep(torch.Size([3, 2, width]), 0.5)
        assert torch.equal(both[2], alone.keep(torch.Size([1, 2, width]), 0.5)[0])


def test_shared_batch_order_is_one_permutation() -> None:
    order = BatchOrder(2, 10, [generator(0, 0)]).next_epoch()
    assert order.shape == (2, 10)
    assert torch.equal(order[0], order[1])
    assert sorted(order[0].tolist()) == list(range(10))
    with pytest.raises(ValueError, match="expected 1 or 3 generators, got 2"):
        BatchOrder(3, 10, [generator(0, 0), generator(0, 1)])


def test_max_steps_stops_within_an_epoch(rows) -> None:
    X, y = rows
    net = _net(1, (0.0, 0.0))
    before = [p.detach().clone() for p in net.parameters()]
    settings = TrainingSettings(epochs=3, batch_size=50, max_steps=5)  # 4 steps/epoch
    calls: list[int] = []
    fit_stacked(
        net,
        X,
        DistillationObjective(y, torch.zeros(1), n_classes=3),
        settings,
        BatchOrder(1, len(X), [generator(0, 1)]),
        on_epoch=calls.append,
    )
    assert calls == [1, 2, 3]  # the third epoch ran no step past the fifth
    changed = [
        not torch.equal(a, b) for a, b in zip(before, net.parameters(), strict=True)
    ]
    assert any(changed)
