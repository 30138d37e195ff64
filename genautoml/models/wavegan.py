"""``wavegan``: a WaveGAN-style 1-D convolutional GAN over fixed-length clips.

After Donahue, McAuley and Puckette, "Adversarial Audio Synthesis" (2019), shrunk to train
on a few hundred short clips on a CPU. The generator maps a latent vector to a short, wide
sequence, then ``layers`` times upsamples it 4x with a sub-pixel convolution (a convolution
at the short length with 4x the channels, shuffled into time: no checkerboard artefacts,
unlike transposed convolutions) while halving the channels. The discriminator mirrors it
with stride-4 convolutions; between its layers "phase shuffle" shifts each clip by a few
steps, so it cannot tell real from fake by the exact phase of periodic artefacts.
Non-saturating loss with spectral norm in the discriminator and an EMA of the generator,
as in ``gan``: stable without WGAN-GP's second backward pass, which would double the cost
on a CPU.

The vector is read as one channel over time, which is what a waveform is. Discrete levels
(mu-law codes) are trained as evenly spaced floats in [0, 1] and rounded back. No likelihood.
"""

from __future__ import annotations

import copy
import math
from typing import Optional

import torch
from torch import nn
from torch.nn import functional as F

from genautoml.models._torch_utils import (
    check_vectors,
    from_unit,
    load_module_state,
    minibatches,
    module_state,
    require_fitted,
    to_unit,
)
from genautoml.models.base import EncodedSpec, Family, Report
from genautoml.models.registry import register

_BETAS = (0.5, 0.9)
_STRIDE = 4
_MIN_CHANNELS = 4


def _channels(width: int, layers: int) -> list[int]:
    """Channels from the deepest (shortest) sequence to the last hidden one: width, width/2, ..."""
    return [max(_MIN_CHANNELS, width >> i) for i in range(layers)]


def _base_length(dim: int, layers: int) -> int:
    """Length of the deepest sequence: ``layers`` 4x upsamplings of it cover ``dim``."""
    return max(1, math.ceil(dim / _STRIDE**layers))


