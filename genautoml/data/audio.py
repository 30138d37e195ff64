"""Audio: loaders (builtin tones, folders of WAV files), the waveform and log-mel
representations, metrics and the WAV sample writer.

Raw audio is a ``Clips``: float32 waves (N, samples) in [-1, 1], every clip at
``data.sample_rate`` and cut or zero-padded to ``data.clip_seconds``. The rate travels with
the waves because the metrics' mel bands and the WAV headers need it.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from genautoml import atomic
from genautoml.data.base import Modality, Representation
from genautoml.schema.audio import AudioData, AudioFeature
from genautoml.errors import DataError
from genautoml.metrics.base import Metric
from genautoml.spec import EncodedSpec

WAV_SUFFIX = ".wav"
# Problems reported together before giving up on listing more.
MAX_PROBLEMS = 10
# Clips are seconds long; a WAV file larger than this is refused rather than read whole.
MAX_WAV_BYTES = 256 * 2**20
MU = 255  # mu-law: 8-bit codes, as in G.711 and WaveNet
DEFAULT_N_MELS = 64
# Mel representation STFT: 32 ms windows, half-overlapping. Shorter windows than the
# metric's put fewer FFT bins under each band, so inverting the filterbank smears less;
# measured on builtin:tones, the round trip of held-out clips scores a Fréchet distance of
# ~1100 at 64 bands (40 bands: ~2300; 64 ms windows: ~1500), below the ~1400 that separates
# two independent sets of 100 real clips.
MEL_WINDOW_SECONDS = 0.032
# Griffin-Lim: iterations and momentum of the fast variant (Perraudin et al., 2013).
GRIFFIN_LIM_ITERATIONS = 32
GRIFFIN_LIM_MOMENTUM = 0.99
# Spectrogram images of this many samples are written beside the WAV files.
PICTURED = 8


@dataclass(frozen=True, eq=False)
class Clips:
    """Raw audio: ``waves`` float32 (N, samples) in [-1, 1], all at ``sample_rate`` Hz."""

    waves: np.ndarray
    sample_rate: int

    def __len__(self) -> int:
        return len(self.waves)

    @property
    def samples(self) -> int:
        return int(self.waves.shape[1])

    def subset(self, index: np.ndarray) -> "Clips":
        return Clips(np.ascontiguousarray(self.waves[index]), self.sample_rate)


def clip_length(data_cfg: AudioData) -> int:
    return max(1, int(round(data_cfg.clip_seconds * data_cfg.sample_rate)))


# ---- builtin:tones ---------------------------------------------------------------------

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
    seconds, nyquist = length / rate, rate / 2
    gain = rng.uniform(0.3, 0.9)
    phases = rng.uniform(0, 2 * np.pi, 16)
    onset = rng.uniform(0.0, 0.15) * seconds
    if kind in ("note", "chord"):
        root = 110.0 * 2 ** (rng.integers(0, 36 if kind == "note" else 24) / 12)  # A2..G#5
        rolloff = rng.uniform(0.8, 2.5)
        count = int(rng.integers(3, 13))
        attack, decay = rng.uniform(0.003, 0.03), rng.uniform(0.1, 0.6) * seconds
        vibrato_depth, vibrato_rate = rng.uniform(0.0, 0.01), rng.uniform(4.0, 7.0)
        intervals = (0,) if kind == "note" else (0, 3 + int(rng.integers(0, 2)), 7)  # minor or major triad
        wave = np.zeros(length)
        for i, semitones in enumerate(intervals):
            f0 = root * 2 ** (semitones / 12)
            # Vibrato: the phase of a frequency f0 (1 + d sin(2 pi r t)).
            phase = 2 * np.pi * f0 * (t - vibrato_depth * np.cos(2 * np.pi * vibrato_rate * t) / (2 * np.pi * vibrato_rate))
            wave += _harmonics(phase, f0 * (1 + vibrato_depth), count, rolloff, np.roll(phases, i), nyquist)
        wave *= _envelope(t, onset, attack, decay)
    elif kind == "chirp":
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
        wave = _harmonics(phase, max(start, end), count, 1.5, phases, nyquist) * window
    elif kind == "drum":
        high, low = rng.uniform(120, 300), rng.uniform(40, 90)
        drop, decay = rng.uniform(0.02, 0.06), rng.uniform(0.05, 0.25)
        click_level = rng.uniform(0.05, 0.3)
        since = np.clip(t - onset, 0.0, None)
        # Pitch falling exponentially from high to low; phase is its integral.
        phase = 2 * np.pi * (low * since + (high - low) * drop * (1 - np.exp(-since / drop)))
        noise = np.random.default_rng(rng.integers(2**32)).standard_normal(length)
        wave = (np.sin(phase) + click_level * noise * np.exp(-since / 0.005)) * _envelope(t, onset, 0.002, decay)
    elif kind == "noise":
        centre = np.exp(rng.uniform(np.log(400), np.log(3500)))
        width = rng.uniform(0.2, 0.8)  # of an octave-ish Gaussian band, in log-frequency
        attack, decay = rng.uniform(0.001, 0.005), rng.uniform(0.02, 0.15)
        noise = np.random.default_rng(rng.integers(2**32)).standard_normal(length)
        freqs = np.fft.rfftfreq(length, 1 / rate)
        band = np.exp(-0.5 * (np.log(np.maximum(freqs, 1.0) / centre) / width) ** 2)
        wave = np.fft.irfft(np.fft.rfft(noise) * band, n=length) * _envelope(t, onset, attack, decay)
    else:  # pragma: no cover - TONE_KINDS is the list above
        raise ValueError(kind)
    fade = np.clip((seconds - t) / 0.005, 0.0, 1.0)  # 5 ms fade-out: no click at the cut
    wave = wave * fade
    peak = np.abs(wave).max()
    return (wave * (gain / peak) if peak > 0 else wave).astype(np.float32)


def tones(rate: int, length: int, count: int = TONES_CLIPS) -> np.ndarray:
    """``builtin:tones``: ``count`` clips cycling through notes with harmonics and vibrato,
    triads, exponential chirps, pitched drums and band-passed noise bursts. Deterministic:
    clip ``i`` depends only on (``TONES_SEED``, ``i``), the rate and the length."""
    return np.stack([
        _tone(TONE_KINDS[i % len(TONE_KINDS)], np.random.default_rng([TONES_SEED, i]), rate, length)
        for i in range(count)
    ])


# ---- WAV files -------------------------------------------------------------------------


def _pcm_to_float(data: np.ndarray, path: Path) -> np.ndarray:
    """scipy's WAV arrays -> float64 in [-1, 1]; 24-bit PCM arrives left-justified in int32."""
    if data.dtype == np.uint8:  # 8-bit WAV is unsigned, centred on 128
        return (data.astype(np.float64) - 128.0) / 128.0
    if data.dtype == np.int16:
        return data / 32768.0
    if data.dtype == np.int32:
        return data / 2.0**31
    if data.dtype == np.int64:
        return data / 2.0**63
    if np.issubdtype(data.dtype, np.floating):
        values = data.astype(np.float64)
        bad = ~np.isfinite(values)
        if bad.any():
            raise DataError(f"{path}: {int(bad.sum())} NaN or infinite samples")
        return np.clip(values, -1.0, 1.0)  # float WAV full scale is +-1
    raise DataError(f"{path}: unsupported sample format {data.dtype}")


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """One WAV file -> (mono float64 samples in [-1, 1], its sample rate); DataError naming it."""
    from scipy.io import wavfile

    size = path.stat().st_size
    if size == 0:
        raise DataError(f"{path}: empty file (0 bytes)")
    if size > MAX_WAV_BYTES:
        raise DataError(f"{path}: {size / 2**20:.0f} MiB is more than {MAX_WAV_BYTES // 2**20} MiB; cut it into clips first")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", wavfile.WavFileWarning)
        try:
            rate, data = wavfile.read(path, mmap=False)
        except Exception as exc:  # scipy raises ValueError, struct.error, EOFError... on bad files
            detail = str(exc) or exc.__class__.__name__
            raise DataError(f"{path}: not a readable WAV file ({detail})") from None
    # scipy returns what it could read of a cut-off data chunk and only warns.
    truncated = [w for w in caught if "EOF" in str(w.message) or "prematurely" in str(w.message)]
    if truncated:
        raise DataError(f"{path}: truncated WAV file ({truncated[0].message})")
    if rate <= 0:
        raise DataError(f"{path}: invalid sample rate {rate}")
    if data.ndim == 2:
        data = _pcm_to_float(data, path).mean(axis=1)  # stereo (or more) mixed to mono
    elif data.ndim == 1:
        data = _pcm_to_float(data, path)
    else:
        raise DataError(f"{path}: unexpected sample array of shape {data.shape}")
    if data.size == 0:
        raise DataError(f"{path}: no audio samples (zero length)")
    return data, int(rate)


