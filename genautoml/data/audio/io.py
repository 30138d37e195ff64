"""Audio files: reading WAV files and folders of them into clips, writing clips as WAV."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from genautoml import atomic
from genautoml.data.audio.builtin import tones
from genautoml.data.audio.clips import Clips, clip_length, fit_clip
from genautoml.errors import DataError
from genautoml.schema.audio import AudioData

WAV_SUFFIX = ".wav"
# Problems reported together before giving up on listing more.
MAX_PROBLEMS = 10
# Clips are seconds long; a WAV file larger than this is refused rather than read whole.
MAX_WAV_BYTES = 256 * 2**20


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


def write_wav(path: Path, wave: np.ndarray, rate: int) -> Path:
    """One clip as a 16-bit PCM mono WAV file, written atomically."""
    from scipy.io import wavfile

    pcm = np.round(np.clip(wave, -1.0, 1.0) * 32767.0).astype(np.int16)
    return atomic.write_with(path, lambda handle: wavfile.write(handle, int(rate), pcm))
