"""The audio metrics are honest: fresh real clips beat every degenerate generator."""

import numpy as np
import pytest
from scipy.signal import butter, sosfiltfilt

from genautoml.data.audio import MODALITY, Clips, tones
from genautoml.metrics.audio import FEATURE_NAMES, all_audio_metrics, audio_metrics, clip_embedding

RATE = 8000


@pytest.fixture(scope="module")
def sets():
    waves = tones(RATE, 4000, count=300)
    return Clips(waves[:100], RATE), Clips(waves[100:200], RATE), Clips(waves[200:], RATE)


def fakes(heldout: Clips) -> dict[str, Clips]:
    rng = np.random.default_rng(0)
    shape = heldout.waves.shape
    lowpass = sosfiltfilt(butter(8, 500, fs=RATE, output="sos"), heldout.waves, axis=1)
    return {
        "white noise": rng.uniform(-0.5, 0.5, shape),
        "quiet noise": rng.normal(0.0, 0.01, shape),
        "silence": np.zeros(shape),
        "one clip repeated": np.repeat(heldout.waves[:1], len(heldout), axis=0),
        "low-passed at 500 Hz": lowpass,
    }


def test_embedding_is_fixed_and_deterministic(sets):
    heldout, _, _ = sets
    first = clip_embedding(heldout.waves, RATE)
    assert first.shape == (100, len(FEATURE_NAMES)) == (100, 90)
    assert np.array_equal(first, clip_embedding(heldout.waves.copy(), RATE))
    assert np.isfinite(clip_embedding(np.zeros((2, 10)), RATE)).all()  # shorter than one window
    with pytest.raises(ValueError, match="NaN"):
        clip_embedding(np.full((2, 100), np.nan), RATE)


@pytest.mark.parametrize("metric", ["frechet", "mmd"])
def test_real_clips_beat_every_degenerate_generator(sets, metric):
    heldout, fresh, train = sets
    real = all_audio_metrics(heldout, fresh, train, only=[metric])[metric]
    for name, waves in fakes(heldout).items():
        fake = all_audio_metrics(heldout, Clips(np.asarray(waves, np.float32), RATE), train, only=[metric])[metric]
        # Clearly, not marginally: at least twice the real clips' figure (and above it).
        assert fake > max(2 * real, real + 1e-3), (name, fake, real)


def test_memorization_flags_copies_of_train_only(sets):
    heldout, fresh, train = sets
    novel = all_audio_metrics(heldout, fresh, train, only=["memorization"])["memorization"]
    copies = all_audio_metrics(heldout, train, train, only=["memorization"])["memorization"]
    assert novel < 0.2 and copies == 1.0


def test_suite_and_single_metrics_agree(sets):
    heldout, fresh, train = sets
    together = MODALITY.score_samples(heldout, fresh, train, list(audio_metrics()))
    for name, metric in audio_metrics().items():
        assert metric.compute(heldout, fresh, train) == pytest.approx(together[name], rel=1e-9)
    # The image suite's statistics (genautoml/metrics/suite.py), in the clip embedding.
    assert set(MODALITY.metrics()) == {"frechet", "mmd", "kid", "kid_se", "precision", "recall", "coverage",
                                       "density", "c2st", "memorization", "bits_per_sample"}
    assert MODALITY.metrics()["bits_per_sample"].kind == "likelihood"


def test_clips_at_different_rates_are_refused(sets):
    heldout, fresh, train = sets
    with pytest.raises(ValueError, match="different sample rates"):
        all_audio_metrics(heldout, Clips(fresh.waves, 16000), train)
