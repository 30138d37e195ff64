"""Audio loading: builtin:tones, WAV files of every common format, and one clear line per bad file."""

import struct

import numpy as np
import pytest
from scipy.io import wavfile

from genautoml.data.audio import MODALITY, TONE_KINDS, Clips, load_audio, tones
from genautoml.errors import DataError
from genautoml.schema.audio import AudioData

RATE = 8000


def cfg(source="builtin:tones", **extra):
    return AudioData(modality="audio", source=str(source), **extra)


def sine(freq=440.0, seconds=0.25, rate=RATE, amplitude=0.5):
    t = np.arange(int(round(seconds * rate))) / rate
    return amplitude * np.sin(2 * np.pi * freq * t)


def dominant(wave, rate=RATE):
    spectrum = np.abs(np.fft.rfft(wave * np.hanning(len(wave))))
    return np.fft.rfftfreq(len(wave), 1 / rate)[spectrum.argmax()]


def write_pcm24(path, wave, rate):
    """scipy cannot write 24-bit PCM, so build the file by hand: RIFF header + 3-byte samples."""
    values = np.round(np.clip(wave, -1, 1) * (2**23 - 1)).astype(np.int64)
    data = b"".join(int(v).to_bytes(3, "little", signed=True) for v in values)
    fmt = struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 3, 3, 24)
    path.write_bytes(b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVE" + b"fmt " + fmt
                     + b"data" + struct.pack("<I", len(data)) + data)


# ---- builtin:tones -----------------------------------------------------------------------


def test_tones_are_deterministic_and_shaped_by_the_config():
    first, again = load_audio(cfg(), None), load_audio(cfg(), None)
    assert isinstance(first, Clips) and first.sample_rate == RATE
    assert first.waves.shape == (400, 4000) and first.waves.dtype == np.float32
    assert np.array_equal(first.waves, again.waves)
    assert MODALITY.fingerprint(first) == MODALITY.fingerprint(again)
    assert np.abs(first.waves).max() <= 1.0 and np.abs(first.waves).max() > 0.5
    short = load_audio(cfg(clip_seconds=0.25, sample_rate=16000), None)
    assert short.waves.shape == (400, 4000) and short.sample_rate == 16000
    subset = load_audio(cfg(max_examples=50), None)
    assert len(subset) == 50 and MODALITY.fingerprint(subset) != MODALITY.fingerprint(first)


def test_tones_are_varied():
    waves = tones(RATE, 4000, count=100)
    kinds = np.array([TONE_KINDS[i % len(TONE_KINDS)] for i in range(100)])
    # No two clips alike, and none silent.
    flat = waves.reshape(len(waves), -1)
    assert len({row.tobytes() for row in flat}) == 100
    assert (np.sqrt((waves**2).mean(1)) > 1e-3).all()
    # Pitched clips spread over many fundamentals; noise bursts are spectrally flat, notes are not.
    notes = [dominant(w) for w in waves[kinds == "note"]]
    assert len(set(np.round(notes))) >= 10 and min(notes) < 300 and max(notes) > 500

    def flatness(w):
        power = np.abs(np.fft.rfft(w)) ** 2 + 1e-12
        return np.exp(np.log(power).mean()) / power.mean()

    noise, notes = waves[kinds == "noise"], waves[kinds == "note"]
    assert np.median([flatness(w) for w in noise]) > 5 * np.median([flatness(w) for w in notes])


def test_same_tone_at_another_rate_keeps_its_pitch():
    low, high = tones(8000, 4000, count=5), tones(16000, 8000, count=5)
    assert abs(dominant(low[0], 8000) - dominant(high[0], 16000)) < 5


# ---- WAV files ---------------------------------------------------------------------------


def test_every_pcm_width_and_float(tmp_path):
    wave = sine()
    wavfile.write(tmp_path / "a16.wav", RATE, np.round(wave * 32767).astype(np.int16))
    wavfile.write(tmp_path / "b8.wav", RATE, np.round(wave * 127 + 128).astype(np.uint8))
    write_pcm24(tmp_path / "c24.wav", wave, RATE)
    wavfile.write(tmp_path / "d32f.wav", RATE, wave.astype(np.float32))
    wavfile.write(tmp_path / "e32i.wav", RATE, np.round(wave * (2**31 - 1)).astype(np.int32))
    clips = load_audio(cfg(tmp_path, clip_seconds=0.25), tmp_path)
    assert clips.waves.shape == (5, 2000)
    tolerance = {0: 1e-4, 1: 1e-2, 2: 1e-6, 3: 1e-6, 4: 1e-6}  # 8-bit PCM is coarse
    for i, row in enumerate(clips.waves):
        assert np.abs(row - wave).max() < tolerance[i], i


