"""The audio feature space and the audio metric suite.

There is no pretrained audio network we could ship (VGGish and friends are downloads with
weights of their own), so clips are judged in a fixed, hand-made space built on a log-mel
spectrogram. The recipe looks at nothing but the clip and its sample rate, so figures
compare between runs on one dataset at one ``data.sample_rate`` (not across rates: the
bands then span other frequencies).

``clip_embedding(waves, sample_rate)``, for float waves (N, S) in [-1, 1]:

1. Power spectrogram: ``torch.stft`` with a periodic Hann window of ``n_fft`` samples, the
   power of two nearest 64 ms (512 at 8 kHz, 1024 at 16 kHz), hop ``n_fft / 4``, centred
   frames (zero padding), power scaled so a full-scale sine reads 0 dB.
2. ``N_MELS`` = 40 triangular mel bands (HTK mel scale) from 40 Hz to the Nyquist
   frequency, each normalised to unit weight, so band power is the mean power of its bins
   (white noise is flat). Log: ``10 log10(power + 1e-10)``, i.e. dB with a floor of -100 dB.
3. Features, 90 in all, every one in dB or band units:
   - ``mean_b`` (40), ``std_b`` (40): mean and standard deviation over time of each band.
     Pitch, timbre, brightness; the std sees envelopes and movement (chirps, decays).
   - ``centroid_mean``, ``centroid_std``: power-weighted mean band index per frame.
   - ``flux_mean``, ``flux_std``: mean over bands of the positive frame-to-frame rise in dB
     (onsets, noise flicker).
   - ``flatness_mean``, ``flatness_std``: 10 log10(geometric / arithmetic mean) of the band
     powers per frame; near 0 dB for noise, far below for tones.
   - ``envelope_0..3``: mean frame level (dB of the mean band power) over each quarter of
     the clip: attack, sustain and decay.

Every metric maps its inputs with ``clip_embedding`` and calls a statistic of
``metrics/stats.py``; ``all_audio_metrics`` computes each embedding once. Steps 1 and 2
(STFT, power scale, mel filterbank, floor) are ``metrics/signal.py``, shared with the
log-mel representation.
"""

from __future__ import annotations

import numpy as np

from genautoml.metrics import stats
from genautoml.metrics.base import Metric
from genautoml.metrics.signal import FLOOR, analysis_fft, mel_filterbank, power_spectrogram
from genautoml.metrics.suite import feature_space_suite

__all__ = [
    "N_MELS",
    "FEATURE_NAMES",
    "clip_embedding",
    "audio_metrics",
    "all_audio_metrics",
]

N_MELS = 40
_QUARTERS = 4

FEATURE_NAMES: tuple[str, ...] = (
    *(f"mean_{b}" for b in range(N_MELS)),
    *(f"std_{b}" for b in range(N_MELS)),
    "centroid_mean", "centroid_std", "flux_mean", "flux_std", "flatness_mean", "flatness_std",
    *(f"envelope_{q}" for q in range(_QUARTERS)),
)


def _as_waves(waves: np.ndarray) -> np.ndarray:
    a = np.asarray(waves, dtype=np.float64)
    if a.ndim != 2 or a.shape[0] == 0 or a.shape[1] == 0:
        raise ValueError(f"audio: expected clips (N, samples), got shape {a.shape}")
    if not np.isfinite(a).all():
        raise ValueError("audio: clips contain NaN or infinite values")
    return np.clip(a, -1.0, 1.0)  # what a WAV file of the clip would hold


def clip_embedding(waves: np.ndarray, sample_rate: int) -> np.ndarray:
    """Clips (N, S) at ``sample_rate`` -> features (N, 90) float64; recipe in the module docstring."""
    import torch

    a = _as_waves(waves)
    n_fft, hop = analysis_fft(sample_rate)
    fbank = torch.from_numpy(np.array(mel_filterbank(sample_rate, n_fft, N_MELS)))
    with torch.no_grad():
        mel = torch.einsum("bf,nft->nbt", fbank, power_spectrogram(a, n_fft, hop)).numpy()  # (N, B, T)
    db = 10.0 * np.log10(mel + FLOOR)
    bands = np.arange(N_MELS, dtype=np.float64)[None, :, None]
    centroid = ((mel + FLOOR) * bands).sum(1) / (mel + FLOOR).sum(1)  # (N, T)
    rise = np.diff(db, axis=2).clip(min=0.0).mean(1) if db.shape[2] > 1 else np.zeros((len(db), 1))
    level = 10.0 * np.log10(mel.mean(1) + FLOOR)  # (N, T)
    flatness = db.mean(1) - level  # 10 log10(geometric mean / arithmetic mean), <= 0
    quarters = np.stack([level[:, part].mean(1) for part in _quarter_frames(db.shape[2])], axis=1)
    return np.concatenate(
        [
            db.mean(2), db.std(2),
            np.stack([centroid.mean(1), centroid.std(1), rise.mean(1), rise.std(1),
                      flatness.mean(1), flatness.std(1)], axis=1),
            quarters,
        ],
        axis=1,
    )


def _quarter_frames(frames: int) -> list[np.ndarray]:
    """Frame indices of each quarter of the clip; a clip of fewer frames reuses frames."""
    edges = np.linspace(0, frames, _QUARTERS + 1)
    return [np.arange(int(lo), max(int(lo) + 1, int(round(hi)))).clip(max=frames - 1) for lo, hi in zip(edges[:-1], edges[1:])]


def _embed(clips) -> np.ndarray:
    return clip_embedding(clips.waves, clips.sample_rate)


def _check_rates(*clips) -> None:
    rates = {c.sample_rate for c in clips}
    if len(rates) > 1:
        raise ValueError(f"audio metrics: clips at different sample rates {sorted(rates)}")


def audio_metrics() -> dict[str, Metric]:
    """The audio sample metrics (genautoml/metrics/suite.py) in the log-mel clip embedding;
    "frechet" is the default selection metric.

    Each ``compute`` takes clips (``genautoml.data.audio.Clips``: ``waves`` (N, S) in
    [-1, 1] and a ``sample_rate``) for held-out, generated and training data.
    """
    return feature_space_suite(_embed, "log-mel clip features", check=_check_rates)


def all_audio_metrics(heldout, generated, train, only=None) -> dict[str, float]:
    """Every (or ``only`` the named) audio sample metric, computing each embedding once."""
    names = list(audio_metrics()) if only is None else list(only)
    unknown = sorted(set(names) - set(audio_metrics()))
    if unknown:
        raise ValueError(f"unknown audio metric(s): {', '.join(unknown)}")
    _check_rates(heldout, generated, *([train] if "memorization" in names else []))
    return stats.feature_space_metrics(_embed(heldout), _embed(generated), lambda: _embed(train), names)
