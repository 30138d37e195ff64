"""Two-sample statistics on feature matrices, independent of the modality.

Every function takes numpy arrays of shape (N, F) (a 1-D array is read as N values of one
feature), works in float64 and is deterministic: the same inputs give the same number.
The modality modules (``metrics/image.py``, ...) map raw examples to features and call these.

Conventions shared by all functions:
- ``real`` / ``heldout`` is the reference sample, ``fake`` / ``generated`` the one judged;
  their sizes may differ.
- Distances are Euclidean in the feature space as given; scaling features is the caller's choice.
- Samples with fewer than two rows (``train`` in ``memorization``: one), or with NaN / inf,
  raise ``ValueError``: a statistic of them would be meaningless, and the search turns an
  exception into a failed trial.
"""

from __future__ import annotations

import functools
import warnings
from typing import Callable, TypeVar

import numpy as np

__all__ = [
    "MMD_SCALES",
    "frechet_distance",
    "median_bandwidth",
    "mmd",
    "kernel_inception_distance",
    "precision_recall_density_coverage",
    "c2st",
    "memorization",
]

# Bandwidth multiples of the median heuristic used by ``mmd``; a mix rather than one width
# so the statistic sees both fine (noise, texture) and coarse (mode, brightness) differences.
MMD_SCALES = (0.5, 1.0, 2.0)

# Rows of the pairwise-distance blocks; bounds memory at a few thousand samples.
_BLOCK = 1024
_MEDIAN_ROWS = 1000


_F = TypeVar("_F", bound=Callable)


def _one_thread(fn: _F) -> _F:
    """Run ``fn`` with BLAS and OpenMP pools limited to one thread.

    The matrices here are small (thousands x ~100), so threads gain little, while trials run
    side by side oversubscribe the cores: we measured the Fréchet distance at N=360 taking
    330 ms instead of 5 ms on a busy two-core machine. One thread also makes the last bits of
    every result independent of the machine's core count.
    """

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from threadpoolctl import threadpool_limits  # installed with scikit-learn

        with threadpool_limits(limits=1):
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _matrix(x: np.ndarray, name: str, min_rows: int = 2) -> np.ndarray:
    a = np.asarray(x, dtype=np.float64)
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2:
        raise ValueError(f"{name}: expected a feature matrix (N, F), got shape {a.shape}")
    if a.shape[0] < min_rows:
        raise ValueError(f"{name}: needs at least {min_rows} rows, got {a.shape[0]}")
    if not np.isfinite(a).all():
        raise ValueError(f"{name}: contains NaN or infinite values")
    return a


def _pair(a: np.ndarray, b: np.ndarray, names: tuple[str, str]) -> tuple[np.ndarray, np.ndarray]:
    a, b = _matrix(a, names[0]), _matrix(b, names[1])
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"{names[0]} has {a.shape[1]} features but {names[1]} has {b.shape[1]}")
    return a, b


