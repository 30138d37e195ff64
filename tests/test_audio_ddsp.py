"""The ddsp family: its synthesizer renders what its controls say, it models only waveform
samples with a known amplitude mapping, and training moves it toward the clips."""

import json
import math

import numpy as np
import pytest
import torch

from genautoml.amplitude import inverse_mu_law, mu_law, to_amplitude, to_value
from genautoml.models._ddsp_net import HIGHEST, LOWEST, Synth, build, spectral_loss
from genautoml.models.ddsp import DDSP
from genautoml.models.registry import get_family
from genautoml.spec import EncodedSpec

pytestmark = pytest.mark.usefixtures("one_thread_per_module")

LENGTH, HOP = 800, 40


def oscillator_frequency(index: int, count: int) -> float:
    return math.exp(math.log(LOWEST) + index * (math.log(HIGHEST) - math.log(LOWEST)) / (count - 1))


@pytest.mark.parametrize("index", [10, 40, 63])
def test_one_oscillator_renders_a_steady_sinusoid_at_its_frequency(index):
    synth = Synth(LENGTH, 64, HOP)
    amplitude = torch.zeros(1, 64, synth.frames)
    amplitude[0, index] = 0.5
    wave = synth.sinusoids(amplitude, torch.Generator().manual_seed(0))[0].double().numpy()
    # The clip is one sinusoid of the oscillator's frequency and amplitude 0.5 (the triangles
    # of neighbouring frames sum to one; the phase is the clip's random start).
    angle = 2 * math.pi * oscillator_frequency(index, 64) * np.arange(LENGTH)
    basis = np.stack([np.cos(angle), np.sin(angle)], axis=1)
    weights, *_ = np.linalg.lstsq(basis, wave, rcond=None)
    assert np.hypot(*weights) == pytest.approx(0.5, rel=1e-3)
    assert np.abs(basis @ weights - wave).max() < 1e-3


