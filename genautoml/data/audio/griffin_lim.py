"""Phase recovery: a waveform from an STFT magnitude (how log-mel frames become sound)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

# Griffin-Lim: iterations and momentum of the fast variant (Perraudin et al., 2013).
GRIFFIN_LIM_ITERATIONS = 32
GRIFFIN_LIM_MOMENTUM = 0.99


def griffin_lim(magnitude: torch.Tensor, n_fft: int, hop: int, length: int,
                iterations: int = GRIFFIN_LIM_ITERATIONS, momentum: float = GRIFFIN_LIM_MOMENTUM) -> torch.Tensor:
    """A waveform (N, length) whose STFT magnitude approaches ``magnitude`` (N, bins, frames).

    Alternates between a consistent signal (istft then stft) and the target magnitude,
    extrapolating the phase estimate by ``momentum`` each step (Perraudin, Balazs and
    Søndergaard's fast Griffin-Lim). The starting phase comes from a fixed seed, so decoding
    is deterministic.
    """
    import torch

    window = torch.hann_window(n_fft, periodic=True, dtype=magnitude.dtype)  # float32: twice as fast as float64
    generator = torch.Generator().manual_seed(0)
    phases = 2 * math.pi * torch.rand(magnitude.shape, generator=generator, dtype=magnitude.dtype)
    angles = torch.polar(torch.ones_like(magnitude), phases)
    previous = torch.zeros_like(angles)

    def to_wave(spectrum: torch.Tensor) -> torch.Tensor:
        return torch.istft(spectrum, n_fft, hop, window=window, center=True, length=length)

    for _ in range(iterations):
        rebuilt = torch.stft(to_wave(magnitude * angles), n_fft, hop, window=window, center=True,
                             pad_mode="constant", return_complex=True)
        step = rebuilt - (momentum / (1 + momentum)) * previous
        angles = step / step.abs().clamp_min(1e-12)
        previous = rebuilt
    return to_wave(magnitude * angles).float()
