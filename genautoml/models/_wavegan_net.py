"""The torch half of ``wavegan`` (private): the 1-D convolutional generator and discriminator.

Trained by the GAN family's loop (genautoml/models/_gan_net.py); imported by
``genautoml.models.wavegan`` inside its methods.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

_STRIDE = 4
_MIN_CHANNELS = 4


def _channels(width: int, layers: int) -> list[int]:
    """Channels from the deepest (shortest) sequence to the last hidden one: width, width/2, ..."""
    return [max(_MIN_CHANNELS, width >> i) for i in range(layers)]


def _base_length(dim: int, layers: int) -> int:
    """Length of the deepest sequence: ``layers`` 4x upsamplings of it cover ``dim``."""
    return max(1, math.ceil(dim / _STRIDE**layers))


def to_time(x: torch.Tensor) -> torch.Tensor:
    """(B, C * 4, L) -> (B, C, 4 L): channel groups become consecutive samples (sub-pixel shuffle)."""
    b, c, length = x.shape
    return x.view(b, c // _STRIDE, _STRIDE, length).transpose(2, 3).reshape(b, c // _STRIDE, length * _STRIDE)


def to_channels(x: torch.Tensor) -> torch.Tensor:
    """(B, C, 4 L) -> (B, C * 4, L): the inverse of ``to_time``."""
    b, c, length = x.shape
    return x.view(b, c, length // _STRIDE, _STRIDE).transpose(2, 3).reshape(b, c * _STRIDE, length // _STRIDE)


class WaveGenerator(nn.Module):
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
            h = to_time(conv(F.relu(h)))  # (B, C, L) -> (B, C / 2, 4 L)
        return torch.sigmoid(h[:, 0, : self.dim])  # cropped to dim; the encoded space is [0, 1]


def phase_shuffle(x: torch.Tensor, shift: int) -> torch.Tensor:
    """Shift each example (B, C, L) by a random -shift..shift steps, edges filled by reflection."""
    if shift == 0 or x.shape[-1] <= shift:
        return x
    length = x.shape[-1]
    offsets = torch.randint(-shift, shift + 1, (len(x), 1)).to(x.device)
    index = torch.arange(length, device=x.device)[None, :] + shift - offsets  # (B, L)
    padded = F.pad(x, (shift, shift), mode="reflect")
    return padded.gather(2, index[:, None, :].expand(-1, x.shape[1], -1))


class WaveDiscriminator(nn.Module):
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
            h = F.leaky_relu(conv(to_channels(h)), 0.2)  # (B, C, L) -> (B, 2 C, L / 4)
            if i < len(self.convs) - 1:
                h = phase_shuffle(h, self.phase_shuffle)
        return self.head(h.flatten(1)).squeeze(1)
