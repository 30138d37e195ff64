"""The torch half of ``tvae`` (private): the network, its training loop and sampling.

Imported by ``genautoml.models.tvae`` inside its methods, so that reading the family's
declaration does not import torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import nn

from genautoml.models._torch_utils import (
    categorical,
    check_vectors,
    descend,
    kl_to_prior,
    minibatches,
    mlp,
    posterior_draw,
    require_fitted,
    train_epochs,
    uniform,
)
from genautoml.models.base import Report
from genautoml.spec import EncodedSpec

if TYPE_CHECKING:
    from genautoml.models.tvae import TVAE

# The noise scale of a number is clamped to this range after every step, as TVAE does (its
# floor is 0.01 on its [-1, 1] scale; ours is [0, 1]): without a floor the scale of a number
# the decoder reconstructs well collapses and its term swamps the loss.
_MIN_SIGMA, _MAX_SIGMA = 0.005, 1.0
_START_SIGMA = 0.1
# TVAE's L2 penalty on the weights ("l2scale")
_WEIGHT_DECAY = 1e-5
# keeps the truncated Gaussian's inverse CDF finite
_EDGE = 1e-7


class TVAENet(nn.Module):
    def __init__(self, spec: EncodedSpec, latent_dim: int, hidden: int, depth: int):
        super().__init__()
        self.spec = spec
        blocks = spec.block_slices()
        self.categories = [columns for kind, columns in blocks if kind == "category"]
        numbers = torch.tensor([columns.start for kind, columns in blocks if kind == "number"], dtype=torch.long)
        # not persistent: rebuilt from the spec, but moved by .to() with the weights
        self.register_buffer("numbers", numbers, persistent=False)
        self.encoder = mlp([spec.dim, *[hidden] * depth, 2 * latent_dim], activation=nn.ReLU)
        self.decoder = mlp([latent_dim, *[hidden] * depth, spec.dim], activation=nn.ReLU)
        self.sigma = nn.Parameter(torch.full((len(numbers),), _START_SIGMA))

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mean, log_var = self.encoder(x).chunk(2, dim=-1)  # (B, latent) each
        return mean, log_var

    def reconstruction(self, x: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        """Negative log-likelihood of ``x`` (B, dim) under decoder output ``out`` (B, dim): (B,).

        Numbers: a Gaussian around sigmoid(out) (constants dropped); categories: cross-entropy
        of each block's logits against its one-hot target.
        """
        mean = torch.sigmoid(out[:, self.numbers])  # (B, numbers)
        loss = (((x[:, self.numbers] - mean) / self.sigma) ** 2 / 2 + self.sigma.log()).sum(-1)
        for columns in self.categories:
            target = x[:, columns].argmax(-1)
            loss = loss + nn.functional.cross_entropy(out[:, columns], target, reduction="none")
        return loss

    @torch.no_grad()
    def clamp_sigma(self) -> None:
        self.sigma.clamp_(_MIN_SIGMA, _MAX_SIGMA)

    def sample_x(self, z: torch.Tensor, u: torch.Tensor, noisy: bool) -> torch.Tensor:
        """Decode ``z`` (n, latent) to rows (n, dim); ``u`` (n, numbers + categories) uniforms:
        the first ``numbers`` draw each number's noise (when ``noisy``), the rest each category."""
        out = self.decoder(z)
        rows = torch.zeros_like(out)
        mean = torch.sigmoid(out[:, self.numbers])
        if noisy:
            # inverse CDF of the Gaussian truncated to [0, 1]: the draw stays in range
            # without piling up on the bounds, as a clamp would
            low, high = torch.special.ndtr(-mean / self.sigma), torch.special.ndtr((1 - mean) / self.sigma)
            p = (low + u[:, : len(self.numbers)] * (high - low)).clamp(_EDGE, 1 - _EDGE)
            mean = mean + self.sigma * torch.special.ndtri(p)
        rows[:, self.numbers] = mean.clamp(0.0, 1.0)
        for i, columns in enumerate(self.categories):
            code = categorical(out[:, columns].softmax(-1), u[:, len(self.numbers) + i])
            rows[:, columns] = nn.functional.one_hot(code, columns.stop - columns.start).to(rows.dtype)
        return rows



def build(family: TVAE) -> TVAENet:
    return TVAENet(family.spec, family.latent_dim, family.hidden, family.depth)


def fit(family: TVAE, train: torch.Tensor, report: Report) -> None:
    """Train ``family.model_`` on ``train``, calling ``report(epoch)`` after every epoch."""
    check_vectors(train, family.spec, "train")
    device = family.device_
    model = family.model_ = build(family).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=family.lr, weight_decay=_WEIGHT_DECAY)
    batch_size = max(1, min(family.batch_size, len(train)))

    def step(index: torch.Tensor) -> torch.Tensor:
        x = train[index]
        mean, log_var = model.encode(x)
        z = posterior_draw(mean, log_var)
        reconstruction = model.reconstruction(x, model.decoder(z))  # (B,)
        loss = (family.loss_factor * reconstruction + family.beta * kl_to_prior(mean, log_var)).mean()
        descend(optimizer, loss)
        model.clamp_sigma()
        return loss

    train_epochs(family, [model], lambda: minibatches(len(train), batch_size, device), step, report)


@torch.no_grad()
def sample(family: TVAE, n: int, generator: torch.Generator) -> torch.Tensor:
    model = require_fitted(family.model_, family.name).eval()
    z = torch.randn((n, family.latent_dim), generator=generator).to(family.device_)
    u = uniform((n, len(model.numbers) + len(model.categories)), generator, family.device_)
    return model.sample_x(z, u, family.noisy_samples).cpu()

