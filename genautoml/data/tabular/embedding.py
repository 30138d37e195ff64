"""Categories as embeddings: each category of a column a point in a few dimensions, placed by
the rows it occurs in, so that categories that go with the same values of the other columns
lie near each other (``categories: embedding``).

Why beside one-hot and the frequency coding: one-hot gives a column of k categories k
values and tells a model nothing about which categories are alike; the frequency coding
gives one value but orders categories by frequency alone, so a model's small error turns
one category into an unrelated neighbour. An embedding is compact (about log2 k values) and
a small error lands on a category that behaves alike.

How it is fitted (on the training rows, before any model, as every representation is):
the *profile* of a category is the mean, over the rows that hold it, of the other columns'
standardized context (numbers as ranks, categories one-hot, missing at the middle); the
profiles (centred) beside a small identity, which keeps two categories of equal profile
apart, are reduced by an SVD to their leading ``embedding_size`` directions and scaled into
[0, 1]. A category no training row holds gets no point (it is never decoded). Decoding
takes the nearest point.

Fitted parameters are plain JSON (the points), as every coder's are.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from genautoml.data.tabular.table import Column, Table

#: weight of the identity beside the profiles: small against a standardized profile's spread
#: (so profiles decide where categories lie), large enough that equal profiles stay apart
SEPARATION = 0.1


def embedding_size(width: int) -> int:
    """Dimensions for a column of ``width`` categories: about log2 of them, fewer than width
    (2 categories: 1; 3-4: 2; 5-8: 3; ...)."""
    return max(1, min(width - 1, math.ceil(math.log2(max(width, 2)))))


def context(table: Table, exclude: str) -> np.ndarray:
    """Every column but ``exclude`` as standardized features (N, F): numbers as their ranks in
    [0, 1] (missing at 0.5), categories one-hot (missing as all zeros)."""
    parts = []
    for column in table.columns:
        if column.name == exclude:
            continue
        values = table.values[column.name]
        if column.is_number:
            present = ~np.isnan(values)
            ranks = np.full(len(values), 0.5)
            if present.sum() > 1:
                order = values[present].argsort(kind="stable").argsort(kind="stable")
                ranks[present] = order / (present.sum() - 1)
            parts.append(ranks[:, None])
        else:
            block = np.zeros((len(values), len(column.categories)))
            rows = np.flatnonzero(values >= 0)
            block[rows, values[rows]] = 1.0
            parts.append(block)
    if not parts:
        return np.zeros((len(table), 0))
    features = np.concatenate(parts, axis=1)
    spread = features.std(axis=0)
    return (features - features.mean(axis=0)) / np.where(spread > 0, spread, 1.0)


class EmbeddedCategories:
    """A category column (missing one more category, the last) as ``embedding_size`` values."""

    def __init__(self, column: Column, params: dict[str, Any] | None = None):
        self.column = column
        self.width = len(column.categories) + int(column.has_missing)
        self.size = embedding_size(self.width)
        points = (params or {}).get("points")
        #: one row per category; NaN for a category no training row holds
        self.points = (np.asarray(points, dtype=np.float64) if points is not None
                       else np.full((self.width, self.size), np.nan))

    def params(self) -> dict[str, Any]:
        return {"points": [[None if math.isnan(v) else v for v in row] for row in self.points.tolist()]}

    @property
    def blocks(self) -> list[tuple[str, int]]:
        return [("number", 1)] * self.size

    def _index(self, codes: np.ndarray) -> np.ndarray:
        return np.where(codes < 0, self.width - 1, codes)

    def fit(self, codes: np.ndarray, rows_context: np.ndarray) -> "EmbeddedCategories":
        index = self._index(codes)
        held = np.bincount(index, minlength=self.width) > 0
        profiles = np.zeros((self.width, rows_context.shape[1]))
        np.add.at(profiles, index, rows_context)
        profiles = profiles[held] / np.bincount(index, minlength=self.width)[held][:, None]
        profiles = np.concatenate([profiles - profiles.mean(axis=0), SEPARATION * np.eye(int(held.sum()))], axis=1)
        u, s, _ = np.linalg.svd(profiles - profiles.mean(axis=0), full_matrices=False)
        coordinates = np.zeros((int(held.sum()), self.size))
        kept = min(self.size, len(s))
        coordinates[:, :kept] = u[:, :kept] * s[:kept]
        low, high = coordinates.min(axis=0), coordinates.max(axis=0)
        span = np.where(high > low, high - low, 1.0)
        # into [0.1, 0.9]: room on both sides for a model's values near the edge
        self.points = np.full((self.width, self.size), np.nan)
        self.points[held] = 0.1 + 0.8 * (coordinates - low) / span
        return self

    def encode(self, codes: np.ndarray) -> np.ndarray:
        points = np.nan_to_num(self.points, nan=0.5)  # a category never seen in training: the middle
        return points[self._index(codes)].astype(np.float32)

    def decode(self, encoded: np.ndarray) -> np.ndarray:
        known = np.flatnonzero(~np.isnan(self.points[:, 0]))
        distance = ((encoded[:, None, :] - self.points[known][None, :, :]) ** 2).sum(axis=2)
        index = known[np.argmin(distance, axis=1)]
        missing = self.column.has_missing & (index == self.width - 1)
        return np.where(missing, -1, index).astype(np.int64)
