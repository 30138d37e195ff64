"""The audio pipeline end to end through the CLI: search, WAV samples, evaluate."""

import json
import wave

import numpy as np
import pytest
from PIL import Image
from scipy.io import wavfile

from tests.helpers import CONFIGS, invoke

SMOKE = CONFIGS / "smoke-audio.yaml"


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("audio") / "run"
    result = invoke("search", SMOKE, "--run-dir", run_dir)
    assert result.exit_code == 0, result.output
    return run_dir, result.output


def read_pcm16(path):
    rate, data = wavfile.read(path)
    assert data.dtype == np.int16 and data.ndim == 1
    # The standard library's reader (what simple tools build on) agrees: mono, 16-bit PCM.
    with wave.open(str(path), "rb") as handle:
        assert (handle.getnchannels(), handle.getsampwidth(), handle.getframerate()) == (1, 2, rate)
        assert handle.getnframes() == len(data)
    return rate, data


def test_smoke_search_writes_every_artifact(finished_run):
    run_dir, output = finished_run
    for name in ("config.yaml", "data.json", "cv.json", "tune.json", "features.json", "model/model.json",
                 "metrics.json", "samples/spectrograms.png", "samples/sample_000.wav", "samples/sample_005.wav"):
        assert (run_dir / name).exists(), name
    assert not (run_dir / "samples" / "sample_006.wav").exists()
    data = json.loads((run_dir / "data.json").read_text())
    assert data["sample_rate"] == 8000 and data["samples_per_clip"] == 1000 and data["examples"] == 80
    cv = json.loads((run_dir / "cv.json").read_text())
    assert {row["family"] for row in cv["leaderboard"]} == {"vae", "gan", "rnn"}
    assert all(row["status"] == "ok" for row in cv["leaderboard"]), cv["leaderboard"]
    rnn = next(row for row in cv["leaderboard"] if row["family"] == "rnn")
    gan = next(row for row in cv["leaderboard"] if row["family"] == "gan")
    # On 8-bit codes the rnn's likelihood is exact: bits per code, 8 for a uniform guess.
    assert 0 < rnn["metrics"]["bits_per_sample"] < 8.5 and "bits_per_sample" not in gan["metrics"]
    features = json.loads((run_dir / "features.json").read_text())
    assert len(features["leaderboard"]) == 3
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["metric"] == "frechet" and np.isfinite(metrics["figure"])
    assert {"frechet", "mmd", "memorization"} <= set(metrics["metrics"])
    assert "test metrics" in output and "chosen representation" in output


def test_train_samples_are_16bit_pcm_wav(finished_run):
    run_dir, _ = finished_run
    rate, data = read_pcm16(run_dir / "samples" / "sample_000.wav")
    assert rate == 8000 and len(data) == 1000
    picture = Image.open(run_dir / "samples" / "spectrograms.png")
    assert picture.mode == "RGB" and picture.size[0] > 100


def test_sample_command_writes_a_batch_of_wavs(finished_run, tmp_path):
    run_dir, _ = finished_run
    out = tmp_path / "wavs"
    result = invoke("sample", run_dir, "-n", 12, "--out", out, "--seed", 1)
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.glob("*.wav"))
    assert names == [f"sample_{i:03d}.wav" for i in range(12)]
    assert (out / "spectrograms.png").exists()
    first = read_pcm16(out / "sample_000.wav")[1]
    # Same seed, same sound; a smaller batch into the same folder replaces the larger one.
    result = invoke("sample", run_dir, "-n", 3, "--out", out, "--seed", 1)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.glob("*.wav")) == names[:3]
    assert np.array_equal(read_pcm16(out / "sample_000.wav")[1], first)


def test_evaluate_model_and_wav_folder(finished_run, tmp_path):
    run_dir, _ = finished_run
    result = invoke("evaluate", run_dir, "--json")
    assert result.exit_code == 0, result.output
    assert np.isfinite(json.loads(result.output)["metrics"]["frechet"])
    # WAV files from anywhere, at another rate and length, are resampled and cut to fit.
    folder = tmp_path / "mine"
    folder.mkdir()
    t = np.arange(4000) / 16000
    for i, freq in enumerate((220, 330, 440, 550, 660, 880)):
        wavfile.write(folder / f"{i}.wav", 16000, (0.4 * np.sin(2 * np.pi * freq * t)).astype(np.float32))
    result = invoke("evaluate", run_dir, "--samples", folder, "--json")
    assert result.exit_code == 0, result.output
    scored = json.loads(result.output)["metrics"]
    assert np.isfinite(scored["frechet"]) and "bits_per_sample" not in scored
    (folder / "broken.wav").write_bytes(b"RIFF")
    result = invoke("evaluate", run_dir, "--samples", folder)
    assert result.exit_code == 2 and "broken.wav: not a readable WAV file" in result.output


def test_bad_audio_folder_is_exit_2_with_one_line(tmp_path):
    (tmp_path / "sounds").mkdir()
    (tmp_path / "sounds" / "a.wav").write_bytes(b"")
    config = tmp_path / "c.yaml"
    config.write_text(SMOKE.read_text().replace("source: builtin:tones", f"source: {tmp_path / 'sounds'}"))
    result = invoke("search", config, "--run-dir", tmp_path / "run")
    assert result.exit_code == 2
    assert f"error: {tmp_path / 'sounds' / 'a.wav'}: empty file (0 bytes)" in result.output