def resample(waves: np.ndarray, source: int, target: int) -> np.ndarray:
    """Resample along the last axis by a polyphase filter (scipy), float32 out."""
    if source == target:
        return np.asarray(waves, dtype=np.float32)
    from scipy.signal import resample_poly

    g = math.gcd(source, target)
    return resample_poly(np.asarray(waves, dtype=np.float64), target // g, source // g, axis=-1).astype(np.float32)


def fit_clip(wave: np.ndarray, rate: int, target_rate: int, length: int) -> np.ndarray:
    """Resample one clip to ``target_rate`` and cut or zero-pad it to ``length`` samples."""
    # Cut before resampling (long files stay cheap), keeping 20 ms beyond the cut so the
    # resampling filter does not see an artificial edge inside the clip.
    keep = int(math.ceil(length * rate / target_rate)) + rate // 50
    out = resample(wave[:keep], rate, target_rate)[:length]
    if len(out) < length:
        out = np.pad(out, (0, length - len(out)))
    return np.clip(out, -1.0, 1.0).astype(np.float32)


def _wav_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() == WAV_SUFFIX and p.is_file())


def load_wav_folder(folder: Path, rate: int, length: int) -> np.ndarray:
    """Every .wav under ``folder`` as clips (N, length) at ``rate``; problems reported together."""
    files = _wav_files(folder)
    if not files:
        raise DataError(f"{folder}: no {WAV_SUFFIX} files found")
    clips, problems = [], []
    for path in files:
        try:
            wave, source_rate = read_wav(path)
            clips.append(fit_clip(wave, source_rate, rate, length))
        except DataError as exc:
            problems.append(exc.message)
        except OSError as exc:
            problems.append(f"{path}: cannot be read ({exc.strerror or exc})")
    if problems:
        more = len(problems) - MAX_PROBLEMS
        details = problems[1:MAX_PROBLEMS] + ([f"... and {more} more"] if more > 0 else [])
        raise DataError(problems[0], details=details)
    return np.stack(clips)


