"""``gan``: an MLP GAN over flat vectors, tuned to train stably on ~1000 examples.

Non-saturating loss, Adam with betas (0.5, 0.999) and, optionally, spectral norm in the
discriminator. Discrete levels are trained as evenly spaced floats in [0, 1] and samples
are rounded back to the nearest level. No likelihood.
"""

from __future__ import annotations

import copy
import functools
from typing import Optional

import torch
from torch import nn
from torch.nn import functional as F

from genautoml.models._torch_utils import (
    check_vectors,
    from_unit,
    load_module_state,
    minibatches,
    mlp,
    module_state,
    require_fitted,
    to_unit,
)
from genautoml.models.base import Family, Report
from genautoml.spec import EncodedSpec
from genautoml.models.registry import register

_BETAS = (0.5, 0.999)


def _generator(spec: EncodedSpec, latent_dim: int, hidden: int, depth: int) -> nn.Module:
    # Sigmoid: outputs live in [0, 1] like the (scaled) data, whatever the generator does.
    return nn.Sequential(mlp([latent_dim, *[hidden] * depth, spec.dim], activation=nn.ReLU), nn.Sigmoid())


def _discriminator(spec: EncodedSpec, hidden: int, depth: int, spectral_norm: bool) -> nn.Module:
    leaky = functools.partial(nn.LeakyReLU, 0.2)
    return mlp([spec.dim, *[hidden] * depth, 1], activation=leaky, spectral_norm=spectral_norm)


@torch.no_grad()
def _ema_update(average: nn.Module, current: nn.Module, decay: float) -> None:
    for a, c in zip(average.parameters(), current.parameters()):
        a.lerp_(c, 1.0 - decay)


@register
class GAN(Family):
    name = "gan"
    modalities = ("image", "audio")
    has_likelihood = False
    extends_epochs = True
    summary = "MLP GAN (non-saturating loss, optional spectral norm); samples only"
    default_space = {
        "lr": {"loguniform": [1e-4, 1e-3]},
        "d_lr_ratio": {"loguniform": [1.0, 8.0]},
        "batch_size": {"choice": [64, 128]},
        "epochs": {"int": [60, 150]},
        "latent_dim": {"choice": [16, 32, 64]},
        "hidden": {"choice": [128, 256]},
        "depth": {"int": [1, 2]},
        "spectral_norm": {"choice": [True, False]},
        "ema": {"choice": [0.0, 0.99, 0.999]},
    }

    def __init__(
        self,
        spec: EncodedSpec,
        *,
        lr: float = 2e-4,
        d_lr_ratio: float = 4.0,
        batch_size: int = 64,
        epochs: int = 120,
        latent_dim: int = 32,
        hidden: int = 256,
        depth: int = 2,
        spectral_norm: bool = True,
        ema: float = 0.99,
    ):
        super().__init__(spec)
        self.lr = lr
        # discriminator lr = lr * d_lr_ratio: the usual TTUR knob for balancing the two players
        self.d_lr_ratio = d_lr_ratio
        self.batch_size = batch_size
        self.epochs = epochs
        self.latent_dim = latent_dim
        self.hidden = hidden
        self.depth = depth
        self.spectral_norm = spectral_norm
        # Decay of an exponential moving average of the generator, which is what samples
        # come from (0 turns it off): it smooths the oscillation of adversarial training.
        self.ema = ema
        self.generator_: Optional[nn.Module] = None
        self.device_ = torch.device("cpu")

    #: Adam's betas for both networks (a low beta1 is the usual choice for GANs)
    adam_betas = _BETAS

    def _build_generator(self) -> nn.Module:
        return _generator(self.spec, self.latent_dim, self.hidden, self.depth)

    def _build_discriminator(self) -> nn.Module:
        return _discriminator(self.spec, self.hidden, self.depth, self.spectral_norm)

    def _fit(self, train: torch.Tensor, valid: Optional[torch.Tensor], report: Report) -> None:
        # valid is not used here: the caller scores the model in report(), the same way for every family.
        check_vectors(train, self.spec, "train")
        real_data = to_unit(train, self.spec)
        generator = self._build_generator().to(self.device_)
        discriminator = self._build_discriminator().to(self.device_)
        average = copy.deepcopy(generator).requires_grad_(False)
        g_opt = torch.optim.Adam(generator.parameters(), lr=self.lr, betas=self.adam_betas)
        d_opt = torch.optim.Adam(discriminator.parameters(), lr=self.lr * self.d_lr_ratio, betas=self.adam_betas)
        self.generator_ = average
        for epoch in range(1, self.epochs + 1):
            generator.train()
            discriminator.train()
            total = torch.zeros((), device=self.device_)
            for index in minibatches(len(train), self.batch_size, self.device_):
                real = real_data[index]
                fake = generator(torch.randn(len(real), self.latent_dim, device=self.device_))
                # One discriminator pass over real and fake together (and one spectral-norm power step).
                d_real, d_fake = discriminator(torch.cat([real, fake.detach()])).split(len(real))
                # softplus(-l) = -log sigmoid(l): the logistic loss, written stably
                d_loss = F.softplus(-d_real).mean() + F.softplus(d_fake).mean()
                d_opt.zero_grad(set_to_none=True)
                d_loss.backward()
                d_opt.step()
                # Non-saturating: maximise log D(G(z)) instead of minimising log(1 - D(G(z))).
                g_loss = F.softplus(-discriminator(fake)).mean()
                g_opt.zero_grad(set_to_none=True)
                g_loss.backward()
                g_opt.step()
                _ema_update(average, generator, self.ema)
                total += d_loss.detach() + g_loss.detach()
            self.check_finite(total)
            report(epoch)

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        model = require_fitted(self.generator_, self.name).eval()
        z = torch.randn((n, self.latent_dim), generator=generator).to(self.device_)
        return from_unit(model(z), self.spec).cpu()

    def state(self) -> dict[str, torch.Tensor]:
        # Only the (averaged) generator: the discriminator is not needed to sample.
        return module_state(generator=require_fitted(self.generator_, self.name))

    def load_state(self, state: dict[str, torch.Tensor]) -> None:
        model = self._build_generator()
        load_module_state(state, generator=model)
        self.generator_, self.device_ = model.eval(), torch.device("cpu")
