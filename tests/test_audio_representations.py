"""Audio representations: what a family sees, and the way back to sound."""

import numpy as np
import pytest
import torch
from pydantic import ValidationError

from genautoml.data.audio import MODALITY, Clips, MelRepresentation, WaveformRepresentation, inverse_mu_law, mu_law, tones
from genautoml.schema.audio import AudioData, AudioFeature

RATE = 8000


@pytest.fixture(scope="module")
def clips():
    return Clips(tones(RATE, 2000, count=40), RATE)


def feature(**values):
    return AudioFeature(**values)


def dominant(wave, rate=RATE):
    spectrum = np.abs(np.fft.rfft(wave * np.hanning(len(wave))))
    return np.fft.rfftfreq(len(wave), 1 / rate)[spectrum.argmax()]


def test_mu_law_is_invertible_and_fine_near_silence():
    x = np.linspace(-1, 1, 10001)
    assert np.allclose(inverse_mu_law(mu_law(x)), x, atol=1e-12)
    # One 8-bit step near silence is far finer than one near full scale.
    codes = np.round((mu_law(x) + 1) / 2 * 255)
    step = np.diff(inverse_mu_law(np.unique(codes) / 255 * 2 - 1))
    assert step.min() < 1e-3 < 0.02 < step.max() < 0.05


def test_waveform_codes_round_trip(clips):
    rep = WaveformRepresentation(feature(representation="waveform")).fit(clips)
    encoded = rep.encode(clips)
    assert rep.spec.levels == 256 and rep.spec.dim == 2000
    assert encoded.dtype == torch.int64 and encoded.shape == (40, 2000)
    assert int(encoded.min()) >= 0 and int(encoded.max()) <= 255
    decoded = rep.decode(encoded)
    assert decoded.sample_rate == RATE and decoded.waves.dtype == np.float32
    error = np.abs(decoded.waves - clips.waves)
    # Half an 8-bit mu-law step at most: ~0.021 at full scale, far less for quiet samples.
    assert error.max() < 0.022 and np.sqrt((error**2).mean()) < 3e-3
    assert rep.units(clips) == clips.waves.size


def test_waveform_continuous_is_exact(clips):
    rep = WaveformRepresentation(feature(representation="waveform", mu_law="continuous")).fit(clips)
    encoded = rep.encode(clips)
    assert rep.spec.levels is None and encoded.dtype == torch.float32
    assert 0 <= float(encoded.min()) and float(encoded.max()) <= 1
    assert np.abs(rep.decode(encoded).waves - clips.waves).max() < 1e-5


def test_lower_model_rate_halves_the_vector_and_decodes_at_the_data_rate(clips):
    rep = WaveformRepresentation(feature(representation="waveform", sample_rate=4000)).fit(clips)
    assert rep.spec.dim == 1000
    decoded = rep.decode(rep.encode(clips))
    assert decoded.sample_rate == RATE and decoded.waves.shape == clips.waves.shape
    # Likelihoods stay per original sample, whatever the model's rate.
    assert rep.units(clips) == clips.waves.size
    # Tones under 2 kHz survive a 4 kHz model rate.
    low = Clips(np.tile(0.5 * np.sin(2 * np.pi * 300 * np.arange(2000) / RATE), (2, 1)).astype(np.float32), RATE)
    rep = WaveformRepresentation(feature(representation="waveform", sample_rate=4000, mu_law="continuous")).fit(low)
    assert np.abs(rep.decode(rep.encode(low)).waves - low.waves)[:, 100:-100].max() < 0.01


def test_mel_shape_range_and_training_statistics(clips):
    rep = MelRepresentation(feature(representation="mel")).fit(clips.subset(np.arange(20)))
    encoded = rep.encode(clips)
    assert rep.spec.levels is None and rep.spec.dim == encoded.shape[1] == rep.frames * 64
    assert encoded.dtype == torch.float32 and 0 <= float(encoded.min()) and float(encoded.max()) <= 1
    # Scaled with the training part only: its own frames span [0, 1] exactly.
    train = rep.encode(clips.subset(np.arange(20))).reshape(20, rep.frames, 64)
    assert torch.equal(train.amin((0, 1)), torch.zeros(64))
    assert float(train.max()) == pytest.approx(1.0)


@pytest.mark.parametrize("freq", [220.0, 440.0, 1000.0, 2500.0])
def test_mel_griffin_lim_keeps_the_pitch_of_a_pure_tone(freq):
    t = np.arange(4000) / RATE
    tone = Clips(np.tile(0.5 * np.sin(2 * np.pi * freq * t), (2, 1)).astype(np.float32), RATE)
    rep = MelRepresentation(feature(representation="mel")).fit(tone)
    decoded = rep.decode(rep.encode(tone)).waves[0]
    # The dominant frequency stays within half a mel band (64 bands: 4% at 2.5 kHz);
    # the loudness within 1 dB.
    assert abs(dominant(decoded) - freq) / freq < 0.04
    assert abs(20 * np.log10(np.sqrt((decoded**2).mean()) / np.sqrt((tone.waves[0] ** 2).mean()))) < 1.0


def test_state_round_trip_decodes_alike(clips):
    for feat in MODALITY.default_features(AudioData(modality="audio")):
        rep = MODALITY.representation(feat).fit(clips)
        encoded = rep.encode(clips.subset(np.arange(4)))
        state = rep.state()
        assert all(isinstance(v, torch.Tensor) for v in state.values())
        fresh = MODALITY.representation(feat)
        fresh.load_state(state)
        assert fresh.spec == rep.spec
        assert np.array_equal(fresh.decode(encoded).waves, rep.decode(encoded).waves)


def test_clips_of_another_shape_are_refused(clips):
    rep = WaveformRepresentation(feature(representation="waveform")).fit(clips)
    with pytest.raises(ValueError, match="fit on 2000 samples at 8000 Hz"):
        rep.encode(Clips(np.zeros((2, 1000), np.float32), RATE))


def test_feature_options_checked():
    with pytest.raises(ValidationError, match="'mu_law' applies only to representation 'waveform'"):
        AudioFeature(representation="mel", mu_law="codes")
    with pytest.raises(ValidationError, match="'n_mels' applies only to representation 'mel'"):
        AudioFeature(representation="waveform", n_mels=32)
    labels = [MODALITY.representation(f).label for f in MODALITY.default_features(AudioData(modality="audio"))]
    assert len(set(labels)) == len(labels) and labels[0] == "representation=mel+n_mels=32"
