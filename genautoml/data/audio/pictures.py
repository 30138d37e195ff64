"""Spectrogram pictures of clips, written beside the WAV samples."""

from __future__ import annotations

import numpy as np

from genautoml.data.audio.clips import Clips
from genautoml.metrics.signal import FLOOR, analysis_fft, mel_filterbank, power_spectrogram

# Spectrogram images of this many samples are written beside the WAV files.
PICTURED = 8

# A dark-to-light ramp (black, indigo, crimson, orange, pale yellow) for spectrogram images.
_COLOURS = np.array([[0, 0, 4], [60, 15, 110], [180, 40, 90], [245, 130, 40], [252, 250, 190]], dtype=np.float64)


def spectrogram_picture(clips: Clips, count: int = PICTURED, columns: int = 4, bands: int = 64) -> np.ndarray:
    """Log-mel spectrograms of the first ``count`` clips as one RGB picture (uint8).

    Low frequencies at the bottom, time to the right, 80 dB of range below the loudest
    band of the pictured clips; tiles separated by 2-pixel grey gutters, upscaled 3x.
    """
    import torch

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

