"""Raw audio: ``Clips``, and fitting any wave to a dataset's rate and clip length.

Raw audio is a ``Clips``: float32 waves (N, samples) in [-1, 1], every clip at
``data.sample_rate`` and cut or zero-padded to ``data.clip_seconds``. The rate travels with
the waves because the metrics' mel bands and the WAV headers need it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from genautoml.schema.audio import AudioData


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
