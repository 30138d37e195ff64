"""The noise-predicting networks of ``diffusion`` (private): eps_hat = net(x_t, t).

Three shapes of network, chosen by the layout the representation declares
(``EncodedSpec.shape``):
- a residual MLP for flat vectors and small grids (8x8 digits, pixels dropped);
- a WaveNet/DiffWave-style stack of dilated 1-D convolutions for waveforms (T,);
- a small U-Net for 2-D grids of 16x16 and up (images; log-mel frames x bands).
Every network takes and returns flat (B, dim) tensors, so the diffusion loop never sees
the layout. Time ``t`` is continuous in [0, 1].
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from genautoml.spec import EncodedSpec

#: the width of the sinusoidal embedding of t
_TIME_FEATURES = 64
#: the smallest grid side a U-Net is used for; smaller grids go to the MLP
UNET_MIN_SIDE = 16
#: the shortest 1-D signal the dilated convolutions are used for
CONV1D_MIN_LENGTH = 64
#: dilations of one cycle of the 1-D stack (receptive field grows 2x per layer)
_DILATION_CYCLE = 8


def time_features(t: torch.Tensor) -> torch.Tensor:
    """(B,) times in [0, 1] -> (B, _TIME_FEATURES) sines and cosines over geometric frequencies."""
    half = _TIME_FEATURES // 2
    freqs = torch.exp(-math.log(10_000.0) * torch.arange(half, device=t.device) / half)
    angles = 1000.0 * t.unsqueeze(-1) * freqs
    return torch.cat([angles.sin(), angles.cos()], dim=-1)


def time_mlp(width: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(_TIME_FEATURES, width), nn.SiLU(), nn.Linear(width, width))


def zero_(layer: nn.Module) -> nn.Module:
    """Start an output layer at zero, so an untrained network predicts no noise and the
    residual branches start as identities (the usual diffusion initialisation)."""
    for p in layer.parameters():
        nn.init.zeros_(p)
    return layer


def choose(spec: EncodedSpec, network: str) -> str:
    """Which network ``network`` ("auto" or "mlp") means for data of ``spec``."""
    if network == "mlp" or spec.shape is None:
        return "mlp"
    if len(spec.shape) == 1 and spec.shape[0] >= CONV1D_MIN_LENGTH:
        return "conv1d"
    if len(spec.shape) in (2, 3) and min(spec.shape[:2]) >= UNET_MIN_SIDE:
        return "unet"
    return "mlp"


def build_denoiser(spec: EncodedSpec, network: str, hidden: int, depth: int) -> nn.Module:
    kind = choose(spec, network)
    if kind == "conv1d":
        return DilatedConvDenoiser(hidden, depth)
    if kind == "unet":
        return UNetDenoiser(spec.shape, hidden, depth)
    return MLPDenoiser(spec.dim, hidden, depth)


# ---- flat vectors --------------------------------------------------------------------


class _ResidualBlock(nn.Module):
    def __init__(self, width: int):
        super().__init__()
        self.norm = nn.LayerNorm(width)
        self.time = nn.Linear(width, width)
        self.body = nn.Sequential(nn.SiLU(), nn.Linear(width, 2 * width), nn.SiLU(), zero_(nn.Linear(2 * width, width)))

    def forward(self, h: torch.Tensor, t_emb: torch.Tensor) -> torch.Tensor:
        return h + self.body(self.norm(h) + self.time(t_emb))


class MLPDenoiser(nn.Module):
    def __init__(self, dim: int, hidden: int, depth: int):
        super().__init__()
        self.inp = nn.Linear(dim, hidden)
        self.time = time_mlp(hidden)
        self.blocks = nn.ModuleList(_ResidualBlock(hidden) for _ in range(depth))
        self.out = nn.Sequential(nn.LayerNorm(hidden), nn.SiLU(), zero_(nn.Linear(hidden, dim)))

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        t_emb = self.time(time_features(t))
        h = self.inp(x)
        for block in self.blocks:
            h = block(h, t_emb)
        return self.out(h)


# ---- waveforms -------------------------------------------------------------------------


class _DilatedLayer(nn.Module):
    """A gated dilated convolution with the time added (DiffWave's residual layer)."""

    def __init__(self, channels: int, dilation: int):
        super().__init__()
        self.time = nn.Linear(channels, channels)
        self.conv = nn.Conv1d(channels, 2 * channels, 3, padding=dilation, dilation=dilation)
        self.out = nn.Conv1d(channels, 2 * channels, 1)

    def forward(self, h: torch.Tensor, t_emb: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        gate, filt = self.conv(h + self.time(t_emb).unsqueeze(-1)).chunk(2, dim=1)
        residual, skip = self.out(torch.sigmoid(gate) * torch.tanh(filt)).chunk(2, dim=1)
        return (h + residual) / math.sqrt(2.0), skip


class DilatedConvDenoiser(nn.Module):
    def __init__(self, channels: int, depth: int):
        super().__init__()
        self.inp = nn.Conv1d(1, channels, 1)
        self.time = time_mlp(channels)
        # depth counts cycles of dilations 1, 2, ..., 2**(_DILATION_CYCLE - 1)
        self.layers = nn.ModuleList(
            _DilatedLayer(channels, 2 ** (i % _DILATION_CYCLE)) for i in range(depth * _DILATION_CYCLE))
        self.out = nn.Sequential(nn.SiLU(), nn.Conv1d(channels, channels, 1), nn.SiLU(), zero_(nn.Conv1d(channels, 1, 1)))

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        t_emb = self.time(time_features(t))
        h, skips = F.silu(self.inp(x.unsqueeze(1))), 0.0
        for layer in self.layers:
            h, skip = layer(h, t_emb)
            skips = skips + skip
        return self.out(skips / math.sqrt(len(self.layers))).squeeze(1)


# ---- 2-D grids ---------------------------------------------------------------------------


class _ConvBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, t_width: int):
        super().__init__()
        self.norm1, self.norm2 = nn.GroupNorm(_groups(c_in), c_in), nn.GroupNorm(_groups(c_out), c_out)
        self.conv1, self.conv2 = nn.Conv2d(c_in, c_out, 3, padding=1), zero_(nn.Conv2d(c_out, c_out, 3, padding=1))
        self.time = nn.Linear(t_width, c_out)
        self.skip = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

    def forward(self, h: torch.Tensor, t_emb: torch.Tensor) -> torch.Tensor:
        a = self.conv1(F.silu(self.norm1(h))) + self.time(t_emb)[:, :, None, None]
        return self.skip(h) + self.conv2(F.silu(self.norm2(a)))


def _groups(channels: int) -> int:
    return math.gcd(channels, 8)


class UNetDenoiser(nn.Module):
    """Two resolutions below the input (x1/2, x1/4), one block each way and one in the
    middle, skips joined by concatenation. Grids whose sides do not divide by 4 are padded
    on the far edges and cropped back."""

    def __init__(self, shape: tuple[int, ...], channels: int, depth: int):
        super().__init__()
        self.shape = tuple(shape)
        self.c_data = shape[2] if len(shape) == 3 else 1
        c, t_width = channels, channels * 2
        widths = [c, 2 * c, 2 * c]
        self.time = time_mlp(t_width)
        self.inp = nn.Conv2d(self.c_data, c, 3, padding=1)
        self.down = nn.ModuleList(_ConvBlock(a, b, t_width) for a, b in zip([c] + widths[:-1], widths))
        self.pool = nn.ModuleList(nn.Conv2d(w, w, 3, stride=2, padding=1) for w in widths[:-1])
        self.middle = nn.ModuleList(_ConvBlock(widths[-1], widths[-1], t_width) for _ in range(max(depth, 1)))
        self.up = nn.ModuleList(_ConvBlock(2 * w, w_out, t_width)
                                for w, w_out in zip(reversed(widths), list(reversed(widths))[1:] + [c]))
        self.out = nn.Sequential(nn.GroupNorm(_groups(c), c), nn.SiLU(), zero_(nn.Conv2d(c, self.c_data, 3, padding=1)))

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        grid = self._to_grid(x)
        height, width = grid.shape[-2:]
        grid = F.pad(grid, (0, -width % 4, 0, -height % 4))
        t_emb = self.time(time_features(t))
        h, skips = self.inp(grid), []
        for i, block in enumerate(self.down):
            h = block(h, t_emb)
            skips.append(h)
            if i < len(self.pool):
                h = self.pool[i](h)
        for block in self.middle:
            h = block(h, t_emb)
        for block in self.up:
            skip = skips.pop()
            h = F.interpolate(h, size=skip.shape[-2:], mode="nearest") if h.shape[-2:] != skip.shape[-2:] else h
            h = block(torch.cat([h, skip], dim=1), t_emb)
        return self._to_flat(self.out(h)[..., :height, :width])

    def _to_grid(self, x: torch.Tensor) -> torch.Tensor:
        if len(self.shape) == 3:  # channels last in the data, first in the convolution
            return x.view(-1, *self.shape).permute(0, 3, 1, 2)
        return x.view(-1, 1, *self.shape)

    def _to_flat(self, grid: torch.Tensor) -> torch.Tensor:
        if len(self.shape) == 3:
            grid = grid.permute(0, 2, 3, 1)
        return grid.reshape(len(grid), -1)

