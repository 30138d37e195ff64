"""The audio modality: loaders, representations, metrics and the WAV sample writer together."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import numpy as np

from genautoml.data.audio.clips import Clips, fit_clip
from genautoml.data.audio.io import load_audio, load_wav_folder, read_wav, write_wav
from genautoml.data.audio.pictures import spectrogram_picture
from genautoml.data.audio.representations import AudioRepresentation, MelRepresentation, WaveformRepresentation
from genautoml.data.base import Modality
from genautoml.data.pictures import write_png
from genautoml.errors import DataError
from genautoml.metrics.base import Metric
from genautoml.schema.audio import AudioData, AudioFeature

_SAMPLE_NAME = re.compile(r"sample_(\d+)\.wav")


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

    def join(self, parts: list[Clips]) -> Clips:
        return Clips(np.concatenate([part.waves for part in parts]), parts[0].sample_rate)

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

    def sample_features(self, raw: Clips) -> np.ndarray:
        from genautoml.metrics.audio import clip_embedding

        return clip_embedding(raw.waves, raw.sample_rate)

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
