"""The torch half of ``gan`` (private): the MLP networks and the adversarial training loop.

The loop reads its networks from ``family._build_generator()`` and
``family._build_discriminator()``, so ``wavegan`` (a subclass with convolutional
networks) trains through it too. Imported by the families inside their methods.
"""

from __future__ import annotations

import copy
import functools
from typing import TYPE_CHECKING

import torch
from torch import nn
from torch.nn import functional as F

from genautoml.models._torch_utils import (
    check_vectors,
    descend,
    from_unit,
    minibatches,
    mlp,
    require_fitted,
    to_unit,
    train_epochs,
    update_average,
)
from genautoml.models.base import Report
from genautoml.spec import EncodedSpec

if TYPE_CHECKING:
    from genautoml.models.gan import GAN


def mlp_generator(spec: EncodedSpec, latent_dim: int, hidden: int, depth: int) -> nn.Module:
    # Sigmoid: outputs live in [0, 1] like the (scaled) data, whatever the generator does.
    return nn.Sequential(mlp([latent_dim, *[hidden] * depth, spec.dim], activation=nn.ReLU), nn.Sigmoid())


def mlp_discriminator(spec: EncodedSpec, hidden: int, depth: int, spectral_norm: bool) -> nn.Module:
    leaky = functools.partial(nn.LeakyReLU, 0.2)
    return mlp([spec.dim, *[hidden] * depth, 1], activation=leaky, spectral_norm=spectral_norm)


def fit(family: GAN, train: torch.Tensor, report: Report) -> None:
    """Train both players; ``family.generator_`` is the moving average that samples come from."""
    check_vectors(train, family.spec, "train")
    device = family.device_
    real_data = to_unit(train, family.spec)
    generator = family._build_generator().to(device)
    discriminator = family._build_discriminator().to(device)
    average = copy.deepcopy(generator).requires_grad_(False)
    g_opt = torch.optim.Adam(generator.parameters(), lr=family.lr, betas=family.adam_betas)
    d_opt = torch.optim.Adam(discriminator.parameters(), lr=family.lr * family.d_lr_ratio, betas=family.adam_betas)
    family.generator_ = average

    def step(index: torch.Tensor) -> torch.Tensor:
        real = real_data[index]
        fake = generator(torch.randn(len(real), family.latent_dim, device=device))
        # One discriminator pass over real and fake together (and one spectral-norm power step).
        d_real, d_fake = discriminator(torch.cat([real, fake.detach()])).split(len(real))
        # softplus(-l) = -log sigmoid(l): the logistic loss, written stably
        d_loss = F.softplus(-d_real).mean() + F.softplus(d_fake).mean()
        descend(d_opt, d_loss)
        # Non-saturating: maximise log D(G(z)) instead of minimising log(1 - D(G(z))).
        g_loss = F.softplus(-discriminator(fake)).mean()
        descend(g_opt, g_loss)
        update_average(average, generator, family.ema)
        return d_loss.detach() + g_loss.detach()

    train_epochs(family, [generator, discriminator], lambda: minibatches(len(train), family.batch_size, device), step,
                 report)


@torch.no_grad()
def sample(family: GAN, n: int, generator: torch.Generator) -> torch.Tensor:
    model = require_fitted(family.generator_, family.name).eval()
    z = torch.randn((n, family.latent_dim), generator=generator).to(family.device_)
    return from_unit(model(z), family.spec).cpu()
