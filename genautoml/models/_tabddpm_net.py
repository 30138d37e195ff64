"""The torch half of ``tabddpm`` (private): the denoiser, the training loss, training and sampling.

Imported by ``genautoml.models.tabddpm`` inside its methods, so that reading the family's
declaration does not import torch. The processes themselves (schedule, Gaussian and
multinomial posteriors) are in ``_tabddpm_process``.

One MLP reads the whole noisy row -- numbers in model space, each category block as the
one-hot of its current (noisy) category -- with a sinusoidal embedding of the time step
added to its first layer (TabDDPM's MLPDiffusion), and writes one output per encoded value:
the predicted noise for a number, a logit of x_0 for a category entry. The loss is the
Gaussian MSE on the noise (mean over numbers) plus the multinomial KL between the true
and the predicted posterior (mean over category blocks; -log p(x_0) at t = 0), as in
Kotelnikov et al. (2023). The network that samples and is saved is an exponential moving
average of the trained one.
"""

from __future__ import annotations

import copy
import itertools
from typing import TYPE_CHECKING

import torch
from torch import nn

from genautoml.models._denoisers import time_features, time_mlp
from genautoml.models._tabddpm_process import TabularProcess
from genautoml.models._torch_utils import (
    categorical,
    check_vectors,
    descend,
    minibatches,
    mlp,
    require_fitted,
    train_epochs,
    uniform,
    update_average,
    warmed_decay,
)
from genautoml.models.base import Report
from genautoml.spec import EncodedSpec

if TYPE_CHECKING:
    from genautoml.models.tabddpm import TabDDPM

#: how many rows one sampling pass holds at once (bounds memory for large sample counts)
_SAMPLE_CHUNK = 4096
#: gradients are clipped to this norm (the loss at small t spikes early on)
_CLIP_NORM = 1.0
#: a category block is one-hot when its values sum to 1 within this (float noise upstream)
_ONE_HOT_SLACK = 1e-3


class TabDDPMNet(nn.Module):
    """The denoiser over a whole row, with the process it denoises (buffers only)."""

    def __init__(self, spec: EncodedSpec, hidden: int, depth: int, timesteps: int, schedule: str, numbers: str):
        super().__init__()
        self.dim = spec.dim
        self.process = TabularProcess(spec, timesteps, schedule, numbers)
        self.inp = nn.Linear(spec.dim, hidden)
        self.time = time_mlp(hidden)
        # depth hidden layers after the input projection, as TabDDPM's d_layers
        self.body = nn.Sequential(nn.SiLU(), mlp([hidden] * (depth + 1) + [spec.dim]))

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """Noisy rows (B, dim) at steps ``t`` (B,) -> noise of numbers, logits of x_0 (B, dim)."""
        step = t.float() / self.process.timesteps  # time_features reads times in [0, 1]
        return self.body(self.inp(x) + self.time(time_features(step)))

    def loss(self, x: torch.Tensor) -> torch.Tensor:
        """The mean training loss of encoded rows ``x`` (B, dim) at random steps.

        Steps, noise and categorical draws come from torch's default generator on the CPU
        (seeded by fit), so training does not depend on the device."""
        process, device = self.process, x.device
        t = torch.randint(0, process.timesteps, (len(x),)).to(device)
        numbers0, categories0 = process.split(x)
        noise = torch.randn(numbers0.shape).to(device)
        numbers_t = process.noisy_numbers(numbers0, t, noise)
        log_x0 = process.log_onehot(categories0)
        categories_t = categorical(process.log_q_xt(log_x0, t).exp(), torch.rand(categories0.shape).to(device))
        out = self(process.join(numbers_t, categories_t, self.dim), t)
        total = torch.zeros(len(x), device=device)
        if process.n_numbers:
            total = total + (out[:, process.number_cols] - noise).pow(2).mean(-1)
        if process.n_blocks:
            true = process.log_posterior(log_x0, categories_t, t)
            predicted = process.log_posterior(process.log_predicted(out), categories_t, t)
            total = total + process.kl(true, predicted).mean(-1)
        return total.mean()

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """``n`` encoded rows (n, dim) by walking every step from noise; all randomness from
        ``generator``, drawn on the CPU, so the samples are the same on every device."""
        process, device = self.process, next(self.parameters()).device
        numbers = torch.randn((n, process.n_numbers), generator=generator).to(device)
        # x_T: each block's category uniform over its k (the stationary distribution)
        categories = categorical(process.mask.float().expand(n, -1, -1), uniform((n, process.n_blocks), generator, device))
        for step in reversed(range(process.timesteps)):
            t = torch.full((n,), step, dtype=torch.long, device=device)
            out = self(process.join(numbers, categories, self.dim), t)
            noise = torch.randn((n, process.n_numbers), generator=generator).to(device)
            numbers = process.number_step(numbers, out[:, process.number_cols], step, noise)
            log_p = process.log_posterior(process.log_predicted(out), categories, t)
            categories = categorical(log_p.exp(), uniform((n, process.n_blocks), generator, device))
        return process.join(process.from_model(numbers), categories, self.dim)


def build(family: TabDDPM) -> TabDDPMNet:
    return TabDDPMNet(family.spec, family.hidden, family.depth, family.timesteps, family.schedule, family.numbers)


def check_one_hot(x: torch.Tensor, spec: EncodedSpec, what: str) -> None:
    """Raise if a category block of ``x`` is not one-hot (a representation bug upstream)."""
    for kind, columns in spec.block_slices():
        if kind != "category" or not len(x):
            continue
        sums = x[:, columns].sum(1)
        bad = ((sums - 1).abs() > _ONE_HOT_SLACK).nonzero()
        if len(bad):
            raise ValueError(f"{what}: category block in columns {columns.start}..{columns.stop - 1} "
                             f"is not one-hot in row {int(bad[0])} (sum {float(sums[bad[0]]):g})")


def fit(family: TabDDPM, train: torch.Tensor, report: Report) -> None:
    """Train on ``train``; ``family.model_`` is the moving average, updated every step."""
    check_vectors(train, family.spec, "train")
    check_one_hot(train, family.spec, "train")
    device = family.device_
    net = build(family).to(device)
    average = family.model_ = copy.deepcopy(net).requires_grad_(False).eval()
    optimizer = torch.optim.AdamW(net.parameters(), lr=family.lr, weight_decay=family.weight_decay)
    batch_size, steps = min(family.batch_size, max(len(train), 1)), itertools.count(1)

    def step(index: torch.Tensor) -> torch.Tensor:
        loss = net.loss(train[index])
        descend(optimizer, loss, clip=(net.parameters(), _CLIP_NORM))
        update_average(average, net, warmed_decay(family.ema, next(steps)))
        return loss

    train_epochs(family, [net], lambda: minibatches(len(train), batch_size, device), step, report)


@torch.no_grad()
def sample(family: TabDDPM, n: int, generator: torch.Generator) -> torch.Tensor:
    model = require_fitted(family.model_, family.name).eval()
    parts = [model.sample(min(_SAMPLE_CHUNK, n - start), generator) for start in range(0, n, _SAMPLE_CHUNK)]
    return torch.cat(parts).cpu() if parts else torch.zeros(0, family.spec.dim)
