"""The torch half of ``vae`` (private): the network, its training loop and its bounds.

Imported by ``genautoml.models.vae`` inside its methods, so that reading the family's
declaration does not import torch.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Optional

import torch
from torch import nn

from genautoml.models._torch_utils import (
    categorical,
    check_vectors,
    descend,
    from_unit,
    kl_to_prior,
    minibatches,
    mlp,
    posterior_draw,
    require_fitted,
    to_unit,
    train_epochs,
    uniform,
)
from genautoml.models.base import Report
from genautoml.spec import EncodedSpec

if TYPE_CHECKING:
    from genautoml.models.vae import VAE

# The scale is bounded: on quantized data (digits have 17 intensities) an unbounded
# Gaussian collapses onto the grid and its "density" grows without limit.
_MIN_SCALE, _MAX_SCALE = 0.01, 1.0
# Importance samples per example for log_likelihood (tighter than the ELBO, still cheap),
# drawn from a fixed seed so that the same x always gets the same figure.
_IW_SAMPLES, _IW_SEED = 32, 0
# How many decoder outputs log_likelihood holds at once (64 MiB of float32).
_EVAL_FLOATS = 2**24
# The scales see one gradient per dimension, not per example; at the network's lr they
# would need thousands of steps to reach the data's noise level.
_SCALE_LR_BOOST = 10.0
_LOG_2PI = math.log(2 * math.pi)


class VAENet(nn.Module):
    def __init__(self, spec: EncodedSpec, latent_dim: int, hidden: int, depth: int):
        super().__init__()
        self.spec = spec
        self.outputs = spec.levels or 1  # per dimension: logits over the levels, or a location
        self.encoder = mlp([spec.dim, *[hidden] * depth, 2 * latent_dim])
        self.decoder = mlp([latent_dim, *[hidden] * depth, spec.dim * self.outputs])
        if not spec.discrete:
            # One learned scale per dimension, shared by all examples (a "calibrated" decoder):
            # a scale predicted per example buys likelihood by calling hard pixels noise, and
            # the decoder's locations -- the samples -- then blur.
            start = (0.1 - _MIN_SCALE) / (_MAX_SCALE - _MIN_SCALE)  # scale 0.1
            self.scale_logit = nn.Parameter(torch.full((spec.dim,), math.log(start / (1 - start))))

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mean, log_var = self.encoder(to_unit(x, self.spec)).chunk(2, dim=-1)  # (B, latent) each
        return mean, log_var

    def decode(self, z: torch.Tensor):
        """(B, latent) -> logits (B, dim, levels), or locations in [0, 1] and scales, (B, dim) each."""
        out = self.decoder(z)
        if self.spec.discrete:
            return out.view(-1, self.spec.dim, self.outputs)
        # A sigmoid, not a clamp, bounds the scale so that its gradient never vanishes.
        sigma = _MIN_SCALE + (_MAX_SCALE - _MIN_SCALE) * torch.sigmoid(self.scale_logit)
        return torch.sigmoid(out), sigma.expand_as(out)

    def log_px_z(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """log p(x | z) summed over dimensions: (B,)."""
        if self.spec.discrete:
            return self.decode(z).log_softmax(-1).gather(-1, x.long().unsqueeze(-1)).squeeze(-1).sum(-1)
        (out, sigma), x = self.decode(z), to_unit(x, self.spec)
        normal = -0.5 * ((x - out) / sigma) ** 2 - sigma.log() - 0.5 * _LOG_2PI
        # Mass of the Gaussian inside [0, 1]: over a third, as the location lies inside.
        mass = torch.special.ndtr((1 - out) / sigma) - torch.special.ndtr(-out / sigma)
        return (normal - mass.clamp_min(1e-12).log()).sum(-1)

    def sample_x(self, z: torch.Tensor, u: Optional[torch.Tensor]) -> torch.Tensor:
        """Decode to the encoded space; ``u`` (B, dim) uniforms draw observation noise, None takes the mode."""
        if self.spec.discrete:
            logits = self.decode(z)
            return logits.argmax(-1) if u is None else categorical(logits.softmax(-1), u)
        out, sigma = self.decode(z)
        if u is None:
            return from_unit(out, self.spec)
        # Inverse CDF of the truncated Gaussian: the draw stays inside [0, 1].
        low, high = torch.special.ndtr(-out / sigma), torch.special.ndtr((1 - out) / sigma)
        p = (low + u * (high - low)).clamp(1e-7, 1 - 1e-7)
        return from_unit(out + sigma * torch.special.ndtri(p), self.spec)



def log_normal(z: torch.Tensor, mean: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
    return (-0.5 * ((z - mean) ** 2 / log_var.exp() + log_var + _LOG_2PI)).sum(-1)


def build(family: VAE) -> VAENet:
    return VAENet(family.spec, family.latent_dim, family.hidden, family.depth)


def fit(family: VAE, train: torch.Tensor, report: Report) -> None:
    """Train ``family.model_`` on ``train``, calling ``report(epoch)`` after every epoch."""
    check_vectors(train, family.spec, "train")
    device = family.device_
    model = family.model_ = build(family).to(device)
    scales = [p for name, p in model.named_parameters() if name == "scale_logit"]
    others = [p for name, p in model.named_parameters() if name != "scale_logit"]
    optimizer = torch.optim.Adam([{"params": others}, {"params": scales, "lr": family.lr * _SCALE_LR_BOOST}], lr=family.lr)

    def step(index: torch.Tensor) -> torch.Tensor:
        x = train[index]
        mean, log_var = model.encode(x)
        z = posterior_draw(mean, log_var)
        loss = (family.beta * kl_to_prior(mean, log_var) - model.log_px_z(x, z)).mean()
        descend(optimizer, loss)
        return loss

    train_epochs(family, [model], lambda: minibatches(len(train), family.batch_size, device), step, report)


@torch.no_grad()
def sample(family: VAE, n: int, generator: torch.Generator) -> torch.Tensor:
    model = require_fitted(family.model_, family.name).eval()
    z = torch.randn((n, family.latent_dim), generator=generator).to(family.device_)
    u = uniform((n, family.spec.dim), generator, family.device_) if family.noisy_samples else None
    return model.sample_x(z, u).cpu()


@torch.no_grad()
def log_likelihood(family: VAE, x: torch.Tensor) -> torch.Tensor:
    """Importance-weighted lower bound on log p(x) (nats, (N,)); deterministic."""
    model = require_fitted(family.model_, family.name).eval()
    check_vectors(x, family.spec, "x")
    generator = torch.Generator().manual_seed(_IW_SEED)
    k, latent_dim, device = _IW_SAMPLES, family.latent_dim, family.device_
    chunk = max(1, _EVAL_FLOATS // (k * family.spec.dim * model.outputs))
    bounds = []
    for start in range(0, len(x), chunk):
        xb = x[start : start + chunk].to(device)  # (B, dim)
        mean, log_var = model.encode(xb)
        eps = torch.randn((len(xb), k, latent_dim), generator=generator).to(device)
        z = mean.unsqueeze(1) + (0.5 * log_var).exp().unsqueeze(1) * eps  # (B, k, latent)
        log_pz = (-0.5 * (z.pow(2) + _LOG_2PI)).sum(-1)
        log_qz = log_normal(z, mean.unsqueeze(1), log_var.unsqueeze(1))
        log_px = model.log_px_z(xb.repeat_interleave(k, 0), z.reshape(-1, latent_dim)).view(-1, k)
        bounds.append((torch.logsumexp(log_px + log_pz - log_qz, dim=1) - math.log(k)).cpu())
    return torch.cat(bounds) if bounds else torch.zeros(0)
