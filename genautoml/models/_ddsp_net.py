"""The torch half of ``ddsp`` (private): the synthesizer, the encoder and decoder, training
and sampling. Imported by ``genautoml.models.ddsp`` inside its methods.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Optional

import torch
import torch.nn.functional as F
from torch import nn

from genautoml.amplitude import to_amplitude, to_value
from genautoml.models._torch_utils import (
    check_vectors,
    descend,
    kl_to_prior,
    minibatches,
    posterior_draw,
    require_fitted,
    train_epochs,
)
from genautoml.models.base import Report

if TYPE_CHECKING:
    from genautoml.models.ddsp import DDSP

#: the oscillator bank's lowest and highest frequencies, in cycles per sample (40 Hz and
#: 3.8 kHz at 8 kHz); the highest stays below Nyquist (0.5) with room for a window's leakage
LOWEST, HIGHEST = 0.005, 0.475
#: window sizes (samples) of the multi-resolution STFT loss: the long ones resolve pitch, the
#: short ones onsets; those longer than a clip are left out
LOSS_WINDOWS = (512, 256, 128, 64)
_LOG_FLOOR = 1e-5
#: controls are exp(output - offset), capped: a fresh network starts quiet (about exp(-4)),
#: and no control can grow without bound
_CONTROL_OFFSET, _CONTROL_CAP = 4.0, 6.0
#: clips rendered at once when sampling (bounds memory)
_SAMPLE_CHUNK = 256


def frame_count(length: int, hop: int) -> int:
    """Frames of controls, centred at 0, hop, 2 hop, ...: enough that their triangles cover every sample."""
    return math.ceil(length / hop) + 1


def stft_magnitude(x: torch.Tensor, n_fft: int) -> torch.Tensor:
    """|STFT| (B, bins, frames) with a Hann window and hop n_fft / 4."""
    window = torch.hann_window(n_fft, device=x.device)
    return torch.stft(x, n_fft, n_fft // 4, window=window, return_complex=True).abs()


def spectral_loss(y: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Multi-resolution STFT distance between waveforms (B, S): linear plus log magnitudes."""
    windows = [n for n in LOSS_WINDOWS if n <= x.shape[-1]] or [2 ** int(math.log2(x.shape[-1]))]
    total = y.new_zeros(())
    for n_fft in windows:
        a, b = stft_magnitude(y, n_fft), stft_magnitude(x, n_fft)
        total = total + (a - b).abs().mean() + ((a + _LOG_FLOOR).log() - (b + _LOG_FLOOR).log()).abs().mean()
    return total


class Synth(nn.Module):
    """Sinusoid bank plus filtered noise, from per-frame controls to waveforms (no weights).

    A sinusoid of frequency f and phase p at sample t = m hop + d (d in [-hop, hop)) is
    cos(p + 2 pi f m hop + 2 pi f d): the frame's rotation times a table over d. So each
    frame's stretch of waveform is one matrix product of its amplitudes with two (K, 2 hop)
    tables (the triangle of linear interpolation between frames is folded into them), and
    the frames overlap-add into the clip; no (batch, K, samples) tensor is ever formed.
    """

    def __init__(self, length: int, oscillators: int, hop: int):
        super().__init__()
        if length <= 2 * hop:  # the noise's STFT pads each side by 2 hop, which must lie inside the clip
            raise ValueError(f"hop: expected fewer than half of the clip's {length} samples, got {hop}")
        self.length, self.hop, self.frames = length, hop, frame_count(length, hop)
        self.noise_fft = 4 * hop
        freqs = torch.exp(torch.linspace(math.log(LOWEST), math.log(HIGHEST), oscillators, dtype=torch.float64))
        offset = torch.arange(2 * hop, dtype=torch.float64) - hop  # d
        triangle = 1.0 - offset.abs() / hop
        angle = 2 * math.pi * freqs[:, None] * offset[None, :]  # (K, 2 hop)
        rotation = torch.remainder(2 * math.pi * freqs[:, None] * (torch.arange(self.frames) * hop)[None, :], 2 * math.pi)
        # Tables are rebuilt from the sizes, never saved: checkpoints hold only the networks.
        self.register_buffer("cos_table", (angle.cos() * triangle).float(), persistent=False)
        self.register_buffer("sin_table", (angle.sin() * triangle).float(), persistent=False)
        self.register_buffer("rotation", rotation.float(), persistent=False)  # (K, M)

    def _draw(self, shape: tuple[int, ...], generator: Optional[torch.Generator], kind: str) -> torch.Tensor:
        device = self.rotation.device
        if generator is None:
            return (torch.rand if kind == "rand" else torch.randn)(shape, device=device)
        return (torch.rand if kind == "rand" else torch.randn)(shape, generator=generator).to(device)

    def sinusoids(self, amplitude: torch.Tensor, generator: Optional[torch.Generator] = None) -> torch.Tensor:
        """Amplitudes (B, K, M) -> waveforms (B, length), each oscillator at a random start phase."""
        batch = amplitude.shape[0]
        phase = self._draw((batch, amplitude.shape[1], 1), generator, "rand") * (2 * math.pi) + self.rotation
        real, imag = amplitude * phase.cos(), amplitude * phase.sin()
        frames = torch.einsum("bkm,kj->bmj", real, self.cos_table) - torch.einsum("bkm,kj->bmj", imag, self.sin_table)
        return self._overlap_add(frames)

    def _overlap_add(self, frames: torch.Tensor) -> torch.Tensor:
        """(B, M, 2 hop) stretches, frame m over samples (m - 1) hop .. (m + 1) hop -> (B, length)."""
        batch, count, _ = frames.shape
        hop, total = self.hop, (count + 1) * self.hop
        even = frames[:, 0::2].reshape(batch, -1)  # frames 0, 2, ...: side by side from -hop
        odd = frames[:, 1::2].reshape(batch, -1)  # frames 1, 3, ...: side by side from 0
        out = F.pad(even, (0, total - even.shape[1])) + F.pad(odd, (hop, total - hop - odd.shape[1]))
        return out[:, hop : hop + self.length]

    def noise(self, gains: torch.Tensor, generator: Optional[torch.Generator] = None) -> torch.Tensor:
        """Band gains (B, bands, M) -> white noise shaped by them, (B, length)."""
        white = self._draw((gains.shape[0], self.length), generator, "randn")
        window = torch.hann_window(self.noise_fft, device=white.device)
        spectrum = torch.stft(white, self.noise_fft, self.hop, window=window, return_complex=True)
        shape = F.interpolate(gains, size=spectrum.shape[-1], mode="linear")  # over frames
        shape = F.interpolate(shape.transpose(1, 2), size=spectrum.shape[1], mode="linear").transpose(1, 2)  # over bins
        return torch.istft(spectrum * shape, self.noise_fft, self.hop, window=window, length=self.length)

    def forward(self, controls: tuple[torch.Tensor, torch.Tensor], generator: Optional[torch.Generator] = None):
        amplitude, gains = controls
        return self.sinusoids(amplitude, generator) + self.noise(gains, generator)


