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

import math
from typing import Optional

import torch
from torch import nn
from torch.nn import functional as F

from genautoml.models.base import Family
from genautoml.spec import EncodedSpec
from genautoml.models.gan import GAN
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


@register
class WaveGAN(GAN):
    """The GAN family's training loop, losses, EMA and checkpoint, with 1-D conv networks."""

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
        Family.__init__(self, spec)  # not GAN.__init__: the networks take other parameters
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

    adam_betas = _BETAS

    def _build_generator(self) -> _Generator:
        return _Generator(self.spec.dim, self.latent_dim, self.width, self.layers, self.kernel_size)

    def _build_discriminator(self) -> nn.Module:
        return _Discriminator(self.spec.dim, self.width, self.layers, self.kernel_size, self.phase_shuffle)