def load_audio(data_cfg: AudioData, base_dir: Path) -> Clips:
    rate, length = data_cfg.sample_rate, clip_length(data_cfg)
    source = data_cfg.source
    if source.startswith("builtin:"):
        name = source.removeprefix("builtin:")
        if name != "tones":
            raise DataError(f"data.source: unknown builtin dataset 'builtin:{name}'; expected builtin:tones")
        waves = tones(rate, length)
    else:
        path = Path(source).expanduser()
        if not path.is_absolute():
            path = Path(base_dir) / path
        if not path.exists():
            raise DataError(f"data.source: {path} does not exist")
        if not path.is_dir():
            raise DataError(f"data.source: {path}: expected a folder of {WAV_SUFFIX} files")
        waves = load_wav_folder(path, rate, length)
    if data_cfg.max_examples is not None and len(waves) > data_cfg.max_examples:
        keep = np.sort(np.random.default_rng(0).choice(len(waves), data_cfg.max_examples, replace=False))
        waves = waves[keep]
    return Clips(np.ascontiguousarray(waves, dtype=np.float32), rate)


# ---- representations -------------------------------------------------------------------


def mu_law(x: np.ndarray) -> np.ndarray:
    """Compand [-1, 1] -> [-1, 1]: fine steps near silence, coarse ones for loud samples."""
    return np.sign(x) * np.log1p(MU * np.abs(x)) / np.log1p(MU)