def test_stereo_mixed_to_mono_and_resampled(tmp_path):
    left, right = sine(440, rate=16000), sine(440, rate=16000, amplitude=0.1)
    wavfile.write(tmp_path / "stereo.wav", 16000, np.stack([left, right], axis=1).astype(np.float32))
    wavfile.write(tmp_path / "cd.wav", 44100, sine(1000, rate=44100).astype(np.float32))
    clips = load_audio(cfg(tmp_path, clip_seconds=0.25), tmp_path)
    assert clips.sample_rate == RATE and clips.waves.shape == (2, 2000)
    cd, stereo = clips.waves  # sorted by name
    assert abs(dominant(cd) - 1000) < 10 and abs(dominant(stereo) - 440) < 10
    # The mono mix is the mean of the channels: amplitude (0.5 + 0.1) / 2.
    assert abs(np.abs(stereo[200:-200]).max() - 0.3) < 0.01


def test_clips_cut_or_zero_padded(tmp_path):
    wavfile.write(tmp_path / "long.wav", RATE, sine(seconds=2.0).astype(np.float32))
    wavfile.write(tmp_path / "short.wav", RATE, sine(seconds=0.1).astype(np.float32))
    long, short = load_audio(cfg(tmp_path, clip_seconds=0.5), tmp_path).waves
    assert np.allclose(long, sine(seconds=0.5), atol=1e-6)
    assert np.allclose(short[:800], sine(seconds=0.1), atol=1e-6) and not short[800:].any()


def test_folder_is_searched_recursively_and_other_files_ignored(tmp_path):
    (tmp_path / "sub").mkdir()
    wavfile.write(tmp_path / "sub" / "x.WAV", RATE, sine().astype(np.float32))
    (tmp_path / "notes.txt").write_text("not audio")
    assert len(load_audio(cfg(tmp_path), tmp_path)) == 1


# ---- bad input: one line naming the file, every problem reported together ----------------


def problems(tmp_path):
    with pytest.raises(DataError) as info:
        load_audio(cfg(tmp_path), tmp_path)
    return info.value.lines()


def good(tmp_path, name="good.wav"):
    wavfile.write(tmp_path / name, RATE, np.round(sine() * 32767).astype(np.int16))
    return (tmp_path / name).read_bytes()


@pytest.mark.parametrize(
    "name, content, expected",
    [
        ("truncated.wav", lambda data: data[: len(data) // 2], "truncated WAV file"),
        ("header_only.wav", lambda data: data[:30], "not a readable WAV file"),
        ("corrupt.wav", lambda data: data.replace(b"fmt ", b"xyz "), "not a readable WAV file"),
        ("text.wav", lambda data: b"this is plain text, not a RIFF file", "not a readable WAV file"),
        ("empty.wav", lambda data: b"", "empty file (0 bytes)"),
    ],
)
def test_bad_file_is_one_line_naming_it(tmp_path, name, content, expected):
    data = good(tmp_path)
    (tmp_path / name).write_bytes(content(data))
    lines = problems(tmp_path)
    assert len(lines) == 1 and str(tmp_path / name) in lines[0] and expected in lines[0]
    assert "\n" not in lines[0]


def test_zero_length_clip(tmp_path):
    good(tmp_path)
    wavfile.write(tmp_path / "nothing.wav", RATE, np.zeros(0, dtype=np.int16))
    assert problems(tmp_path) == [f"{tmp_path / 'nothing.wav'}: no audio samples (zero length)"]


def test_nan_in_float_wav(tmp_path):
    good(tmp_path)
    wave = sine().astype(np.float32)
    wave[[10, 20]] = np.nan
    wavfile.write(tmp_path / "nan.wav", RATE, wave)
    assert problems(tmp_path) == [f"{tmp_path / 'nan.wav'}: 2 NaN or infinite samples"]


def test_problems_across_files_reported_together(tmp_path):
    data = good(tmp_path)
    (tmp_path / "a_empty.wav").write_bytes(b"")
    (tmp_path / "b_truncated.wav").write_bytes(data[:100])
    (tmp_path / "c_fake.wav").write_bytes(b"GIF89a not a sound")
    lines = problems(tmp_path)
    assert len(lines) == 3
    assert "a_empty.wav" in lines[0] and "b_truncated.wav" in lines[1] and "c_fake.wav" in lines[2]


def test_many_problems_are_capped(tmp_path):
    for i in range(15):
        (tmp_path / f"bad{i:02d}.wav").write_bytes(b"")
    lines = problems(tmp_path)
    assert len(lines) == 11 and lines[-1] == "... and 5 more"


def test_missing_path_empty_folder_and_unknown_builtin(tmp_path):
    with pytest.raises(DataError, match=r"data.source: .*nowhere does not exist"):
        load_audio(cfg(tmp_path / "nowhere"), tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match=r"empty: no .wav files found"):
        load_audio(cfg(tmp_path / "empty"), tmp_path)
    with pytest.raises(DataError, match="unknown builtin dataset 'builtin:drums'; expected builtin:tones"):
        load_audio(cfg("builtin:drums"), tmp_path)
    good(tmp_path)
    with pytest.raises(DataError, match="expected a folder of .wav files"):
        load_audio(cfg(tmp_path / "good.wav"), tmp_path)


def test_relative_source_is_read_from_the_base_dir(tmp_path):
    (tmp_path / "sounds").mkdir()
    good(tmp_path / "sounds")
    assert len(load_audio(cfg("sounds"), tmp_path)) == 1
