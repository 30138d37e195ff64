"""The torch half of ``flow`` (private): a RealNVP-style normalizing flow on [0, 1]^dim.

Imported by ``genautoml.models.flow`` inside its methods, so that reading the family's
declaration does not import torch.

The bijection, data to noise, each step with its log-determinant counted:
1. the logit of (alpha + (1 - 2 alpha) v), so the density lives on [0, 1] like the other
   families' (alpha keeps the ends finite);
2. standardisation by the training data's mean and spread in that logit space (fixed at
   the start of fit: a fixed affine map, saved with the model);
3. ``layers`` affine couplings (Dinh et al., 2017): half of the dimensions, a fixed random
   half per pair of layers, predict a bounded log-scale and a shift for the other half.
The base is a standard normal, so log p(v) is exact.

Levels (discrete data) are dequantized (Theis et al., 2016): training sees v = (x + u) / L
with u uniform in [0, 1), and the probability of x is bounded below by importance weights
over fixed draws of u: log P(x) >= E log mean_k p(v_k) - dim log L (in expectation; Burda et
al.'s bound with the uniform as proposal).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import torch
from torch import nn

from genautoml.models._torch_utils import check_vectors, descend, minibatches, mlp, require_fitted, train_epochs, uniform
from genautoml.models.base import Report
from genautoml.spec import EncodedSpec

if TYPE_CHECKING:
    from genautoml.models.flow import Flow

#: keeps the logit finite at 0 and 1
_ALPHA = 1e-3
#: continuous data often sit on a grid (8-bit or 17-level images); training on the grid
#: itself lets a flow pile unbounded density on its points, so training (only) adds
#: uniform noise of this half-width
_TRAIN_NOISE = 1.0 / 512
#: dequantization draws per example for the likelihood of levels, from a fixed seed
_DEQUANT_SAMPLES, _DEQUANT_SEED = 16, 0
#: flows' early gradients are large; clipping keeps the first epochs from diverging
_CLIP_NORM = 10.0
_LOG_2PI = math.log(2 * math.pi)


class Coupling(nn.Module):
    """An affine coupling: the dimensions where ``mask`` is 1 pass through and condition
    the others' log-scale (bounded by tanh, times a learned factor) and shift."""

    def __init__(self, mask: torch.Tensor, hidden: int, depth: int):
        super().__init__()
        dim = len(mask)
        self.register_buffer("mask", mask.float())
        self.net = mlp([dim, *[hidden] * depth, 2 * dim])
        last = self.net[-1]
        nn.init.zeros_(last.weight), nn.init.zeros_(last.bias)  # start as the identity
        self.scale_factor = nn.Parameter(torch.ones(dim))

    def _scale_shift(self, kept: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        raw_scale, shift = self.net(kept).chunk(2, dim=-1)
        free = 1 - self.mask
        return torch.tanh(raw_scale) * self.scale_factor * free, shift * free

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        log_scale, shift = self._scale_shift(x * self.mask)
        return x * log_scale.exp() + shift, log_scale.sum(-1)

    def inverse(self, z: torch.Tensor) -> torch.Tensor:
        log_scale, shift = self._scale_shift(z * self.mask)
        return (z - shift) * (-log_scale).exp()


class FlowNet(nn.Module):
    def __init__(self, spec: EncodedSpec, layers: int, hidden: int, depth: int):
        super().__init__()
        self.spec = spec
        self.register_buffer("loc", torch.zeros(spec.dim))
        self.register_buffer("log_spread", torch.zeros(spec.dim))
        self.couplings = nn.ModuleList(Coupling(m, hidden, depth) for m in coupling_masks(spec.dim, layers))

    def log_density(self, v: torch.Tensor) -> torch.Tensor:
        """log p(v) for v in [0, 1]^dim: (B,), exact."""
        w = _ALPHA + (1 - 2 * _ALPHA) * v
        y = torch.log(w) - torch.log1p(-w)
        log_det = (math.log(1 - 2 * _ALPHA) - torch.log(w) - torch.log1p(-w)).sum(-1)
        z = (y - self.loc) * (-self.log_spread).exp()
        log_det = log_det - self.log_spread.sum()
        for coupling in self.couplings:
            z, step = coupling(z)
            log_det = log_det + step
        return (-0.5 * (z.pow(2) + _LOG_2PI)).sum(-1) + log_det

    def invert(self, z: torch.Tensor) -> torch.Tensor:
        """Noise (B, dim) -> v in [0, 1]^dim."""
        for coupling in reversed(self.couplings):
            z = coupling.inverse(z)
        w = torch.sigmoid(z * self.log_spread.exp() + self.loc)
        return ((w - _ALPHA) / (1 - 2 * _ALPHA)).clamp(0.0, 1.0)


def coupling_masks(dim: int, layers: int) -> list[torch.Tensor]:
    """One mask per layer: each pair of layers splits the dimensions by a fixed random
    half and its complement, so every dimension is transformed once per pair."""
    masks = []
    for layer in range(layers):
        pair = torch.Generator().manual_seed(layer // 2)
        half = torch.zeros(dim)
        half[torch.randperm(dim, generator=pair)[: dim // 2]] = 1.0
        masks.append(half if layer % 2 == 0 else 1 - half)
    return masks


def build(family: Flow) -> FlowNet:
    return FlowNet(family.spec, family.layers, family.hidden, family.depth)


def to_interval(x: torch.Tensor, spec: EncodedSpec, u: torch.Tensor) -> torch.Tensor:
    """Encoded data to points of [0, 1]^dim: a level's cell by ``u`` (in [0, 1)); continuous
    values moved by ``u`` over the training noise (u = 0.5: not moved)."""
    if spec.discrete:
        return (x.float() + u) / spec.levels
    return (x.float() + (2 * u - 1) * _TRAIN_NOISE).clamp(0.0, 1.0)


def fit(family: Flow, train: torch.Tensor, report: Report) -> None:
    check_vectors(train, family.spec, "train")
    device, spec = family.device_, family.spec
    model = family.model_ = build(family).to(device)
    _standardise(model, to_interval(train, spec, torch.full(train.shape, 0.5, device=device)))
    optimizer = torch.optim.Adam(model.parameters(), lr=family.lr)

    def step(index: torch.Tensor) -> torch.Tensor:
        x = train[index]
        u = torch.rand(x.shape).to(device)  # on the CPU: the same draws on every device
        loss = -model.log_density(to_interval(x, spec, u)).mean() / spec.dim
        descend(optimizer, loss, clip=(model.parameters(), _CLIP_NORM))
        return loss

    train_epochs(family, [model], lambda: minibatches(len(train), family.batch_size, device), step, report)


@torch.no_grad()
def _standardise(model: FlowNet, v: torch.Tensor) -> None:
    w = _ALPHA + (1 - 2 * _ALPHA) * v
    y = torch.log(w) - torch.log1p(-w)
    model.loc.copy_(y.mean(0))
    model.log_spread.copy_(y.std(0, unbiased=False).clamp_min(1e-3).log() if len(y) > 1 else torch.zeros_like(model.loc))


@torch.no_grad()
def sample(family: Flow, n: int, generator: torch.Generator) -> torch.Tensor:
    model = require_fitted(family.model_, family.name).eval()
    z = torch.randn((n, family.spec.dim), generator=generator).to(family.device_)
    v = model.invert(z)
    if family.spec.discrete:
        return (v * family.spec.levels).floor().clamp(0, family.spec.levels - 1).long().cpu()
    return v.float().cpu()


@torch.no_grad()
def log_likelihood(family: Flow, x: torch.Tensor) -> torch.Tensor:
    """Nats per example: the exact log density of continuous data, the dequantization bound
    of levels (module docstring); deterministic."""
    model = require_fitted(family.model_, family.name).eval()
    spec, device = family.spec, family.device_
    check_vectors(x, spec, "x")
    x = x.to(device)
    if not spec.discrete:
        return model.log_density(x.float().clamp(0.0, 1.0)).cpu()
    generator = torch.Generator().manual_seed(_DEQUANT_SEED)
    draws = torch.stack([model.log_density(to_interval(x, spec, uniform(tuple(x.shape), generator, device)))
                         for _ in range(_DEQUANT_SAMPLES)])  # (K, N)
    bound = torch.logsumexp(draws, dim=0) - math.log(_DEQUANT_SAMPLES) - spec.dim * math.log(spec.levels)
    return bound.cpu()