class DDSPNet(nn.Module):
    def __init__(self, length: int, latent_dim: int, hidden: int, oscillators: int, noise_bands: int, hop: int):
        super().__init__()
        self.synth = Synth(length, oscillators, hop)
        self.oscillators, self.hidden = oscillators, hidden
        self.coarse = math.ceil(self.synth.frames / 4)  # the decoder starts at a quarter of the frame rate
        bins = self.synth.noise_fft // 2 + 1
        self.encoder = nn.Sequential(
            nn.Conv1d(bins, hidden, 3, padding=1), nn.GELU(),
            nn.Conv1d(hidden, hidden, 3, stride=2, padding=1), nn.GELU(),
            nn.AdaptiveAvgPool1d(4), nn.Flatten(), nn.Linear(4 * hidden, 2 * latent_dim),
        )
        self.project = nn.Linear(latent_dim, hidden * self.coarse)
        self.decoder = nn.Sequential(
            nn.GELU(),
            nn.Upsample(scale_factor=2), nn.Conv1d(hidden, hidden, 5, padding=2), nn.GELU(),
            nn.Upsample(scale_factor=2), nn.Conv1d(hidden, hidden, 5, padding=2), nn.GELU(),
            nn.Conv1d(hidden, oscillators + noise_bands, 3, padding=1),
        )

    def encode(self, waves: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Waveforms (B, S) -> the posterior's mean and log variance, (B, latent) each."""
        spectrum = (stft_magnitude(waves, self.synth.noise_fft) + _LOG_FLOOR).log()
        mean, log_var = self.encoder(spectrum).chunk(2, dim=-1)
        return mean, log_var

    def decode(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Latents (B, latent) -> oscillator amplitudes (B, K, M) and noise gains (B, bands, M)."""
        out = self.decoder(self.project(z).view(-1, self.hidden, self.coarse))[:, :, : self.synth.frames]
        controls = (out.clamp(max=_CONTROL_CAP) - _CONTROL_OFFSET).exp()
        return controls[:, : self.oscillators], controls[:, self.oscillators :]


def build(family: DDSP) -> DDSPNet:
    return DDSPNet(family.spec.dim, family.latent_dim, family.hidden, family.oscillators, family.noise_bands, family.hop)


def fit(family: DDSP, train: torch.Tensor, report: Report) -> None:
    """Train ``family.model_`` on ``train`` (values of ``family.spec``), reporting every epoch."""
    check_vectors(train, family.spec, "train")
    device = family.device_
    waves = to_amplitude(train.float(), family.spec.signal).float()
    model = family.model_ = build(family).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=family.lr)

    def step(index: torch.Tensor) -> torch.Tensor:
        x = waves[index]
        mean, log_var = model.encode(x)
        z = posterior_draw(mean, log_var)
        loss = spectral_loss(model.synth(model.decode(z)), x) + family.beta * kl_to_prior(mean, log_var).mean()
        descend(optimizer, loss)
        return loss

    train_epochs(family, [model], lambda: minibatches(len(waves), family.batch_size, device), step, report)


@torch.no_grad()
def sample(family: DDSP, n: int, generator: torch.Generator) -> torch.Tensor:
    model = require_fitted(family.model_, family.name).eval()
    parts = []
    for start in range(0, n, _SAMPLE_CHUNK):
        z = torch.randn((min(_SAMPLE_CHUNK, n - start), family.latent_dim), generator=generator).to(family.device_)
        waves = model.synth(model.decode(z), generator).clamp(-1.0, 1.0)
        parts.append(to_value(waves, family.spec.signal).float().clamp(0.0, 1.0).cpu())
    return torch.cat(parts) if parts else torch.zeros((0, family.spec.dim))
