"""How one column of a table becomes values in [0, 1] and back: one coder per column.

A coder is fitted on the training rows of its column, says which blocks it writes
(``EncodedSpec.blocks``), encodes the stored values (genautoml/data/tabular/table.py) into
an (N, width) float array and decodes such an array back. Its fitted parameters are plain
JSON, so a representation's state is one JSON document.

Missing values: a number column that has them gets a ("category", 2) block after its own
(present, missing) and encodes a missing value at the middle of its range; a category
column counts "missing" as one more category.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from genautoml.data.tabular.table import Column

#: most points kept of a number column's empirical quantile function (more only costs memory)
QUANTILE_POINTS = 1000
#: most decimals a number column is rounded to in samples (values written with more are kept as they come)
MAX_DECIMALS = 6
#: mode-specific normalisation: a mode below this share of the rows is dropped (CTGAN's rule)
MODE_MIN_WEIGHT = 0.005


def one_hot(index: np.ndarray, width: int) -> np.ndarray:
    out = np.zeros((len(index), width), dtype=np.float32)
    out[np.arange(len(index)), index] = 1.0
    return out


class QuantileNumbers:
    """A number as its rank among the training values: uniform on [0, 1], decoded by
    interpolating the training quantiles (so samples stay within the training range)."""

    def __init__(self, params: dict[str, Any] | None = None):
        self.quantiles = np.asarray((params or {}).get("quantiles", []), dtype=np.float64)

    def fit(self, present: np.ndarray) -> "QuantileNumbers":
        points = min(QUANTILE_POINTS, max(2, len(present)))
        self.quantiles = np.quantile(present, np.linspace(0, 1, points)) if len(present) else np.zeros(2)
        return self

    def params(self) -> dict[str, Any]:
        return {"quantiles": self.quantiles.tolist()}

    @property
    def blocks(self) -> list[tuple[str, int]]:
        return [("number", 1)]

    def encode(self, x: np.ndarray) -> np.ndarray:
        q, top = self.quantiles, len(self.quantiles) - 1
        # Inside a run of equal quantiles (a value many rows share: integers, a floor of zeros)
        # a value sits at the run's middle; between quantiles it is interpolated linearly.
        left, right = np.searchsorted(q, x, "left"), np.searchsorted(q, x, "right")
        lo = np.clip(right - 1, 0, top - 1)
        gap = q[lo + 1] - q[lo]
        inside = lo + np.clip(np.divide(x - q[lo], gap, out=np.zeros_like(x), where=gap > 0), 0, 1)
        position = np.where(right > left, (left + right - 1) / 2.0, inside)
        return (np.clip(position / top, 0, 1))[:, None].astype(np.float32)

    def decode(self, encoded: np.ndarray) -> np.ndarray:
        top = len(self.quantiles) - 1
        return np.interp(np.clip(encoded[:, 0], 0, 1) * top, np.arange(top + 1), self.quantiles)


class ModeNumbers:
    """Mode-specific normalisation (CTGAN): a Gaussian mixture fitted to the column; a value
    is its most likely mode (one-hot) and its offset from that mode's mean in units of four
    standard deviations, mapped into [0, 1]. Multimodal columns keep their modes apart."""

    def __init__(self, params: dict[str, Any] | None = None, max_modes: int = 10, seed: int = 0):
        params = params or {}
        self.means = np.asarray(params.get("means", []), dtype=np.float64)
        self.stds = np.asarray(params.get("stds", []), dtype=np.float64)
        self.max_modes, self.seed = max_modes, seed

    def fit(self, present: np.ndarray) -> "ModeNumbers":
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.mixture import BayesianGaussianMixture

        distinct = len(np.unique(present))
        if distinct < 2:
            self.means, self.stds = np.array([present[0] if len(present) else 0.0]), np.array([1.0])
            return self
        mixture = BayesianGaussianMixture(n_components=min(self.max_modes, distinct), weight_concentration_prior=1e-3,
                                          max_iter=200, random_state=self.seed)
        with warnings.catch_warnings():  # an unconverged fit still separates the modes it found
            warnings.simplefilter("ignore", ConvergenceWarning)
            mixture.fit(present[:, None])
        keep = mixture.weights_ > MODE_MIN_WEIGHT
        keep[np.argmax(mixture.weights_)] = True
        self.means = mixture.means_[keep, 0]
        self.stds = np.sqrt(mixture.covariances_[keep].reshape(-1))
        return self

    def params(self) -> dict[str, Any]:
        return {"means": self.means.tolist(), "stds": self.stds.tolist()}

    @property
    def blocks(self) -> list[tuple[str, int]]:
        return [("number", 1)] + ([("category", len(self.means))] if len(self.means) > 1 else [])

    def encode(self, x: np.ndarray) -> np.ndarray:
        # the most likely mode (deterministic, so a row always encodes the same way)
        log_density = -0.5 * ((x[:, None] - self.means) / self.stds) ** 2 - np.log(self.stds)
        mode = np.argmax(log_density, axis=1)
        offset = np.clip((x - self.means[mode]) / (4 * self.stds[mode]), -1, 1)
        value = ((offset + 1) / 2)[:, None].astype(np.float32)
        return np.hstack([value, one_hot(mode, len(self.means))]) if len(self.means) > 1 else value

    def decode(self, encoded: np.ndarray) -> np.ndarray:
        mode = np.argmax(encoded[:, 1:], axis=1) if len(self.means) > 1 else np.zeros(len(encoded), dtype=int)
        offset = np.clip(encoded[:, 0], 0, 1) * 2 - 1
        return self.means[mode] + offset * 4 * self.stds[mode]


class NumberColumn:
    """A number column: its values' coder, a presence block when it has missing values, and
    the column's type and bounds applied to decoded values (integers rounded, clipped)."""

    def __init__(self, column: Column, values: Any, params: dict[str, Any] | None = None):
        self.column, self.values = column, values
        #: what a missing value is encoded as (the training median), beside the presence block
        self.fill = float((params or {}).get("fill", 0.0))
        #: the decimals the training values are written with (None: more than MAX_DECIMALS):
        #: samples are rounded the same way, as SDV's learned rounding does
        self.decimals = (params or {}).get("decimals")

    def params(self) -> dict[str, Any]:
        return {"fill": self.fill, "decimals": self.decimals, **self.values.params()}

    @property
    def blocks(self) -> list[tuple[str, int]]:
        return self.values.blocks + ([("category", 2)] if self.column.has_missing else [])

    def fit(self, x: np.ndarray) -> "NumberColumn":
        present = x[~np.isnan(x)]
        self.fill = float(np.median(present)) if len(present) else 0.0
        self.decimals = next((d for d in range(MAX_DECIMALS + 1) if np.allclose(present, np.round(present, d), rtol=0,
                                                                                atol=1e-9 * max(1.0, np.abs(present).max()))),
                             None) if len(present) else None
        self.values.fit(present)
        return self

    def encode(self, x: np.ndarray) -> np.ndarray:
        missing = np.isnan(x)
        parts = [self.values.encode(np.where(missing, self.fill, x))]
        if self.column.has_missing:
            parts.append(one_hot(missing.astype(int), 2))
        return np.hstack(parts)

    def decode(self, encoded: np.ndarray) -> np.ndarray:
        width = sum(w for _, w in self.values.blocks)
        x = self.values.decode(encoded[:, :width])
        if self.column.type == "integer":
            x = np.round(x)
        elif self.decimals is not None:
            x = np.round(x, self.decimals)
        low = -np.inf if self.column.low is None else self.column.low
        high = np.inf if self.column.high is None else self.column.high
        x = np.clip(x, low, high)
        if self.column.has_missing:
            x = np.where(encoded[:, width + 1] > encoded[:, width], np.nan, x)
        return x


