"""The torch half of ``diffusion`` (private): the noise schedule, DDPM training, DDIM sampling.

Imported by ``genautoml.models.diffusion`` inside its methods, so that reading the
family's declaration does not import torch.

Data are scaled to [-1, 1]. Time is continuous, t in [0, 1], with the cosine schedule of
Nichol & Dhariwal (2021): alpha_bar(t) = f(t) / f(0), f(t) = cos^2((t + s) / (1 + s) * pi/2),
held at or above ``_MIN_ALPHA_BAR`` at t = 1 so that every step stays invertible. Training
draws t uniformly and regresses what ``prediction`` names (the added noise as in Ho et al.,
2020, the clean data, or the velocity); sampling runs DDIM's update (Song et al., 2021) on
``steps`` evenly spaced times, the predicted clean data clipped to [-1, 1] at each step, with
``eta`` of DDPM's fresh noise. The network that samples and is saved is an exponential
moving average of the trained one, as in every DDPM since Ho et al.

Why the defaults predict the clean data with fresh noise (eta 1): on digits, whose pixels
are 0 for half the image, a noise-predicting network trained for a minute put a fifth of
its pixels between 0 and the first grey level, where real digits have none (measured in
docs/benchmarks.md); predicting the clean data puts them on 0. Half of DDPM's fresh noise (eta 0.5) scored best
of 0, 0.25, 0.5 and 1 on two sample seeds (Fréchet and C2ST, 50 steps).
"""

from __future__ import annotations

import copy
import itertools
import math
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
from torch import nn

from genautoml.models._denoisers import build_denoiser
from genautoml.models._torch_utils import (
    check_vectors,
    descend,
    from_unit,
    minibatches,
    require_fitted,
    to_unit,
    train_epochs,
    update_average,
    warmed_decay,
)
from genautoml.models.base import Report

if TYPE_CHECKING:
    from genautoml.models.diffusion import Diffusion

_COSINE_OFFSET = 0.008
_MIN_ALPHA_BAR = 1e-4
#: gradients are clipped to this norm (diffusion losses spike at small t)
_CLIP_NORM = 1.0
#: how many examples one sampling pass holds at once
_SAMPLE_CHUNK = 512


def alpha_bar(t: torch.Tensor) -> torch.Tensor:
    """The share of signal variance left at time ``t`` (any shape, values in [0, 1])."""

    def f(u: torch.Tensor) -> torch.Tensor:
        return torch.cos((u + _COSINE_OFFSET) / (1 + _COSINE_OFFSET) * math.pi / 2) ** 2

    return (f(t) / f(torch.zeros_like(t))).clamp(_MIN_ALPHA_BAR, 1.0)


def build(family: Diffusion) -> nn.Module:
    return build_denoiser(family.spec, family.network, family.width(), family.depth)


def fit(family: Diffusion, train: torch.Tensor, report: Report) -> None:
    """Train on ``train``; ``family.model_`` is the moving average, updated every step."""
    check_vectors(train, family.spec, "train")
    device = family.device_
    net = build(family).to(device)
    average = family.model_ = copy.deepcopy(net).requires_grad_(False).eval()
    optimizer = torch.optim.Adam(net.parameters(), lr=family.lr)
    data, steps = to_unit(train, family.spec) * 2 - 1, itertools.count(1)

    def step(index: torch.Tensor) -> torch.Tensor:
        loss = denoising_loss(net, data[index], family.prediction)
        descend(optimizer, loss, clip=(net.parameters(), _CLIP_NORM))
        update_average(average, net, warmed_decay(family.ema, next(steps)))
        return loss

    train_epochs(family, [net], lambda: minibatches(len(data), family.batch_size, device), step, report)


def denoising_loss(net: nn.Module, x0: torch.Tensor, prediction: str) -> torch.Tensor:
    """Mean squared error of the network's prediction of the noise ("eps"), the clean data
    ("x0") or the velocity ("v", Salimans & Ho, 2022) from data noised at a random time.

    Times and noise are drawn on the CPU from torch's default generator (seeded by fit),
    so training does not depend on the device."""
    t = torch.rand(len(x0)).to(x0.device)
    noise = torch.randn(x0.shape).to(x0.device)
    signal = alpha_bar(t).unsqueeze(-1)
    noisy = signal.sqrt() * x0 + (1 - signal).sqrt() * noise
    target = {"eps": noise, "x0": x0, "v": signal.sqrt() * noise - (1 - signal).sqrt() * x0}[prediction]
    return F.mse_loss(net(noisy, t), target)


def predicted_clean(out: torch.Tensor, x: torch.Tensor, signal: torch.Tensor, prediction: str) -> torch.Tensor:
    """The clean data the network's output ``out`` at ``x`` (signal share ``signal``) implies."""
    if prediction == "x0":
        return out
    if prediction == "v":
        return signal.sqrt() * x - (1 - signal).sqrt() * out
    return (x - (1 - signal).sqrt() * out) / signal.sqrt()


@torch.no_grad()
def sample(family: Diffusion, n: int, generator: torch.Generator) -> torch.Tensor:
    """``n`` examples in ``family.steps`` steps from noise drawn with ``generator``."""
    model = require_fitted(family.model_, family.name).eval()
    noise = torch.randn((n, family.spec.dim), generator=generator)  # on the CPU: the same on every device
    sampler = Sampler(family.steps, family.prediction, family.eta, generator)
    parts = [sampler.run(model, noise[i : i + _SAMPLE_CHUNK].to(family.device_)) for i in range(0, n, _SAMPLE_CHUNK)]
    unit = (torch.cat(parts) + 1) / 2 if parts else torch.zeros(0, family.spec.dim)
    return from_unit(unit, family.spec).cpu()


class Sampler:
    """DDIM (Song et al., 2021) from pure noise at t = 1 to data at t = 0, in [-1, 1].

    ``eta`` 0 is the deterministic DDIM update; 1 draws fresh noise at every step with the
    variance of DDPM's ancestral sampler; between, a share of it. Fresh noise is drawn on
    the CPU from ``generator``, so samples are the same on every device."""

    def __init__(self, steps: int, prediction: str = "eps", eta: float = 0.0,
                 generator: torch.Generator | None = None):
        self.steps, self.prediction, self.eta, self.generator = steps, prediction, eta, generator

    def run(self, model, x: torch.Tensor) -> torch.Tensor:
        times = torch.linspace(1.0, 0.0, self.steps + 1, device=x.device)
        for t, s in zip(times[:-1], times[1:]):
            signal_t, signal_s = alpha_bar(t), alpha_bar(s)
            out = model(x, t.expand(len(x)))
            clean = predicted_clean(out, x, signal_t, self.prediction).clamp(-1.0, 1.0)
            # The noise consistent with the clipped prediction, carried to the next time.
            noise = (x - signal_t.sqrt() * clean) / (1 - signal_t).sqrt()
            sigma = self.eta * ((1 - signal_s) / (1 - signal_t) * (1 - signal_t / signal_s)).clamp_min(0).sqrt()
            x = signal_s.sqrt() * clean + (1 - signal_s - sigma**2).clamp_min(0).sqrt() * noise
            if self.eta > 0:
                x = x + sigma * torch.randn(x.shape, generator=self.generator).to(x.device)
        return x.clamp(-1.0, 1.0)