def _sq_dists(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Squared Euclidean distances (len(a), len(b)), clipped at 0 against round-off."""
    d = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * (a @ b.T)
    return np.maximum(d, 0.0)


def _dists(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sqrt(_sq_dists(a, b))


def _psd_sqrt(m: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh(m)
    return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T


@_one_thread
def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Fréchet (2-Wasserstein) distance between Gaussians fitted to ``a`` and ``b``.

    ``|mu_a - mu_b|^2 + tr(S_a) + tr(S_b) - 2 tr((S_a S_b)^{1/2})`` with unbiased covariances.
    The cross term uses ``tr((S_a S_b)^{1/2}) = tr((S_a^{1/2} S_b S_a^{1/2})^{1/2})``: the right
    side is the square root of a symmetric PSD matrix, taken by eigen-decomposition with
    negative round-off eigenvalues clipped to 0. That needs no ridge, never produces complex
    parts, and stays exact for singular covariances (a collapsed generator, constant features)
    where ``scipy.linalg.sqrtm`` is unstable.
    """
    a, b = _pair(a, b, ("a", "b"))
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a = np.atleast_2d(np.cov(a, rowvar=False))
    cov_b = np.atleast_2d(np.cov(b, rowvar=False))
    root_a = _psd_sqrt(cov_a)
    inner = root_a @ cov_b @ root_a
    cross = np.sqrt(np.clip(np.linalg.eigvalsh((inner + inner.T) / 2.0), 0.0, None)).sum()
    value = ((mu_a - mu_b) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) - 2.0 * cross
    # Round-off can leave a tiny negative number for identical inputs.
    return float(max(value, 0.0))


@_one_thread
def median_bandwidth(ref: np.ndarray) -> float:
    """Median of the pairwise Euclidean distances between distinct rows of ``ref``.

    Above ``_MEDIAN_ROWS`` rows a fixed-seed subsample of that many rows is used: half a
    million pairs pin a median down, the full matrix would only cost time. Falls back to the
    mean distance, then to 1.0, when the median is 0 (many duplicates or a constant
    reference), so the kernel never degenerates.
    """
    ref = _matrix(ref, "ref")
    if len(ref) > _MEDIAN_ROWS:
        idx = np.random.default_rng(0).choice(len(ref), size=_MEDIAN_ROWS, replace=False)
        ref = ref[np.sort(idx)]
    d = _dists(ref, ref)[np.triu_indices(len(ref), k=1)]
    for value in (np.median(d), d.mean()):
        if value > 1e-12:
            return float(value)
    return 1.0


def _kernel_sum(a: np.ndarray, b: np.ndarray, gammas: np.ndarray, same: bool) -> float:
    """Sum of the mixed RBF kernel over all pairs, excluding the diagonal when ``same``."""
    total = 0.0
    for start in range(0, len(a), _BLOCK):
        d2 = _sq_dists(a[start : start + _BLOCK], b)
        k = sum(np.exp(-g * d2) for g in gammas) / len(gammas)
        if same:
            rows = np.arange(k.shape[0])
            k[rows, rows + start] = 0.0
        total += k.sum()
    return float(total)


@_one_thread
def mmd(a: np.ndarray, b: np.ndarray, bandwidth: float | None = None) -> float:
    """Unbiased estimate of the squared maximum mean discrepancy between ``a`` and ``b``.

    Kernel: the mean of RBF kernels ``exp(-|x-y|^2 / (2 (s*sigma)^2))`` over ``s`` in
    ``MMD_SCALES``; ``sigma`` defaults to the median pairwise distance within ``a`` (the
    reference sample), so a generator cannot move the yardstick it is measured with.
    The unbiased estimator is ~0 for samples of one distribution and may dip slightly below 0.
    """
    a, b = _pair(a, b, ("a", "b"))
    sigma = median_bandwidth(a) if bandwidth is None else float(bandwidth)
    if not sigma > 0:
        raise ValueError(f"bandwidth must be positive, got {bandwidth}")
    gammas = 1.0 / (2.0 * (np.asarray(MMD_SCALES) * sigma) ** 2)
    m, n = len(a), len(b)
    kaa = _kernel_sum(a, a, gammas, same=True) / (m * (m - 1))
    kbb = _kernel_sum(b, b, gammas, same=True) / (n * (n - 1))
    kab = _kernel_sum(a, b, gammas, same=False) / (m * n)
    return float(kaa + kbb - 2.0 * kab)


def kernel_inception_distance(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """KID (Bińkowski et al., 2018) in the given feature space, and its standard error.

    The unbiased estimate of the squared MMD with the cubic polynomial kernel
    ``k(x, y) = (x . y / d + 1) ** 3`` (d features), on every pair of both samples, not on
    subsets; unlike the Fréchet distance its expectation does not depend on the sample size.
    Both samples are first centred on ``a``'s (the reference's) mean and divided by its
    overall spread (the root of the mean variance over features; one number, so the
    geometry of the space is kept and no near-constant feature is blown up): the kernel is
    made for features of about unit scale, and ours range from pixel intensities to
    decibels (as they were, a clip embedding in dB gave KID near 1e8).
    The standard error is the two-sample delete-one jackknife's (each real row, then each
    generated row left out in turn), computed in closed form from the kernel's row sums;
    NaN below 3 rows a sample, where leaving one out leaves no pair to average.
    """
    a, b = _pair(a, b, ("a", "b"))
    m, n = len(a), len(b)
    d = a.shape[1]
    centre, spread = a.mean(0), float(np.sqrt(a.var(0).mean()))
    spread = spread if spread > 1e-12 else 1.0  # a constant reference: centred only
    a, b = (a - centre) / spread, (b - centre) / spread
    kaa, kbb, kab = ((x @ y.T / d + 1.0) ** 3 for x, y in ((a, a), (b, b), (a, b)))
    rows_a, rows_b = kaa.sum(1) - np.diag(kaa), kbb.sum(1) - np.diag(kbb)  # pairs of distinct rows
    saa, sbb, sab = rows_a.sum(), rows_b.sum(), kab.sum()
    value = saa / (m * (m - 1)) + sbb / (n * (n - 1)) - 2.0 * sab / (m * n)
    if min(m, n) < 3:
        return float(value), float("nan")
    without_a = (saa - 2 * rows_a) / ((m - 1) * (m - 2)) + sbb / (n * (n - 1)) - 2 * (sab - kab.sum(1)) / ((m - 1) * n)
    without_b = saa / (m * (m - 1)) + (sbb - 2 * rows_b) / ((n - 1) * (n - 2)) - 2 * (sab - kab.sum(0)) / (m * (n - 1))
    variance = ((m - 1) / m * ((without_a - without_a.mean()) ** 2).sum()
                + (n - 1) / n * ((without_b - without_b.mean()) ** 2).sum())
    return float(value), float(np.sqrt(variance))


def _knn_radii(x: np.ndarray, k: int) -> np.ndarray:
    """Distance from each row to its k-th nearest other row (duplicates count as neighbours)."""
    from sklearn.neighbors import NearestNeighbors

    # k + 1 because each row finds itself (or an identical twin) at distance 0 first.
    dist, _ = NearestNeighbors(n_neighbors=k + 1).fit(x).kneighbors(x)
    return dist[:, k]


@_one_thread
def precision_recall_density_coverage(
    real: np.ndarray, fake: np.ndarray, k: int = 5
) -> dict[str, float]:
    """k-NN manifold precision, recall, density and coverage (Naeem et al., 2020).

    Each sample owns a ball reaching its k-th nearest neighbour within its own set.
    precision: fraction of fake samples inside some real ball (fidelity).
    recall: fraction of real samples inside some fake ball (diversity; ~0 for a collapsed
    generator, whose balls have radius 0).
    density: real balls containing each fake sample, divided by k, averaged (1 on average
    for a matching distribution; above 1 when fakes crowd dense real regions).
    coverage: fraction of real samples whose ball contains some fake sample.
    ``k`` is reduced to ``len(set) - 1`` for tiny sets, so every ball still has a neighbour.
    """
    real, fake = _pair(real, fake, ("real", "fake"))
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    k_real, k_fake = min(k, len(real) - 1), min(k, len(fake) - 1)
    r_real, r_fake = _knn_radii(real, k_real), _knn_radii(fake, k_fake)
    inside_real = np.zeros(len(fake), dtype=np.int64)  # real balls holding each fake
    real_covered = np.zeros(len(real), dtype=bool)
    fake_reaches = np.zeros(len(real), dtype=bool)  # real sample inside some fake ball
    for start in range(0, len(real), _BLOCK):
        d = _dists(real[start : start + _BLOCK], fake)  # (block, n_fake)
        in_ball = d <= r_real[start : start + _BLOCK, None]
        inside_real += in_ball.sum(0)
        real_covered[start : start + _BLOCK] = in_ball.any(1)
        fake_reaches[start : start + _BLOCK] = (d <= r_fake[None, :]).any(1)
    return {
        "precision": float((inside_real > 0).mean()),
        "recall": float(fake_reaches.mean()),
        "density": float(inside_real.mean() / k_real),
        "coverage": float(real_covered.mean()),
    }


@_one_thread
def c2st(real: np.ndarray, fake: np.ndarray, seed: int = 0, folds: int = 5) -> float:
    """Classifier two-sample test (Lopez-Paz & Oquab, 2017): 0 indistinguishable, 1 separable.

    The larger set is subsampled (``seed``) to the size of the smaller so chance accuracy is
    0.5. The classifier is fixed: per-feature standardisation then L2 logistic regression
    (C=0.1), scored by ``folds``-fold stratified cross-validation (shuffled with ``seed``;
    fewer folds when a set is tiny); the accuracy is pooled over every held-out prediction.
    Returned: ``2 * |accuracy - 0.5|``, so ~0.05 is the noise floor at a few hundred samples.

    Why linear on standardised features rather than 1-nearest-neighbour (Xu et al., 2018): we
    measured both on digits; 1-NN misses generators that scatter samples (pixel noise, whose
    samples are each other's strangers and land next to real ones), scoring salt-and-pepper
    noise 0.14 and mild Gaussian noise like real data, while the linear test scores them
    above 0.9 and still catches mode collapse (0.98) and blur.
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    real, fake = _pair(real, fake, ("real", "fake"))
    n = min(len(real), len(fake))
    rng = np.random.default_rng(seed)
    x = np.concatenate([_take(real, n, rng), _take(fake, n, rng)])
    y = np.repeat([0, 1], n)
    classifier = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=1000))
    split = StratifiedKFold(n_splits=max(2, min(folds, n)), shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        # Separable data can stop lbfgs at max_iter; the fit is still a fixed function of the
        # data, which is all a test statistic needs.
        warnings.simplefilter("ignore", ConvergenceWarning)
        predicted = cross_val_predict(classifier, x, y, cv=split)
    accuracy = float((predicted == y).mean())
    return float(2.0 * abs(accuracy - 0.5))


def _take(x: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    if len(x) == n:
        return x
    return x[np.sort(rng.choice(len(x), size=n, replace=False))]


@_one_thread
def memorization(
    generated: np.ndarray, train: np.ndarray, heldout: np.ndarray, quantile: float = 0.05
) -> float:
    """Copy rate: fraction of generated samples suspiciously close to the training set.

    Threshold: the ``quantile`` (default 5th percentile) of the distances from held-out real
    samples to their nearest training sample, i.e. how close fresh data from the same
    distribution comes to train by chance. A generated sample at or below it is flagged.
    A generator as novel as fresh data scores about ``quantile`` (0.05); one that replays
    training examples scores up to 1.0. Noise that is far from everything scores 0, so read
    this beside a quality metric: it detects copying, not quality.
    """
    train = _matrix(train, "train", min_rows=1)
    generated, heldout = _pair(generated, heldout, ("generated", "heldout"))
    if train.shape[1] != generated.shape[1]:
        raise ValueError(
            f"train has {train.shape[1]} features but generated has {generated.shape[1]}"
        )
    if not 0.0 < quantile < 1.0:
        raise ValueError(f"quantile must be in (0, 1), got {quantile}")
    threshold = np.quantile(_nn_dist(heldout, train), quantile)
    return float((_nn_dist(generated, train) <= threshold).mean())


def _nn_dist(x: np.ndarray, ref: np.ndarray) -> np.ndarray:
    from sklearn.neighbors import NearestNeighbors

    dist, _ = NearestNeighbors(n_neighbors=1).fit(ref).kneighbors(x)
    return dist[:, 0]


def feature_space_metrics(
    heldout: np.ndarray,
    generated: np.ndarray,
    train: Callable[[], np.ndarray],
    names: list[str],
) -> dict[str, float]:
    """The named statistics between feature matrices, each computed at most once.

    ``train`` is called only when ``memorization`` is asked for: embedding the training set
    is the costly part and most scorings do not need it. Modalities call this with their
    own fixed feature space, so the statistics mean the same thing everywhere.
    """
    out: dict[str, float] = {}
    if "frechet" in names:
        out["frechet"] = frechet_distance(heldout, generated)
    if "mmd" in names:
        out["mmd"] = mmd(heldout, generated)
    if "kid" in names or "kid_se" in names:
        out["kid"], out["kid_se"] = kernel_inception_distance(heldout, generated)
    if any(k in names for k in ("precision", "recall", "density", "coverage")):
        prdc = precision_recall_density_coverage(heldout, generated)
        out.update({k: v for k, v in prdc.items() if k in names})
    if "c2st" in names:
        out["c2st"] = c2st(heldout, generated)
    if "memorization" in names:
        out["memorization"] = memorization(generated, train(), heldout)
    return {k: out[k] for k in names}
