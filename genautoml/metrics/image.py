"""The image feature space and the image metric suite.

We cannot download Inception, and learned features would make numbers depend on weights
we did not ship, so images are judged in a fixed hand-made feature space. The recipe does
not look at the dataset, so figures are comparable between runs on one dataset (not across
datasets: an 8x8 digit and a 32x32 photo land differently on the same canvas).

``image_features(x)``, for ``x`` float (N, H, W, C) in [0, 1], C in {1, 3}:

1. Values are clipped to [0, 1] (what a PNG of the sample would show). RGB becomes luma
   ``0.299 R + 0.587 G + 0.114 B`` (ITU-R BT.601).
2. Each image is area-resampled to a 16 x 16 canvas: every canvas pixel is the
   overlap-weighted mean of the source pixels it covers. 32 -> 16 is a 2 x 2 mean, 8 -> 16
   repeats each pixel 2 x 2, 28 -> 16 mixes fractional overlaps.
3. Features, 144 in all, every one in intensity units:
   - ``pixels`` (64): the canvas mean-pooled to 8 x 8 (for 8 x 8 input: the image itself).
     Sees content, brightness and mode collapse.
   - ``orientation`` (64): gradients by central differences on the canvas (edges replicated),
     magnitude split between the two nearest of 4 unsigned orientation bins
     (0, 45, 90, 135 degrees) by linear interpolation of the angle, averaged over a 4 x 4
     grid of 4 x 4-pixel cells. A HOG without block normalisation: the edge energy sees blur
     (less of it) and noise (more of it, spread over all orientations) as well as shape.
   - ``laplacian`` (16): mean ``|4-neighbour Laplacian|`` (edges replicated) per cell of the
     same grid; high-frequency energy, the most direct witness of blur and pixel noise.

Every metric calls ``image_features`` on its inputs and a statistic of ``metrics/stats.py``
on the result; nothing is cached, so a metric is a pure function.
"""

from __future__ import annotations

import numpy as np

from genautoml.metrics import stats
from genautoml.metrics.base import Metric
from genautoml.metrics.suite import feature_space_suite

__all__ = ["CANVAS", "FEATURE_NAMES", "image_features", "image_metrics", "all_image_metrics"]

CANVAS = 16
_POOL = 8  # side of the pooled-pixel grid
_CELLS = 4  # side of the grid the edge statistics are pooled over
_ORIENTATIONS = 4
_LUMA = np.array([0.299, 0.587, 0.114])

FEATURE_NAMES: tuple[str, ...] = (
    *(f"pixel_{r}_{c}" for r in range(_POOL) for c in range(_POOL)),
    *(
        f"orient{o}_{r}_{c}"
        for o in range(_ORIENTATIONS)
        for r in range(_CELLS)
        for c in range(_CELLS)
    ),
    *(f"laplacian_{r}_{c}" for r in range(_CELLS) for c in range(_CELLS)),
)


def _as_images(x: np.ndarray) -> np.ndarray:
    a = np.asarray(x, dtype=np.float64)
    if a.ndim == 3:  # (N, H, W): grayscale without a channel axis
        a = a[..., None]
    if a.ndim != 4 or a.shape[-1] not in (1, 3):
        raise ValueError(f"images: expected (N, H, W, C) with C 1 or 3, got shape {a.shape}")
    if a.shape[0] == 0 or a.shape[1] == 0 or a.shape[2] == 0:
        raise ValueError(f"images: empty array of shape {a.shape}")
    if not np.isfinite(a).all():
        raise ValueError("images: contain NaN or infinite values")
    return np.clip(a, 0.0, 1.0)


def _area_matrix(size_in: int, size_out: int) -> np.ndarray:
    """(size_out, size_in) weights: overlap of each output pixel's span with each input pixel."""
    edges = np.arange(size_out + 1) * (size_in / size_out)
    lo, hi = edges[:-1, None], edges[1:, None]
    j = np.arange(size_in)[None, :]
    overlap = np.clip(np.minimum(hi, j + 1) - np.maximum(lo, j), 0.0, None)
    return overlap / (size_in / size_out)


def _pool(x: np.ndarray, grid: int) -> np.ndarray:
    """Mean over non-overlapping blocks of the last two axes, (..., S, S) -> (..., grid, grid)."""
    s = x.shape[-1] // grid
    return x.reshape(*x.shape[:-2], grid, s, grid, s).mean(axis=(-3, -1))


def image_features(x: np.ndarray) -> np.ndarray:
    """Images (N, H, W, C) in [0, 1] -> features (N, 144) float64; recipe in the module docstring."""
    a = _as_images(x)
    gray = a[..., 0] if a.shape[-1] == 1 else a @ _LUMA  # (N, H, W)
    rows, cols = _area_matrix(gray.shape[1], CANVAS), _area_matrix(gray.shape[2], CANVAS)
    canvas = rows @ gray @ cols.T  # (N, 16, 16)

    padded = np.pad(canvas, ((0, 0), (1, 1), (1, 1)), mode="edge")
    gx = (padded[:, 1:-1, 2:] - padded[:, 1:-1, :-2]) / 2.0
    gy = (padded[:, 2:, 1:-1] - padded[:, :-2, 1:-1]) / 2.0
    magnitude = np.hypot(gx, gy)
    # Unsigned angle in bin units [0, 4): a dark-to-light edge and its mirror are one edge.
    angle = (np.arctan2(gy, gx) % np.pi) * (_ORIENTATIONS / np.pi)
    lower = np.floor(angle)
    to_upper = magnitude * (angle - lower)  # linear split of the magnitude between two bins
    to_lower = magnitude - to_upper
    lower = lower.astype(np.int64) % _ORIENTATIONS
    bins = np.empty((len(canvas), _ORIENTATIONS, CANVAS, CANVAS))
    for o in range(_ORIENTATIONS):
        from_below = (lower + 1) % _ORIENTATIONS == o
        bins[:, o] = np.where(lower == o, to_lower, 0.0) + np.where(from_below, to_upper, 0.0)
    orientation = _pool(bins, _CELLS)  # (N, 4 orientations, 4, 4)

    laplacian = np.abs(
        padded[:, :-2, 1:-1] + padded[:, 2:, 1:-1] + padded[:, 1:-1, :-2] + padded[:, 1:-1, 2:]
        - 4.0 * canvas
    )
    n = len(canvas)
    return np.concatenate(
        [
            _pool(canvas, _POOL).reshape(n, -1),
            orientation.reshape(n, -1),
            _pool(laplacian, _CELLS).reshape(n, -1),
        ],
        axis=1,
    )


def image_metrics() -> dict[str, Metric]:
    """The image metric suite (genautoml/metrics/suite.py) in this module's feature space;
    "frechet" is the default selection metric."""
    return feature_space_suite(image_features, "image features")


def all_image_metrics(
    heldout: np.ndarray,
    generated: np.ndarray,
    train: np.ndarray,
    only: list[str] | tuple[str, ...] | None = None,
) -> dict[str, float]:
    """Every (or ``only`` the named) image metric, computing each feature matrix once."""
    names = list(image_metrics()) if only is None else list(only)
    unknown = sorted(set(names) - set(image_metrics()))
    if unknown:
        raise ValueError(f"unknown image metric(s): {', '.join(unknown)}")
    return stats.feature_space_metrics(
        image_features(heldout), image_features(generated), lambda: image_features(train), names
    )
