"""The audio representations: mu-law waveform samples and scaled log-mel frames.

Both work at a model rate (the data's, or ``features[].sample_rate``) and give clips back
at the data's rate and length.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from genautoml.amplitude import MU, to_amplitude, to_value
from genautoml.data.audio.clips import Clips, resample
from genautoml.data.audio.griffin_lim import griffin_lim
from genautoml.data.base import Representation
from genautoml.metrics.signal import FLOOR, analysis_fft, mel_filterbank, power_scale, power_spectrogram
from genautoml.schema.audio import AudioFeature
from genautoml.spec import EncodedSpec

if TYPE_CHECKING:
    import torch

DEFAULT_N_MELS = 64
# Mel representation STFT: 32 ms windows, half-overlapping. Shorter windows than the
# metric's put fewer FFT bins under each band, so inverting the filterbank smears less;
# measured on builtin:tones, the round trip of held-out clips scores a Fréchet distance of
# ~1100 at 64 bands (40 bands: ~2300; 64 ms windows: ~1500), below the ~1400 that separates
# two independent sets of 100 real clips.
MEL_WINDOW_SECONDS = 0.032


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
        import torch

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
        return EncodedSpec(kind="vector", dim=self.model_length, levels=None if self.continuous else MU + 1,
                           shape=(self.model_length,), signal="mu_law")

    def encode(self, raw: Clips) -> torch.Tensor:
        import torch

        unit = to_value(self._to_model(raw).astype(np.float64), "mu_law")  # (N, dim) in [0, 1]
        if self.continuous:
            return torch.from_numpy(unit.astype(np.float32))
        return torch.from_numpy(np.round(unit * MU).astype(np.int64))

    def decode(self, encoded: torch.Tensor) -> Clips:
        values = encoded.detach().cpu().double().numpy()
        unit = np.clip(values, 0.0, 1.0) if self.continuous else np.clip(values, 0, MU) / MU
        return self._from_model(to_amplitude(unit, "mu_law"))


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
        n_fft, _ = analysis_fft(self.model_rate_, MEL_WINDOW_SECONDS)
        return n_fft, n_fft // 2

    @property
    def frames(self) -> int:
        return 1 + self.model_length // self._fft()[1]

    def _filterbank(self) -> torch.Tensor:
        import torch

        return torch.from_numpy(np.array(mel_filterbank(self.model_rate_, self._fft()[0], self.n_mels)))

    def _log_mel(self, waves: np.ndarray) -> torch.Tensor:
        """(N, S) -> dB (N, frames, n_mels)."""
        import torch

        n_fft, hop = self._fft()
        mel = torch.einsum("bf,nft->ntb", self._filterbank(), power_spectrogram(waves, n_fft, hop))
        return 10.0 * torch.log10(mel + FLOOR)

    def _fit(self, waves: np.ndarray) -> None:
        import torch

        db = self._log_mel(waves).reshape(-1, self.n_mels)
        self.low_ = db.min(0).values.float()
        # A band that never changes (say, silent everywhere) still gets a 1 dB range.
        self.high_ = torch.maximum(db.max(0).values.float(), self.low_ + 1.0)

    @property
    def spec(self) -> EncodedSpec:
        return EncodedSpec(kind="vector", dim=self.frames * self.n_mels, levels=None, shape=(self.frames, self.n_mels))

    def encode(self, raw: Clips) -> torch.Tensor:
        db = self._log_mel(self._to_model(raw)).float()
        unit = ((db - self.low_) / (self.high_ - self.low_)).clamp(0.0, 1.0)
        return unit.reshape(len(unit), -1).contiguous()

    def decode(self, encoded: torch.Tensor) -> Clips:
        import torch

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
