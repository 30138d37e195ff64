"""Spectral analysis shared by the audio feature space and the log-mel representation.

The audio metrics (``metrics/audio.py``) embed clips through a log-mel spectrogram, and the
mel representation (``data/audio/representations.py``) encodes clips into one and back.
Both must compute it the same way, so the pieces live here, once. They sit in ``metrics/``
rather than ``data/`` because of the import rule between the parts: ``data`` may import
``metrics`` (its feature spaces), ``metrics`` may import only the core, so this is the one
place both can reach.

torch is imported inside the functions that use it (``torch.stft``, the Hann window), so
importing this module stays cheap.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

__all__ = [
    "FLOOR",
    "FMIN",
    "WINDOW_SECONDS",
    "analysis_fft",
    "hz_to_mel",
    "mel_to_hz",
    "mel_filterbank",
    "power_scale",
    "power_spectrogram",
]

#: lowest band edge of the mel filterbank (Hz)
FMIN = 40.0
#: analysis window of the audio feature space: 64 ms
WINDOW_SECONDS = 0.064
#: power floor of every log: -100 dB below a full-scale sine
FLOOR = 1e-8


def analysis_fft(sample_rate: int, seconds: float = WINDOW_SECONDS) -> tuple[int, int]:
    """(n_fft, hop): the power of two nearest ``seconds`` at ``sample_rate``, and a quarter of it."""
    n_fft = 2 ** max(4, round(math.log2(seconds * sample_rate)))
    return n_fft, n_fft // 4


def hz_to_mel(f):
    """Hz -> mel, HTK scale."""
    return 2595.0 * np.log10(1.0 + np.asarray(f, dtype=np.float64) / 700.0)


def mel_to_hz(m):
    """Mel -> Hz, HTK scale (the inverse of ``hz_to_mel``)."""
    return 700.0 * (10.0 ** (np.asarray(m, dtype=np.float64) / 2595.0) - 1.0)


@lru_cache(maxsize=32)
def mel_filterbank(sample_rate: int, n_fft: int, n_mels: int, fmin: float = FMIN) -> np.ndarray:
    """(n_mels, n_fft // 2 + 1) triangular weights, each row summing to 1 (read-only).

    A band too narrow to hold an FFT bin (few bins, many bands) takes the bin nearest its
    centre, so no band is ever empty.
    """
    fmax = sample_rate / 2.0
    edges = mel_to_hz(np.linspace(hz_to_mel(min(fmin, fmax / 2)), hz_to_mel(fmax), n_mels + 2))
    bins = np.arange(n_fft // 2 + 1) * sample_rate / n_fft
    lo, mid, hi = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (bins[None, :] - lo) / np.maximum(mid - lo, 1e-9)
    falling = (hi - bins[None, :]) / np.maximum(hi - mid, 1e-9)
    weights = np.clip(np.minimum(rising, falling), 0.0, None)
    empty = weights.sum(1) == 0
    weights[empty, np.abs(bins[None, :] - mid[empty]).argmin(1)] = 1.0
    weights /= weights.sum(1, keepdims=True)
    weights.setflags(write=False)
    return weights


def power_scale(n_fft: int) -> float:
    """Factor from |STFT|^2 to power where a full-scale sine reads 1 (0 dB)."""
    import torch

    window_sum = float(torch.hann_window(n_fft, periodic=True, dtype=torch.float64).sum())
    return 4.0 / window_sum**2


def power_spectrogram(waves: np.ndarray, n_fft: int, hop: int):
    """Float waves (N, S) -> power (N, n_fft // 2 + 1, frames) as a float64 torch tensor."""
    import torch

    x = torch.as_tensor(np.ascontiguousarray(waves), dtype=torch.float64)
    window = torch.hann_window(n_fft, periodic=True, dtype=torch.float64)
    spec = torch.stft(x, n_fft, hop, window=window, center=True, pad_mode="constant", return_complex=True)
    return spec.abs().pow(2) * power_scale(n_fft)