def _to_time(x: torch.Tensor) -> torch.Tensor:
    """(B, C * 4, L) -> (B, C, 4 L): channel groups become consecutive samples (sub-pixel shuffle)."""
    b, c, length = x.shape
    return x.view(b, c // _STRIDE, _STRIDE, length).transpose(2, 3).reshape(b, c // _STRIDE, length * _STRIDE)


def _to_channels(x: torch.Tensor) -> torch.Tensor:
    """(B, C, 4 L) -> (B, C * 4, L): the inverse of ``_to_time``."""
    b, c, length = x.shape
    return x.view(b, c, length // _STRIDE, _STRIDE).transpose(2, 3).reshape(b, c * _STRIDE, length // _STRIDE)


class _Generator(nn.Module):
    """Each 4x upsampling is a convolution at the short length producing 4x the channels,
    shuffled into time (sub-pixel convolution): the same receptive field as a convolution
    after upsampling, no checkerboard artefacts, and on a CPU several times faster than a
    few-channel convolution over the long sequence."""

    def __init__(self, dim: int, latent_dim: int, width: int, layers: int, kernel_size: int):
        super().__init__()
        self.dim = dim
        channels = _channels(width, layers)
        self.base = _base_length(dim, layers)
        self.width = channels[0]
        self.project = nn.Linear(latent_dim, channels[0] * self.base)
        self.convs = nn.ModuleList(
            nn.Conv1d(c_in, c_out * _STRIDE, kernel_size, padding=kernel_size // 2)
            for c_in, c_out in zip(channels, channels[1:] + [1])
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.project(z).view(len(z), self.width, self.base)  # (B, width, base)
        for conv in self.convs:
            h = _to_time(conv(F.relu(h)))  # (B, C, L) -> (B, C / 2, 4 L)
        return torch.sigmoid(h[:, 0, : self.dim])  # cropped to dim; the encoded space is [0, 1]


def _phase_shuffle(x: torch.Tensor, shift: int) -> torch.Tensor:
    """Shift each example (B, C, L) by a random -shift..shift steps, edges filled by reflection."""
    if shift == 0 or x.shape[-1] <= shift:
        return x
    length = x.shape[-1]
    offsets = torch.randint(-shift, shift + 1, (len(x), 1)).to(x.device)
    index = torch.arange(length, device=x.device)[None, :] + shift - offsets  # (B, L)
    padded = F.pad(x, (shift, shift), mode="reflect")
    return padded.gather(2, index[:, None, :].expand(-1, x.shape[1], -1))


class _Discriminator(nn.Module):
    """The mirror image: each layer folds 4 steps into channels, then convolves (a stride-4
    convolution computed at the short length)."""

    def __init__(self, dim: int, width: int, layers: int, kernel_size: int, phase_shuffle: int):
        super().__init__()
        channels = _channels(width, layers)[::-1]  # shallow (long) to deep (short)
        self.padded = _base_length(dim, layers) * _STRIDE**layers
        self.phase_shuffle = phase_shuffle
        sn = nn.utils.parametrizations.spectral_norm
        self.convs = nn.ModuleList(
            sn(nn.Conv1d(c_in * _STRIDE, c_out, kernel_size, padding=kernel_size // 2))
            for c_in, c_out in zip([1] + channels[:-1], channels)
        )
        self.head = sn(nn.Linear(channels[-1] * _base_length(dim, layers), 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, dim) in [0, 1] -> logits (B,)."""
        # Centred on 0 (mu-law silence) and padded to whole strides.
        h = F.pad(x - 0.5, (0, self.padded - x.shape[1])).unsqueeze(1)  # (B, 1, padded)
        for i, conv in enumerate(self.convs):
            h = F.leaky_relu(conv(_to_channels(h)), 0.2)  # (B, C, L) -> (B, 2 C, L / 4)
            if i < len(self.convs) - 1:
                h = _phase_shuffle(h, self.phase_shuffle)
        return self.head(h.flatten(1)).squeeze(1)


@torch.no_grad()
def _ema_update(average: nn.Module, current: nn.Module, decay: float) -> None:
    for a, c in zip(average.parameters(), current.parameters()):
        a.lerp_(c, 1.0 - decay)


@register
class WaveGAN(Family):
    name = "wavegan"
    modalities = ("audio",)
    has_likelihood = False
    summary = "WaveGAN-style 1-D convolutional GAN over the waveform (phase shuffle); samples only"
    default_space = {
        "lr": {"loguniform": [2e-4, 3e-3]},
        "d_lr_ratio": {"loguniform": [0.5, 4.0]},
        "batch_size": {"choice": [16, 32, 64]},
        "epochs": {"int": [20, 120]},
        "latent_dim": {"choice": [16, 32, 64]},
        "width": {"choice": [32, 64, 128]},
        "layers": {"int": [3, 5]},
        "kernel_size": {"choice": [3, 5, 9]},
        "phase_shuffle": {"int": [0, 2]},
        "ema": {"choice": [0.0, 0.99, 0.999]},
    }

    def __init__(
        self,
        spec: EncodedSpec,
        *,
        lr: float = 1e-3,
        d_lr_ratio: float = 1.0,
        batch_size: int = 32,
        epochs: int = 40,
        latent_dim: int = 32,
        width: int = 64,
        layers: int = 4,
        kernel_size: int = 5,
        phase_shuffle: int = 2,
        ema: float = 0.99,
    ):
        super().__init__(spec)
        if layers < 1:
            raise ValueError(f"layers: expected at least 1, got {layers}")
        if kernel_size < 1 or kernel_size % 2 == 0:
            raise ValueError(f"kernel_size: expected an odd positive number, got {kernel_size}")
        self.lr = lr
        # discriminator lr = lr * d_lr_ratio (TTUR)
        self.d_lr_ratio = d_lr_ratio
        self.batch_size = batch_size
        self.epochs = epochs
        self.latent_dim = latent_dim
        # channels of the deepest generator layer; each 4x upsampling halves them
        self.width = width
        self.layers = layers
        self.kernel_size = kernel_size
        # samples each discriminator feature map is shifted by at most (0: off)
        self.phase_shuffle = phase_shuffle
        # decay of the moving average of the generator that samples come from (0: off)
        self.ema = ema
        self.generator_: Optional[nn.Module] = None
        self.device_ = torch.device("cpu")

    def _build_generator(self) -> _Generator:
        return _Generator(self.spec.dim, self.latent_dim, self.width, self.layers, self.kernel_size)

    def _fit(self, train: torch.Tensor, valid: Optional[torch.Tensor], report: Report) -> None:
        # valid is not used here: the caller scores the model in report(), the same way for every family.
        check_vectors(train, self.spec, "train")
        real_data = to_unit(train, self.spec)
        generator = self._build_generator().to(self.device_)
        discriminator = _Discriminator(self.spec.dim, self.width, self.layers, self.kernel_size,
                                       self.phase_shuffle).to(self.device_)
        average = copy.deepcopy(generator).requires_grad_(False)
        g_opt = torch.optim.Adam(generator.parameters(), lr=self.lr, betas=_BETAS)
        d_opt = torch.optim.Adam(discriminator.parameters(), lr=self.lr * self.d_lr_ratio, betas=_BETAS)
        self.generator_ = average
        for epoch in range(1, self.epochs + 1):
            generator.train()
            total = torch.zeros((), device=self.device_)
            for index in minibatches(len(train), self.batch_size, self.device_):
                real = real_data[index]
                fake = generator(torch.randn(len(real), self.latent_dim, device=self.device_))
                d_real, d_fake = discriminator(torch.cat([real, fake.detach()])).split(len(real))
                d_loss = F.softplus(-d_real).mean() + F.softplus(d_fake).mean()
                d_opt.zero_grad(set_to_none=True)
                d_loss.backward()
                d_opt.step()
                g_loss = F.softplus(-discriminator(fake)).mean()  # non-saturating
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
        return module_state(generator=require_fitted(self.generator_, self.name))

    def load_state(self, state: dict[str, torch.Tensor]) -> None:
        model = self._build_generator()
        load_module_state(state, generator=model)
        self.generator_, self.device_ = model.eval(), torch.device("cpu")