def inverse_mu_law(y: np.ndarray) -> np.ndarray:
    return np.sign(y) * np.expm1(np.abs(y) * np.log1p(MU)) / MU


class AudioRepresentation(Representation):
    """What both representations share: the model's sample rate and the way back.

    Learned state: the data's rate and clip length, and the rate the model works at.
    """

    #: whether a family's likelihood of this encoding is a likelihood of the sound itself, so
    #: that bits per sample mean something (False for log-mel: phase is gone, and a density
    #: over scaled dB values says nothing about samples)
    reports_likelihood = True

    def __init__(self, feature: AudioFeature):
        super().__init__(feature)

    def fit(self, train_raw: Clips) -> "AudioRepresentation":
        self.data_rate_ = int(train_raw.sample_rate)
        self.length_ = train_raw.samples
        self.model_rate_ = int(self.feature.sample_rate or self.data_rate_)
        self._fit(self._to_model(train_raw))
        return self

    def _fit(self, waves: np.ndarray) -> None:
        """Learn from the training clips at the model rate (N, model_length)."""

    @property
    def model_length(self) -> int:
        g = math.gcd(self.data_rate_, self.model_rate_)
        return int(math.ceil(self.length_ * (self.model_rate_ // g) / (self.data_rate_ // g)))

    def _to_model(self, raw: Clips) -> np.ndarray:
        if raw.sample_rate != self.data_rate_ or raw.samples != self.length_:
            raise ValueError(
                f"clips of {raw.samples} samples at {raw.sample_rate} Hz, but the representation was fit on "
                f"{self.length_} samples at {self.data_rate_} Hz"
            )
        return np.clip(resample(raw.waves, self.data_rate_, self.model_rate_), -1.0, 1.0)

    def _from_model(self, waves: np.ndarray) -> Clips:
        back = resample(waves, self.model_rate_, self.data_rate_)[:, : self.length_]
        if back.shape[1] < self.length_:
            back = np.pad(back, ((0, 0), (0, self.length_ - back.shape[1])))
        return Clips(np.clip(back, -1.0, 1.0).astype(np.float32), self.data_rate_)

    def units(self, raw: Clips) -> int:
        # Samples at the data rate, whatever rate the model works at.
        return int(raw.waves.size)

    def state(self) -> dict[str, torch.Tensor]:
        rates = [self.data_rate_, self.model_rate_, self.length_]
        return {"rates": torch.tensor(rates, dtype=torch.int64), **self._state()}

    def load_state(self, state: dict[str, torch.Tensor]) -> None:
        self.data_rate_, self.model_rate_, self.length_ = (int(v) for v in state["rates"].tolist())
        self._load_state(state)

    def _state(self) -> dict[str, torch.Tensor]:
        return {}

    def _load_state(self, state: dict[str, torch.Tensor]) -> None:
        return None


class WaveformRepresentation(AudioRepresentation):
    """Mu-law companded samples at the model rate: 8-bit codes (int64 0..255) or, with
    ``mu_law: continuous``, the companded value as a float in [0, 1]."""

    @property
    def continuous(self) -> bool:
        return self.feature.mu_law == "continuous"

    @property
    def spec(self) -> EncodedSpec:
        return EncodedSpec(kind="vector", dim=self.model_length, levels=None if self.continuous else MU + 1)

    def encode(self, raw: Clips) -> torch.Tensor:
        unit = (mu_law(self._to_model(raw).astype(np.float64)) + 1.0) / 2.0  # (N, dim) in [0, 1]
        if self.continuous:
            return torch.from_numpy(unit.astype(np.float32))
        return torch.from_numpy(np.round(unit * MU).astype(np.int64))

    def decode(self, encoded: torch.Tensor) -> Clips:
        values = encoded.detach().cpu().double().numpy()
        unit = np.clip(values, 0.0, 1.0) if self.continuous else np.clip(values, 0, MU) / MU
        return self._from_model(inverse_mu_law(2.0 * unit - 1.0))


class MelRepresentation(AudioRepresentation):
    """Log-mel frames (time-major: every band of frame 0, then frame 1, ...), each band
    scaled by its min..max (dB) over the training folds into [0, 1].

    Decoding undoes the scaling, maps mel power back to linear frequencies by the least
    squares (pseudo-inverse) solution of the filterbank, clipped at 0, and recovers a phase
    by fast Griffin-Lim. STFT at the model rate: ``MEL_WINDOW_SECONDS`` Hann windows, hop half a window.
    """

    reports_likelihood = False

    @property
    def n_mels(self) -> int:
        return self.feature.n_mels or DEFAULT_N_MELS

    def _fft(self) -> tuple[int, int]:
        from genautoml.metrics.signal import analysis_fft

        n_fft, _ = analysis_fft(self.model_rate_, MEL_WINDOW_SECONDS)
        return n_fft, n_fft // 2

    @property
    def frames(self) -> int:
        return 1 + self.model_length // self._fft()[1]

    def _filterbank(self) -> torch.Tensor:
        from genautoml.metrics.signal import mel_filterbank

        return torch.from_numpy(np.array(mel_filterbank(self.model_rate_, self._fft()[0], self.n_mels)))

    def _log_mel(self, waves: np.ndarray) -> torch.Tensor:
        """(N, S) -> dB (N, frames, n_mels)."""
        from genautoml.metrics.signal import FLOOR, power_spectrogram

        n_fft, hop = self._fft()
        mel = torch.einsum("bf,nft->ntb", self._filterbank(), power_spectrogram(waves, n_fft, hop))
        return 10.0 * torch.log10(mel + FLOOR)

    def _fit(self, waves: np.ndarray) -> None:
        db = self._log_mel(waves).reshape(-1, self.n_mels)
        self.low_ = db.min(0).values.float()
        # A band that never changes (say, silent everywhere) still gets a 1 dB range.
        self.high_ = torch.maximum(db.max(0).values.float(), self.low_ + 1.0)

    @property
    def spec(self) -> EncodedSpec:
        return EncodedSpec(kind="vector", dim=self.frames * self.n_mels, levels=None)

    def encode(self, raw: Clips) -> torch.Tensor:
        db = self._log_mel(self._to_model(raw)).float()
        unit = ((db - self.low_) / (self.high_ - self.low_)).clamp(0.0, 1.0)
        return unit.reshape(len(unit), -1).contiguous()

    def decode(self, encoded: torch.Tensor) -> Clips:
        from genautoml.metrics.signal import power_scale

        unit = encoded.detach().cpu().float().clamp(0.0, 1.0).reshape(len(encoded), self.frames, self.n_mels)
        db = (self.low_ + unit * (self.high_ - self.low_)).double()
        mel_power = (10.0 ** (db / 10.0)).transpose(1, 2)  # (N, bands, frames)
        linear = (torch.linalg.pinv(self._filterbank()) @ mel_power).clamp_min(0.0)  # (N, bins, frames)
        n_fft, hop = self._fft()
        magnitude = (linear / power_scale(n_fft)).sqrt().float()
        waves = griffin_lim(magnitude, n_fft, hop, self.model_length)
        return self._from_model(waves.numpy())

    def _state(self) -> dict[str, torch.Tensor]:
        return {"low": self.low_, "high": self.high_}

    def _load_state(self, state: dict[str, torch.Tensor]) -> None:
        self.low_, self.high_ = state["low"].float(), state["high"].float()


def griffin_lim(magnitude: torch.Tensor, n_fft: int, hop: int, length: int,
                iterations: int = GRIFFIN_LIM_ITERATIONS, momentum: float = GRIFFIN_LIM_MOMENTUM) -> torch.Tensor:
    """A waveform (N, length) whose STFT magnitude approaches ``magnitude`` (N, bins, frames).

    Alternates between a consistent signal (istft then stft) and the target magnitude,
    extrapolating the phase estimate by ``momentum`` each step (Perraudin, Balazs and
    Søndergaard's fast Griffin-Lim). The starting phase comes from a fixed seed, so decoding
    is deterministic.
    """
    window = torch.hann_window(n_fft, periodic=True, dtype=magnitude.dtype)  # float32: twice as fast as float64
    generator = torch.Generator().manual_seed(0)
    angles = torch.polar(torch.ones_like(magnitude), 2 * math.pi * torch.rand(magnitude.shape, generator=generator, dtype=magnitude.dtype))
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


# ---- samples ---------------------------------------------------------------------------

_SAMPLE_NAME = re.compile(r"sample_(\d+)\.wav")
# A dark-to-light ramp (black, indigo, crimson, orange, pale yellow) for spectrogram images.
_COLOURS = np.array([[0, 0, 4], [60, 15, 110], [180, 40, 90], [245, 130, 40], [252, 250, 190]], dtype=np.float64)


def write_wav(path: Path, wave: np.ndarray, rate: int) -> Path:
    """One clip as a 16-bit PCM mono WAV file, written atomically."""
    from scipy.io import wavfile

    pcm = np.round(np.clip(wave, -1.0, 1.0) * 32767.0).astype(np.int16)
    return atomic.write_with(path, lambda handle: wavfile.write(handle, int(rate), pcm))


def spectrogram_picture(clips: Clips, count: int = PICTURED, columns: int = 4, bands: int = 64) -> np.ndarray:
    """Log-mel spectrograms of the first ``count`` clips as one RGB picture (uint8).

    Low frequencies at the bottom, time to the right, 80 dB of range below the loudest
    band of the pictured clips; tiles separated by 2-pixel grey gutters, upscaled 3x.
    """
    from genautoml.metrics.signal import FLOOR, analysis_fft, mel_filterbank, power_spectrogram

    waves = clips.waves[:count]
    n_fft, _ = analysis_fft(clips.sample_rate)
    fbank = torch.from_numpy(np.array(mel_filterbank(clips.sample_rate, n_fft, bands)))
    mel = torch.einsum("bf,nft->nbt", fbank, power_spectrogram(waves, n_fft, n_fft // 8)).numpy()
    db = 10.0 * np.log10(mel + FLOOR)
    level = np.clip((db - (db.max() - 80.0)) / 80.0, 0.0, 1.0)[:, ::-1, :]  # (n, bands, frames), low at bottom
    n, height, width = level.shape
    columns = min(columns, n)
    rows = int(np.ceil(n / columns))
    gutter, scale = 2, 3
    canvas = np.full((rows * (height + gutter) + gutter, columns * (width + gutter) + gutter), np.nan)
    for i in range(n):
        r, c = divmod(i, columns)
        top, left = gutter + r * (height + gutter), gutter + c * (width + gutter)
        canvas[top: top + height, left: left + width] = level[i]
    anchors = np.linspace(0.0, 1.0, len(_COLOURS))
    rgb = np.stack([np.interp(np.nan_to_num(canvas), anchors, _COLOURS[:, k]) for k in range(3)], axis=-1)
    rgb[np.isnan(canvas)] = 128.0
    rgb = np.repeat(np.repeat(rgb, scale, axis=0), scale, axis=1)
    return rgb.round().astype(np.uint8)


def write_png(path: Path, picture: np.ndarray) -> Path:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(picture).save(buffer, format="PNG")
    return atomic.write_bytes(path, buffer.getvalue())


class AudioModality(Modality):
    name = "audio"
    default_metric = "frechet"
    likelihood_metric = "bits_per_sample"
    feature_model = AudioFeature

    def load(self, data_cfg: AudioData, base_dir: Path) -> Clips:
        return load_audio(data_cfg, base_dir)

    def count(self, raw: Clips) -> int:
        return len(raw)

    def subset(self, raw: Clips, index: np.ndarray) -> Clips:
        return raw.subset(index)

    def fingerprint(self, raw: Clips) -> str:
        digest = hashlib.sha256(f"{raw.sample_rate}:{raw.waves.shape}".encode())
        digest.update(np.ascontiguousarray(raw.waves).tobytes())
        return digest.hexdigest()[:16]

    def describe(self, raw: Clips) -> dict[str, Any]:
        rms = np.sqrt((raw.waves.astype(np.float64) ** 2).mean(axis=1))
        return {
            "examples": len(raw),
            "sample_rate": raw.sample_rate,
            "samples_per_clip": raw.samples,
            "seconds_per_clip": round(raw.samples / raw.sample_rate, 4),
            "peak": round(float(np.abs(raw.waves).max()), 4) if raw.waves.size else 0.0,
            "mean_rms": round(float(rms.mean()), 4) if len(rms) else 0.0,
            "silent_clips": int((rms < 1e-4).sum()),
        }

    def default_features(self, data_cfg: AudioData) -> list[AudioFeature]:
        # The first is what cv and tune use, for every family: 32-band log-mel frames. Measured
        # on builtin:tones (0.5 s at 8 kHz, two folds), every family scored its best Fréchet
        # distance on mel frames, and 32 bands (1024 values a clip) trained as well as 64 at
        # half the cost. The features stage then tries the finer mel, the mu-law waveform and
        # a lower model rate. The waveform is continuous here: 8-bit codes would give the vae
        # a 256-way softmax per sample (hundreds of millions of weights); list
        # {representation: waveform} yourself for an rnn-only search.
        features = [
            AudioFeature(representation="mel", n_mels=32),
            AudioFeature(representation="mel"),
            AudioFeature(representation="waveform", mu_law="continuous"),
        ]
        half = data_cfg.sample_rate // 2
        if half >= 4000:  # below 4 kHz (2 kHz of bandwidth) little of most sounds would survive
            features.append(AudioFeature(representation="waveform", mu_law="continuous", sample_rate=half))
        return features

    def representation(self, feature: AudioFeature) -> AudioRepresentation:
        if feature.representation == "mel":
            return MelRepresentation(feature)
        return WaveformRepresentation(feature)

    def metrics(self) -> dict[str, Metric]:
        from genautoml.metrics.audio import audio_metrics
        from genautoml.metrics.base import likelihood_metric

        return {**audio_metrics(), self.likelihood_metric: likelihood_metric(self.likelihood_metric, "sample")}

    def score_samples(self, heldout: Clips, generated: Clips, train: Clips, names: list[str]) -> dict[str, float]:
        from genautoml.metrics.audio import all_audio_metrics

        return {name: float(value) for name, value in all_audio_metrics(heldout, generated, train, only=names).items()}

    def write_samples(self, raw: Clips, out_dir: Path) -> list[Path]:
        """``sample_000.wav``, ... (16-bit PCM) and ``spectrograms.png`` of the first few.

        A folder holds one batch: ``sample_NNN.wav`` files left from a larger earlier batch
        are removed, so ``evaluate --samples`` reads exactly these.
        """
        out_dir = Path(out_dir)
        width = max(3, len(str(len(raw) - 1)))
        written = [write_wav(out_dir / f"sample_{i:0{width}d}.wav", wave, raw.sample_rate) for i, wave in enumerate(raw.waves)]
        keep = {p.name for p in written}
        for stale in out_dir.glob("sample_*.wav"):
            if _SAMPLE_NAME.fullmatch(stale.name) and stale.name not in keep:
                stale.unlink()
        if len(raw):
            written.append(write_png(out_dir / "spectrograms.png", spectrogram_picture(raw)))
        return written

    def read_samples(self, folder: Path, like: Clips) -> Clips:
        """WAV files from anywhere (a folder, or one file), resampled and cut like ``like``."""
        folder = Path(folder)
        if not folder.exists():
            raise DataError(f"--samples: {folder} does not exist")
        if folder.is_file():
            wave, rate = read_wav(folder)
            waves = fit_clip(wave, rate, like.sample_rate, like.samples)[None]
        else:
            waves = load_wav_folder(folder, like.sample_rate, like.samples)
        return Clips(waves, like.sample_rate)


MODALITY = AudioModality()