class CategoryColumn:
    """A categorical or boolean column, "missing" one more category when the column has it:
    ``onehot`` (one block of k) or ``uniform`` (one value: each category owns an interval of
    [0, 1] as wide as its training frequency, encoded at its middle)."""

    def __init__(self, column: Column, style: str, params: dict[str, Any] | None = None):
        self.column, self.style = column, style
        self.width = len(column.categories) + int(column.has_missing)
        self.edges = np.asarray((params or {}).get("edges", np.linspace(0, 1, self.width + 1)), dtype=np.float64)

    def params(self) -> dict[str, Any]:
        return {"edges": self.edges.tolist()}

    @property
    def blocks(self) -> list[tuple[str, int]]:
        return [("category", self.width)] if self.style == "onehot" else [("number", 1)]

    def _index(self, codes: np.ndarray) -> np.ndarray:
        return np.where(codes < 0, self.width - 1, codes)  # missing is the last category

    def fit(self, codes: np.ndarray) -> "CategoryColumn":
        counts = np.bincount(self._index(codes), minlength=self.width).astype(np.float64)
        self.edges = np.concatenate([[0.0], np.cumsum(counts / max(counts.sum(), 1.0))])
        return self

    def encode(self, codes: np.ndarray) -> np.ndarray:
        index = self._index(codes)
        if self.style == "onehot":
            return one_hot(index, self.width)
        return ((self.edges[index] + self.edges[index + 1]) / 2)[:, None].astype(np.float32)

    def decode(self, encoded: np.ndarray) -> np.ndarray:
        if self.style == "onehot":
            index = np.argmax(encoded, axis=1)
        else:  # the category whose interval holds the value (empty intervals never do)
            index = np.clip(np.searchsorted(self.edges, np.clip(encoded[:, 0], 0, 1), "right") - 1, 0, self.width - 1)
            index = np.where(self.edges[index + 1] > self.edges[index], index, _nearest_filled(self.edges, index))
        missing = self.column.has_missing & (index == self.width - 1)
        return np.where(missing, -1, index).astype(np.int64)


def _nearest_filled(edges: np.ndarray, index: np.ndarray) -> np.ndarray:
    """For a value on an empty interval's edge: the nearest category that has rows."""
    filled = np.flatnonzero(np.diff(edges) > 0)
    return filled[np.argmin(np.abs(filled[None, :] - index[:, None]), axis=1)]