def test_amplitude_follows_the_frames_linearly():
    synth = Synth(LENGTH, 16, HOP)
    amplitude = torch.zeros(1, 16, synth.frames)
    amplitude[0, 15, synth.frames // 2:] = 1.0  # silent, then on from the middle frame
    wave = synth.sinusoids(amplitude)[0]
    middle = (synth.frames // 2) * HOP
    assert float(wave[: middle - HOP].abs().max()) == 0.0
    assert float(wave[middle:].abs().max()) > 0.9


def test_noise_lands_in_the_band_its_gain_opens():
    synth = Synth(4000, 8, 80)
    spectra = []
    for band in (2, 12):
        gains = torch.zeros(4, 16, synth.frames)
        gains[:, band] = 1.0
        noise = synth.noise(gains, torch.Generator().manual_seed(1)).double().numpy()
        spectra.append((np.abs(np.fft.rfft(noise, axis=1)) ** 2).mean(0))
    freqs = np.fft.rfftfreq(4000)
    low, high = ((s * freqs).sum() / s.sum() for s in spectra)
    assert low == pytest.approx(2 / 15 * 0.5, abs=0.03) and high == pytest.approx(12 / 15 * 0.5, abs=0.03)


def test_models_only_continuous_waveforms_with_an_amplitude_mapping():
    assert get_family("ddsp") is DDSP and DDSP.modalities == ("audio",) and not DDSP.has_likelihood
    assert DDSP.supports(EncodedSpec("vector", 400, shape=(400,), signal="mu_law"))
    assert not DDSP.supports(EncodedSpec("vector", 400, 256, shape=(400,), signal="mu_law"))  # 8-bit codes
    assert not DDSP.supports(EncodedSpec("vector", 400, shape=(400,)))  # no mapping to an amplitude
    assert not DDSP.supports(EncodedSpec("vector", 400, shape=(20, 20)))  # mel frames
    with pytest.raises(ValueError, match="signal"):
        EncodedSpec("vector", 4, signal="a-law")
    with pytest.raises(ValueError, match="hop"):  # a clip too short for its frames: a clear error, not torch's
        DDSP(EncodedSpec("vector", 100, shape=(100,), signal="mu_law"), hop=80).fit(torch.rand(4, 100))
    spec = EncodedSpec("vector", 400, shape=(400,), signal="mu_law")
    assert spec.to_json()["signal"] == "mu_law" and EncodedSpec.from_json(spec.to_json()) == spec
    assert "signal" not in EncodedSpec("vector", 4).to_json()


def test_amplitude_mappings_round_trip_on_arrays_and_tensors():
    x = np.linspace(-1, 1, 101)
    assert np.allclose(inverse_mu_law(mu_law(x)), x)
    assert mu_law(np.array([0.0, 1.0, -1.0])).tolist() == [0.0, 1.0, -1.0]
    for signal in ("mu_law", "linear"):
        value = to_value(torch.from_numpy(x), signal)
        assert isinstance(value, torch.Tensor) and float(value.min()) >= 0 and float(value.max()) <= 1
        assert torch.allclose(to_amplitude(value, signal), torch.from_numpy(x))
    assert np.allclose(to_value(x, "linear"), (x + 1) / 2)


def chirps(n: int, length: int, seed: int) -> torch.Tensor:
    """Sinusoids of random pitch and level: what the oscillator bank must learn to play."""
    g = torch.Generator().manual_seed(seed)
    f = 0.02 + 0.2 * torch.rand(n, 1, generator=g)
    level = 0.2 + 0.6 * torch.rand(n, 1, generator=g)
    return level * torch.sin(2 * math.pi * f * torch.arange(length) + 6.3 * torch.rand(n, 1, generator=g))


def test_training_brings_reconstructions_nearer_the_clips():
    spec = EncodedSpec("vector", LENGTH, shape=(LENGTH,), signal="mu_law")
    train, held = chirps(64, LENGTH, 0), chirps(16, LENGTH, 1)

    def held_out_loss(family: DDSP) -> float:
        model = family.model_ or build(family)
        torch.manual_seed(0)
        with torch.no_grad():
            return float(spectral_loss(model.synth(model.decode(model.encode(held)[0])), held))

    family = DDSP(spec, epochs=40, hidden=32, oscillators=64, hop=HOP, batch_size=16, lr=3e-3)
    torch.manual_seed(0)
    before = held_out_loss(family)
    family.fit(to_value(train.clamp(-1, 1), "mu_law").float(), seed=0)
    assert held_out_loss(family) < 0.7 * before


def tiny_search(features: list[dict]) -> dict:
    """A search over a few tones with a vae and a ddsp, on ``features``."""
    return {
        "name": "ddsp-search", "seed": 0, "device": "cpu",
        "data": {"modality": "audio", "source": "builtin:tones", "clip_seconds": 0.1, "max_examples": 40},
        "features": features,
        "models": [{"family": "vae", "params": {"epochs": 2, "hidden": 32, "depth": 1}},
                   {"family": "ddsp", "params": {"epochs": 2, "hidden": 16, "oscillators": 32, "hop": 40}}],
        "search": {"cv_folds": 2, "top_k": 2, "max_trials": 2, "time_budget": 20, "max_eval_examples": 20},
        "train": {"max_epochs": 4, "samples": 2},
    }


MEL = {"representation": "mel", "n_mels": 16}
WAVEFORM = {"representation": "waveform", "mu_law": "continuous", "sample_rate": 4000}


def test_each_family_is_cross_validated_on_the_first_representation_it_models(tmp_path):
    from tests.helpers import invoke, write_config

    config = write_config(tmp_path, "ddsp", tiny_search([MEL, WAVEFORM]))
    result = invoke("search", config, "--run-dir", tmp_path / "run", "-q")
    assert result.exit_code == 0, result.output
    cv = json.loads((tmp_path / "run" / "cv.json").read_text())
    trained_on = {r["family"]: r["feature"] for r in cv["records"]}
    assert trained_on["vae"]["representation"] == "mel" and trained_on["ddsp"]["representation"] == "waveform"
    assert all(r["status"] == "ok" for r in cv["records"]), cv["records"]
    tune = json.loads((tmp_path / "run" / "tune.json").read_text())
    features = json.loads((tmp_path / "run" / "features.json").read_text())
    # the features stage compares only what the chosen family models: ddsp the waveform alone
    assert len(features["leaderboard"]) == (1 if tune["chosen"]["family"] == "ddsp" else 2)


def test_a_family_that_models_no_candidate_representation_is_refused_in_one_line(tmp_path):
    from tests.helpers import invoke, write_config

    config = write_config(tmp_path, "ddsp", tiny_search([MEL]))
    result = invoke("search", config, "--run-dir", tmp_path / "run")
    assert result.exit_code == 2, result.output
    assert ("models.1.family: 'ddsp' can model none of the candidate representations "
            "(representation=mel+n_mels=16)") in result.output
    assert "Traceback" not in result.output
