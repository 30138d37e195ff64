"""The image metrics are honest: on digits, fresh real data beats every kind of bad generator."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from genautoml.metrics import stats
from genautoml.metrics.base import MAXIMIZE, MINIMIZE
from genautoml.metrics.image import FEATURE_NAMES, all_image_metrics, image_features, image_metrics


@pytest.fixture(scope="module")
def digits() -> dict[str, np.ndarray]:
    from sklearn.datasets import load_digits

    images = (load_digits().images / 16.0).astype(np.float32)[..., None]  # (1797, 8, 8, 1)
    order = np.random.default_rng(0).permutation(len(images))
    return {
        "train": images[order[:1000]],
        "heldout": images[order[1000:1400]],
        "real": images[order[1400:]],  # 397 fresh real images: the honest "generator"
    }


@pytest.fixture(scope="module")
def generators(digits) -> dict[str, np.ndarray]:
    real = digits["real"]
    rng = np.random.default_rng(1)
    salt_pepper = np.where(rng.random(real.shape) < 0.2, rng.integers(0, 2, real.shape), real)
    return {
        "real": real,
        "uniform_noise": rng.random(real.shape, dtype=np.float32),
        "blurred": ndimage.gaussian_filter(real, sigma=(0, 1, 1, 0)),
        "collapsed": np.repeat(real[:1], len(real), axis=0),
        "salt_pepper": salt_pepper.astype(np.float32),
    }


@pytest.fixture(scope="module")
def scores(digits, generators) -> dict[str, dict[str, float]]:
    return {
        name: all_image_metrics(digits["heldout"], generated, digits["train"])
        for name, generated in generators.items()
    }


BAD = ["uniform_noise", "blurred", "collapsed", "salt_pepper"]


@pytest.mark.parametrize("bad", BAD)
def test_real_beats_bad_generators_on_frechet_and_mmd(scores, bad):
    real, worse = scores["real"], scores[bad]
    # Not just ordered: an order of magnitude apart, so noise between runs cannot flip them.
    assert worse["frechet"] > 5 * real["frechet"]
    assert worse["mmd"] > 0.02 > 10 * abs(real["mmd"])


@pytest.mark.parametrize("bad", BAD)
def test_real_beats_bad_generators_on_c2st(scores, bad):
    assert scores["real"]["c2st"] < 0.2
    assert scores[bad]["c2st"] > 0.8


def test_recall_and_coverage_expose_a_collapsed_generator(scores):
    assert scores["real"]["recall"] > 0.8 and scores["collapsed"]["recall"] < 0.1
    assert scores["real"]["coverage"] > 0.8 and scores["collapsed"]["coverage"] < 0.1


@pytest.mark.parametrize("bad", ["uniform_noise", "salt_pepper"])
def test_precision_exposes_noise(scores, bad):
    assert scores["real"]["precision"] > 0.8 and scores[bad]["precision"] < 0.1


def test_memorization_flags_copies_of_train_but_not_fresh_data(digits, scores):
    copies = digits["train"][:250]  # fewer than the 400 held-out: sizes need not match
    copied = all_image_metrics(digits["heldout"], copies, digits["train"], only=["memorization"])
    assert copied["memorization"] > 0.9
    # Fresh data sits at the 5% baseline by construction of the threshold.
    assert scores["real"]["memorization"] < 0.15
    # Copies pass every quality metric, which is why memorization is reported beside them.
    quality = all_image_metrics(digits["heldout"], copies, digits["train"], only=["frechet"])
    assert quality["frechet"] < 2 * scores["real"]["frechet"]


def test_suite_directions_and_single_metrics_match_the_helper(digits, generators, scores):
    suite = image_metrics()
    assert set(suite) >= {"frechet", "mmd", "c2st", "memorization"}
    assert set(suite) >= {"precision", "recall", "density", "coverage"}
    for name in ("frechet", "mmd", "c2st", "memorization"):
        assert suite[name].direction == MINIMIZE
    for name in ("precision", "recall", "coverage"):
        assert suite[name].direction == MAXIMIZE
    # Density is about 1 for real data and grows past it for samples crowded into dense
    # regions: no direction, so nothing ranks by it.
    assert suite["density"].direction is None
    with pytest.raises(ValueError, match="no better direction"):
        suite["density"].better(1.0, 2.0)
    blurred = generators["blurred"]
    for name, metric in suite.items():
        value = metric.compute(digits["heldout"], blurred, digits["train"])
        assert value == pytest.approx(scores["blurred"][name], rel=1e-9, abs=1e-12)
        assert metric.direction is None or name == "memorization" or metric.better(scores["real"][name], value)


def test_metrics_are_deterministic(digits, generators):
    args = (digits["heldout"], generators["salt_pepper"], digits["train"])
    assert all_image_metrics(*args) == all_image_metrics(*args)
    np.testing.assert_array_equal(image_features(args[1]), image_features(args[1].copy()))


@pytest.mark.parametrize(
    "shape", [(30, 28, 28, 3), (25, 28, 28, 1), (20, 32, 32, 3), (12, 7, 13, 1)]
)
def test_other_image_shapes(shape):
    rng = np.random.default_rng(0)
    heldout, generated, train = (rng.random(shape, dtype=np.float32) for _ in range(3))
    features = image_features(generated)
    assert features.shape == (shape[0], len(FEATURE_NAMES)) == (shape[0], 144)
    values = all_image_metrics(heldout, generated[: shape[0] // 2], train)
    assert all(np.isfinite(v) for v in values.values())


def test_rgb_features_are_the_luma_of_the_image():
    gray = np.random.default_rng(0).random((5, 28, 28, 1))
    rgb = np.repeat(gray, 3, axis=-1)
    np.testing.assert_allclose(image_features(rgb), image_features(gray), atol=1e-12)


def test_digit_pixels_pass_through_unchanged(digits):
    # 8x8 -> 16x16 canvas -> 8x8 pooling is the identity: the first 64 features are the image.
    x = digits["real"][:10]
    np.testing.assert_allclose(image_features(x)[:, :64], x.reshape(10, 64), atol=1e-6)


def test_tiny_and_constant_inputs():
    rng = np.random.default_rng(0)
    tiny = all_image_metrics(*(rng.random((n, 8, 8, 1)) for n in (3, 2, 2)))
    assert all(np.isfinite(v) for k, v in tiny.items() if k != "kid_se")  # k=5 > N: k shrinks to N - 1
    assert np.isnan(tiny["kid_se"])  # two samples: no pair left when one is left out
    blank = np.zeros((30, 8, 8, 1), dtype=np.float32)
    same = all_image_metrics(blank, blank, blank)
    assert same["frechet"] == 0.0 and same["c2st"] == 0.0 and same["precision"] == 1.0
    assert all(np.isfinite(v) for v in same.values())


def test_bad_images_raise():
    with pytest.raises(ValueError, match="NaN"):
        image_features(np.full((4, 8, 8, 1), np.nan))
    with pytest.raises(ValueError, match="C 1 or 3"):
        image_features(np.zeros((4, 8, 8, 2)))
    with pytest.raises(ValueError, match="unknown image metric"):
        blank = np.zeros((4, 8, 8, 1))
        all_image_metrics(blank, blank, blank, only=["fid"])


# --- the statistics on their own -----------------------------------------------------------


def _exact_moments(n: int, seed: int) -> np.ndarray:
    """Standard normal draws shifted and scaled to sample mean 0 and unbiased std 1 exactly."""
    z = np.random.default_rng(seed).normal(size=n)
    return (z - z.mean()) / z.std(ddof=1)


def test_frechet_matches_the_closed_form_in_one_dimension():
    a, b = 1.0 + 2.0 * _exact_moments(500, 0), -1.0 + 0.5 * _exact_moments(700, 1)
    assert stats.frechet_distance(a, b) == pytest.approx((1 - -1) ** 2 + (2.0 - 0.5) ** 2, rel=1e-9)


def test_frechet_matches_the_textbook_formula_with_full_covariances():
    from scipy.linalg import sqrtm

    rng = np.random.default_rng(0)
    a = rng.normal(size=(400, 6)) @ rng.normal(size=(6, 6))
    b = rng.normal(size=(300, 6)) @ rng.normal(size=(6, 6)) + 0.5
    ca, cb = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    textbook = ((a.mean(0) - b.mean(0)) ** 2).sum() + np.trace(ca + cb - 2 * sqrtm(ca @ cb).real)
    assert stats.frechet_distance(a, b) == pytest.approx(textbook, rel=1e-6)


def test_frechet_of_one_gaussian_is_near_zero_and_exact_for_singular_covariances():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(2000, 3)), rng.normal(size=(2000, 3))
    assert stats.frechet_distance(a, a) == pytest.approx(0.0, abs=1e-9)
    assert stats.frechet_distance(a, b) < 0.02
    collapsed = np.ones((50, 3))  # zero covariance: distance is |mu|^2 + tr(S_a)
    expected = ((a.mean(0) - 1.0) ** 2).sum() + np.trace(np.cov(a, rowvar=False))
    assert stats.frechet_distance(a, collapsed) == pytest.approx(expected, rel=1e-9)


def test_mmd_is_near_zero_for_one_distribution_and_grows_with_a_shift():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(300, 5))
    same = stats.mmd(a, rng.normal(size=(200, 5)))
    shifted = [stats.mmd(a, rng.normal(size=(200, 5)) + s) for s in (0.5, 1.0, 2.0)]
    assert -0.01 < same < 0.01
    assert same < shifted[0] < shifted[1] < shifted[2]
    # The bandwidth comes from ``a``, so a constant generated sample is measured, not degenerate.
    assert stats.mmd(a, np.zeros((10, 5))) > 0.1


def test_prdc_of_one_distribution_and_of_a_collapsed_one():
    rng = np.random.default_rng(0)
    real = rng.normal(size=(400, 4))
    same = stats.precision_recall_density_coverage(real, rng.normal(size=(400, 4)))
    assert min(same["precision"], same["recall"], same["coverage"]) > 0.8
    assert 0.7 < same["density"] < 1.3
    collapsed = stats.precision_recall_density_coverage(real, np.zeros((400, 4)))
    assert collapsed["precision"] == 1.0
    assert collapsed["recall"] < 0.01 and collapsed["coverage"] < 0.05


def test_c2st_separates_shifted_data_and_not_one_distribution():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(300, 5))
    assert stats.c2st(a, rng.normal(size=(500, 5))) < 0.15
    assert stats.c2st(a, rng.normal(size=(200, 5)) + 3.0) > 0.9
    b = rng.normal(size=(500, 5))
    assert stats.c2st(a, b, seed=3) == stats.c2st(a, b, seed=3)


def test_memorization_copy_rate():
    rng = np.random.default_rng(0)
    train, heldout, fresh = (rng.normal(size=(n, 6)) for n in (500, 300, 400))
    assert stats.memorization(train[:200], train, heldout) == 1.0
    assert stats.memorization(fresh, train, heldout) < 0.12
    assert stats.memorization(fresh + 10.0, train, heldout) == 0.0


def test_statistics_reject_bad_input():
    ok = np.zeros((5, 3))
    with pytest.raises(ValueError, match="features"):
        stats.frechet_distance(ok, np.zeros((5, 4)))
    with pytest.raises(ValueError, match="at least 2 rows"):
        stats.mmd(ok, np.zeros((1, 3)))
    with pytest.raises(ValueError, match="NaN"):
        stats.c2st(ok, np.full((5, 3), np.inf))


def test_kid_is_unbiased_and_its_standard_error_matches_the_spread():
    rng = np.random.default_rng(0)
    same, shifted, errors = [], [], []
    for _ in range(40):
        real = rng.normal(size=(150, 6))
        value, se = stats.kernel_inception_distance(real, rng.normal(size=(120, 6)))
        same.append(value)
        errors.append(se)
        shifted.append(stats.kernel_inception_distance(real, rng.normal(0.4, 1.0, size=(120, 6)))[0])
    # One distribution: about 0 (the estimate is unbiased, so it dips below 0 too).
    assert abs(np.mean(same)) < 2 * np.std(same) / np.sqrt(len(same)) and min(same) < 0
    # The jackknife's standard error is the spread of the estimate over repeated draws.
    assert 0.6 < np.mean(errors) / np.std(same) < 1.6
    assert min(shifted) > max(same)
