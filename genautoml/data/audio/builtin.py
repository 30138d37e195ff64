"""``builtin:tones``: a synthetic data set of short sounds, made on the spot (no download)."""

from __future__ import annotations

import numpy as np

TONES_CLIPS = 400
TONES_SEED = 2024
TONE_KINDS = ("note", "chord", "chirp", "drum", "noise")


def _envelope(t: np.ndarray, onset: float, attack: float, decay: float) -> np.ndarray:
    """Linear attack from ``onset``, then exponential decay with time constant ``decay`` (s)."""
    since = t - onset
    rise = np.clip(since / attack, 0.0, 1.0)
    return np.where(since < 0, 0.0, rise * np.exp(-np.clip(since - attack, 0.0, None) / decay))


def _harmonics(phase: np.ndarray, f0: np.ndarray | float, count: int, rolloff: float, phases: np.ndarray,
               nyquist: float) -> np.ndarray:
    """Sum of harmonics h = 1..count of a tone whose fundamental phase is ``phase`` (radians),
    amplitude 1 / h**rolloff; harmonics above 90% of Nyquist are left out (no aliasing)."""
    out = np.zeros_like(phase)
    for h in range(1, count + 1):
        if np.max(f0) * h >= 0.9 * nyquist:
            break
        out += np.sin(h * phase + phases[h - 1]) / h**rolloff
    return out


def _tone(kind: str, rng: np.random.Generator, rate: int, length: int) -> np.ndarray:
    """One sound of ``kind``. Every random number is drawn before the rate matters, so a
    clip is the same sound at any sample rate (noise excepted: its samples are per rate)."""
    t = np.arange(length) / rate
    seconds = length / rate
    gain = rng.uniform(0.3, 0.9)
    phases = rng.uniform(0, 2 * np.pi, 16)
    onset = rng.uniform(0.0, 0.15) * seconds
    # The kind's own numbers are drawn after these three, in the order each function draws them.
    if kind in ("note", "chord"):
        wave = _pitched(kind, rng, t, rate, onset, phases)
    elif kind == "chirp":
        wave = _chirp(rng, t, rate, onset, phases)
    elif kind == "drum":
        wave = _drum(rng, t, onset)
    elif kind == "noise":
        wave = _noise_burst(rng, t, rate, onset)
    else:  # pragma: no cover - TONE_KINDS is the list above
        raise ValueError(kind)
    fade = np.clip((seconds - t) / 0.005, 0.0, 1.0)  # 5 ms fade-out: no click at the cut
    wave = wave * fade
    peak = np.abs(wave).max()
    return (wave * (gain / peak) if peak > 0 else wave).astype(np.float32)


def _pitched(kind: str, rng: np.random.Generator, t: np.ndarray, rate: int, onset: float,
             phases: np.ndarray) -> np.ndarray:
    """A note, or a chord (a minor or major triad), with harmonics and vibrato."""
    seconds, nyquist = len(t) / rate, rate / 2
    root = 110.0 * 2 ** (rng.integers(0, 36 if kind == "note" else 24) / 12)  # A2..G#5
    rolloff = rng.uniform(0.8, 2.5)
    count = int(rng.integers(3, 13))
    attack, decay = rng.uniform(0.003, 0.03), rng.uniform(0.1, 0.6) * seconds
    vibrato_depth, vibrato_rate = rng.uniform(0.0, 0.01), rng.uniform(4.0, 7.0)
    intervals = (0,) if kind == "note" else (0, 3 + int(rng.integers(0, 2)), 7)  # minor or major triad
    wave = np.zeros(len(t))
    for i, semitones in enumerate(intervals):
        f0 = root * 2 ** (semitones / 12)
        # Vibrato: the phase of a frequency f0 (1 + d sin(2 pi r t)).
        phase = 2 * np.pi * f0 * (t - vibrato_depth * np.cos(2 * np.pi * vibrato_rate * t) / (2 * np.pi * vibrato_rate))
        wave += _harmonics(phase, f0 * (1 + vibrato_depth), count, rolloff, np.roll(phases, i), nyquist)
    return wave * _envelope(t, onset, attack, decay)


def _chirp(rng: np.random.Generator, t: np.ndarray, rate: int, onset: float, phases: np.ndarray) -> np.ndarray:
    """An exponential sweep between two frequencies, with a few harmonics."""
    seconds, nyquist = len(t) / rate, rate / 2
    start, end = np.exp(rng.uniform(np.log(150), np.log(2000), 2))
    if max(start, end) / min(start, end) < 1.5:
        end = start * 2.0 if start < 900 else start / 2.0
    span = rng.uniform(0.5, 0.85) * seconds
    count = int(rng.integers(1, 4))
    local = np.clip(t - onset, 0.0, span)
    ratio = end / start
    # Exponential sweep: f(t) = start * ratio**(t / span), phase its integral.
    phase = 2 * np.pi * start * span / np.log(ratio) * (ratio ** (local / span) - 1)
    inside = (t >= onset) & (t <= onset + span)
    window = np.where(inside, np.sin(np.pi * local / span) ** 2, 0.0)
    return _harmonics(phase, max(start, end), count, 1.5, phases, nyquist) * window


def _drum(rng: np.random.Generator, t: np.ndarray, onset: float) -> np.ndarray:
    """A pitched drum: a sine falling in pitch, with a click of noise at the onset."""
    high, low = rng.uniform(120, 300), rng.uniform(40, 90)
    drop, decay = rng.uniform(0.02, 0.06), rng.uniform(0.05, 0.25)
    click_level = rng.uniform(0.05, 0.3)
    since = np.clip(t - onset, 0.0, None)
    # Pitch falling exponentially from high to low; phase is its integral.
    phase = 2 * np.pi * (low * since + (high - low) * drop * (1 - np.exp(-since / drop)))
    noise = np.random.default_rng(rng.integers(2**32)).standard_normal(len(t))
    return (np.sin(phase) + click_level * noise * np.exp(-since / 0.005)) * _envelope(t, onset, 0.002, decay)


def _noise_burst(rng: np.random.Generator, t: np.ndarray, rate: int, onset: float) -> np.ndarray:
    """A short burst of noise in a Gaussian band of log-frequency."""
    length = len(t)
    centre = np.exp(rng.uniform(np.log(400), np.log(3500)))
    width = rng.uniform(0.2, 0.8)  # of an octave-ish Gaussian band, in log-frequency
    attack, decay = rng.uniform(0.001, 0.005), rng.uniform(0.02, 0.15)
    noise = np.random.default_rng(rng.integers(2**32)).standard_normal(length)
    freqs = np.fft.rfftfreq(length, 1 / rate)
    band = np.exp(-0.5 * (np.log(np.maximum(freqs, 1.0) / centre) / width) ** 2)
    return np.fft.irfft(np.fft.rfft(noise) * band, n=length) * _envelope(t, onset, attack, decay)


def tones(rate: int, length: int, count: int = TONES_CLIPS) -> np.ndarray:
    """``builtin:tones``: ``count`` clips cycling through notes with harmonics and vibrato,
    triads, exponential chirps, pitched drums and band-passed noise bursts. Deterministic:
    clip ``i`` depends only on (``TONES_SEED``, ``i``), the rate and the length."""
    return np.stack([
        _tone(TONE_KINDS[i % len(TONE_KINDS)], np.random.default_rng([TONES_SEED, i]), rate, length)
        for i in range(count)
    ])
