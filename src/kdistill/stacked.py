"""K multilayer perceptrons of one architecture, stored as stacked weights.

Training an ensemble member by member spends most of its time in per-call
overhead on small matrices. Stacking the members' weights as ``(k, d_in,
d_out)`` tensors runs all of them in one batched matrix product per layer,
with the same mathematics: member ``i`` only ever sees its own weights, its own
rows and its own dropout masks.

The forward and backward passes used in training are written out here rather
than left to autograd: the network is a plain chain of affine maps and ReLUs,
its gradient is short to state, and the explicit version runs about twice as
fast. ``tests/test_stacked.py`` checks it against autograd.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor, nn

__all__ = ["DropoutMasks", "StackedMLP"]

# Dropout masks are drawn as 15-bit integers (two per 32-bit random draw, the
# cheapest draw torch's CPU generator offers), so a drop rate is applied as
# round(p * 2**15) / 2**15, within 1.6e-5 of p.
_MASK_BITS = 15
_MASK_LEVELS = 1 << _MASK_BITS


class StackedMLP(nn.Module):
    """``n_members`` ReLU networks ``d_in -> hidden... -> d_out`` held as stacks.

    Parameters
    ----------
    n_members : int
        Number of networks, ``k``.
    d_in : int
        Number of input features.
    hidden : sequence of int
        Width of each hidden layer.
    d_out : int
        Number of outputs (logits).
    dropout : float or sequence of float, default=0.0
        Drop rate after each hidden layer's ReLU; one value for all, or one per
        hidden layer.
    generators : sequence of torch.Generator, optional
        One generator per member for its initial weights. Each member is
        initialized as :class:`torch.nn.Linear` initializes a layer: weights and
        biases uniform in ``(-1/sqrt(d_in), 1/sqrt(d_in))``.

    Examples
    --------
    >>> net = StackedMLP(3, d_in=4, hidden=[8], d_out=2)
    >>> net(torch.zeros(5, 4)).shape
    torch.Size([3, 5, 2])
    >>> net.n_parameters_per_member
    58
    """

    def __init__(
        self,
        n_members: int,
        d_in: int,
        hidden: Sequence[int],
        d_out: int,
        *,
        dropout: float | Sequence[float] = 0.0,
        generators: Sequence[torch.Generator] | None = None,
    ) -> None:
        super().__init__()
        if generators is not None and len(generators) != n_members:
            raise ValueError(
                f"expected one generator per member ({n_members}), "
                f"got {len(generators)}"
            )
        self.n_members = n_members
        self.sizes = (d_in, *hidden, d_out)
        n_hidden = len(hidden)
        if isinstance(dropout, int | float):
            dropout = [float(dropout)] * n_hidden
        if len(dropout) != n_hidden:
            raise ValueError(
                f"expected one dropout rate per hidden layer ({n_hidden}), "
                f"got {len(dropout)}"
            )
        self.dropout = tuple(float(p) for p in dropout)

        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        for d_a, d_b in zip(self.sizes[:-1], self.sizes[1:], strict=True):
            self.weights.append(nn.Parameter(torch.empty(n_members, d_a, d_b)))
            self.biases.append(nn.Parameter(torch.empty(n_members, 1, d_b)))
        self.reset_parameters(generators)

    @torch.no_grad()
    def reset_parameters(
        self, generators: Sequence[torch.Generator] | None = None
    ) -> None:
        """Draw fresh initial weights, member ``i`` from ``generators[i]``."""
        for weight, bias in zip(self.weights, self.biases, strict=True):
            bound = 1.0 / math.sqrt(weight.shape[1])
            for i in range(self.n_members):
                gen = None if generators is None else generators[i]
                # Draw in nn.Linear's (d_out, d_in) layout, so that a member
                # matches a Linear layer seeded the same way.
                w = torch.rand(weight.shape[2], weight.shape[1], generator=gen)
                weight[i] = (w * 2 - 1).mul_(bound).T
                b = torch.rand(bias.shape[2], generator=gen)
                bias[i, 0] = (b * 2 - 1).mul_(bound)

    def stacked_parameters(self) -> list[nn.Parameter]:
        """All weights, then all biases: the order of :func:`train_backward`."""
        return [*self.weights, *self.biases]

    @property
    def n_parameters_per_member(self) -> int:
        """Number of trainable parameters of one member."""
        return sum(p[0].numel() for p in self.parameters())

    def forward(self, x: Tensor) -> Tensor:
        """Logits of every member.

        Parameters
        ----------
        x : Tensor
            ``(batch, d_in)``, the same rows for every member, or
            ``(k, batch, d_in)``, rows of each member's own.

        Returns
        -------
        Tensor
            ``(k, batch, d_out)``. Dropout is applied in training mode, with
            torch's global generator.
        """
        h = x
        last = len(self.weights) - 1
        for layer, (weight, bias) in enumerate(
            zip(self.weights, self.biases, strict=True)
        ):
            h = torch.matmul(h, weight) + bias
            if layer < last:
                h = torch.relu(h)
                p = self.dropout[layer]
                if self.training and p > 0:
                    h = nn.functional.dropout(h, p)
        return h

    @torch.no_grad()
    def predict(self, x: Tensor, *, batch_size: int = 4096) -> Tensor:
        """Logits of every member for many rows, ``(k, n, d_out)``, in evaluation mode.

        Rows go through in batches, so that the hidden activations of all
        members on all rows, ``(k, n, width)``, never sit in memory at once.
        """
        was_training = self.training
        self.eval()
        parts = [
            self(x[start : start + batch_size])
            for start in range(0, len(x), batch_size)
        ]
        self.train(was_training)
        return torch.cat(parts, dim=1)

    def member(self, index: int) -> nn.Sequential:
        """Member ``index`` as a standalone :class:`torch.nn.Sequential`.

        The copy holds ``Linear``, ``ReLU`` and ``Dropout`` layers with its own
        parameters; it is in evaluation mode.
        """
        layers: list[nn.Module] = []
        last = len(self.weights) - 1
        for layer, (weight, bias) in enumerate(
            zip(self.weights, self.biases, strict=True)
        ):
            linear = nn.Linear(weight.shape[1], weight.shape[2])
            with torch.no_grad():
                linear.weight.copy_(weight[index].T)
                linear.bias.copy_(bias[index, 0])
            layers.append(linear)
            if layer < last:
                layers.append(nn.ReLU())
                if self.dropout[layer] > 0:
                    layers.append(nn.Dropout(self.dropout[layer]))
        return nn.Sequential(*layers).eval()

    @classmethod
    def from_members(cls, members: Sequence[nn.Sequential]) -> StackedMLP:
        """Stack networks built of ``Linear``, ``ReLU`` and ``Dropout`` layers.

        Every network must have the layout :meth:`member` gives: ``Linear``
        layers with a ``ReLU`` (and optionally a ``Dropout``) between them, and
        the same widths as the others.
        """
        if not members:
            raise ValueError("from_members needs at least one network")
        for module in members[0]:
            if not isinstance(module, nn.Linear | nn.ReLU | nn.Dropout):
                raise ValueError(
                    "only Linear, ReLU and Dropout layers can be stacked, "
                    f"got {type(module).__name__}"
                )
        if len({tuple(_describe(m) for m in net) for net in members}) > 1:
            raise ValueError("the networks differ in their layers or widths")
        linears = [[m for m in net if isinstance(m, nn.Linear)] for net in members]
        first = linears[0]
        hidden = [layer.out_features for layer in first[:-1]]
        # The rate of a Dropout layer belongs to the Linear layer before it.
        dropout: list[float] = []
        for module in members[0]:
            if isinstance(module, nn.Linear):
                dropout.append(0.0)
            elif isinstance(module, nn.Dropout):
                dropout[-1] = module.p
        stacked = cls(
            len(members),
            first[0].in_features,
            hidden,
            first[-1].out_features,
            dropout=dropout[: len(hidden)],
        )
        with torch.no_grad():
            for i, layers in enumerate(linears):
                for weight, bias, linear in zip(
                    stacked.weights, stacked.biases, layers, strict=True
                ):
                    weight[i] = linear.weight.T
                    bias[i, 0] = linear.bias
        return stacked


def _describe(module: nn.Module) -> tuple[str, int, int]:
    if isinstance(module, nn.Linear):
        return ("Linear", module.in_features, module.out_features)
    return (type(module).__name__, 0, 0)


@dataclass
class _Cache:
    """What the backward pass needs from one training forward pass."""

    inputs: list[Tensor]  # input of each layer before dropout scaling
    scales: list[float]  # dropout scale 1 / (1 - p) of each layer's input


class DropoutMasks:
    """The dropout masks of a stacked network, each member from its own stream.

    Member ``i`` draws its masks from ``generators[i]`` alone, in the order the
    layers ask for them, so its masks do not depend on which other members
    share its stack: a member trained alone gets the same masks as in a stack.

    Parameters
    ----------
    generators : sequence of torch.Generator
        One stream per member.
    chunk : int, default=2**18
        Random draws per member fetched at a time. Drawing in chunks keeps the
        number of generator calls low without holding a whole epoch's masks.
    """

    def __init__(
        self, generators: Sequence[torch.Generator], *, chunk: int = 1 << 18
    ) -> None:
        self.generators = list(generators)
        self.chunk = chunk
        self._levels = torch.empty(len(self.generators), 0, dtype=torch.int16)
        self._position = 0

    def keep(self, shape: torch.Size, rate: float) -> Tensor:
        """A mask of ``shape``, ``(k, ...)``: 0 with probability ``rate``, else 1.

        The mask is an int16 tensor: comparisons that make boolean tensors are
        several times slower on the CPU than this integer arithmetic.
        """
        n_members = shape[0]
        n = math.prod(shape[1:])
        levels = self._take(n)
        threshold = round(rate * _MASK_LEVELS)
        return torch.sub(levels, threshold - 1).clamp_(0, 1).view(n_members, *shape[1:])

    def _take(self, n: int) -> Tensor:
        """The next ``n`` 15-bit levels of every member's stream, ``(k, n)``."""
        if self._position + n > self._levels.shape[1]:
            self._refill(n)
        levels = self._levels[:, self._position : self._position + n]
        self._position += n
        return levels

    def _refill(self, n: int) -> None:
        """Draw a new chunk behind the levels not yet used."""
        rest = self._levels[:, self._position :]
        n_rest = rest.shape[1]
        # The fresh draws start at an even offset, so that they can be
        # written as int32 and read as pairs of int16.
        start = n_rest + n_rest % 2
        n_draws = max(self.chunk, (n + 1) // 2)
        levels = torch.empty(
            len(self.generators), start + 2 * n_draws, dtype=torch.int16
        )
        levels[:, start - n_rest : start] = rest
        fresh = levels[:, start:]
        bits = fresh.view(torch.int32)
        for row, gen in zip(bits, self.generators, strict=True):
            row.random_(generator=gen)
        # Each 32-bit draw is in [0, 2**31): two 15-bit levels once masked.
        fresh.bitwise_and_(_MASK_LEVELS - 1)
        self._levels = levels
        self._position = start - n_rest

    @staticmethod
    def effective_rate(rate: float) -> float:
        """The drop rate a mask of :meth:`keep` applies for ``rate``."""
        return round(rate * _MASK_LEVELS) / _MASK_LEVELS


def train_forward(
    net: StackedMLP, x: Tensor, masks: DropoutMasks | None
) -> tuple[Tensor, _Cache]:
    """Forward pass for training, keeping what :func:`train_backward` needs.

    ``x`` is ``(k, batch, d_in)``. Without ``masks`` no dropout is applied.
    Returns the logits, ``(k, batch, d_out)``, and the cache.

    Dropout's ``1 / (1 - p)`` scale is applied by the next layer's matrix
    product (its ``alpha``), which costs nothing, instead of by a pass over
    the activations.
    """
    inputs: list[Tensor] = []
    scales: list[float] = []
    h, scale = x, 1.0
    last = len(net.weights) - 1
    for layer, (weight, bias) in enumerate(zip(net.weights, net.biases, strict=True)):
        inputs.append(h)
        scales.append(scale)
        h = torch.baddbmm(bias, h, weight, alpha=scale)
        if layer == last:
            return h, _Cache(inputs, scales)
        h = h.relu_()
        rate = net.dropout[layer]
        if masks is not None and rate > 0:
            h = h.mul_(masks.keep(h.shape, rate))
            scale = 1.0 / (1.0 - DropoutMasks.effective_rate(rate))
        else:
            scale = 1.0
    raise AssertionError("a StackedMLP has at least one layer")


def train_backward(net: StackedMLP, cache: _Cache, grad_logits: Tensor) -> list[Tensor]:
    """Gradients of the loss for ``net.stacked_parameters()``, in order.

    ``grad_logits`` is the gradient of the loss with respect to the logits of
    :func:`train_forward`, ``(k, batch, d_out)``.
    """
    n_layers = len(net.weights)
    grad_weights: list[Tensor] = [torch.empty(0)] * n_layers
    grad_biases: list[Tensor] = [torch.empty(0)] * n_layers
    grad = grad_logits
    for layer in range(n_layers - 1, -1, -1):
        weight = net.weights[layer].detach()
        inputs, scale = cache.inputs[layer], cache.scales[layer]
        # baddbmm with beta=0 ignores its first argument: a scaled bmm.
        grad_weights[layer] = torch.baddbmm(
            weight, inputs.transpose(1, 2), grad, beta=0.0, alpha=scale
        )
        grad_biases[layer] = grad.sum(dim=1, keepdim=True)
        if layer > 0:
            grad = torch.baddbmm(
                inputs, grad, weight.transpose(1, 2), beta=0.0, alpha=scale
            )
            # The input is relu(z) * keep: positive exactly where ReLU and
            # dropout both let the gradient through.
            grad = grad.mul_(inputs.sign())
    return grad_weights + grad_biases
