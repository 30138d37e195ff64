"""Statistics of tables read column by column and pair by pair, in the raw space.

Tables arrive duck-typed (``genautoml/data/tabular/table.py`` is the real one; metrics may
not import the data part): ``.columns`` (each with ``.name``, ``.is_number``,
``.categories``), ``.values[name]`` (numbers float64 with NaN for missing, categories int64
codes with -1 for missing), ``.missing(name)`` and ``len(table)``. The first table passed is
always the held-out (reference) one, the second the generated one.

Every figure is in [0, 1], 0 for identical distributions, and never NaN: a missing value is
a value like any other here (its own category, its own bin, or a rate to compare), because
a generator that gets the missing rate wrong is wrong.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np

#: quantile bins a number gets when it meets a category in ``pairwise`` (SDMetrics' contingency
#: similarity bins numbers alike); few enough that a few hundred rows fill every cell of a
#: 5 x k table, so real data against real data stays near 0
NUMBER_BINS = 5


def column_distances(heldout, generated) -> dict[str, float]:
    """How far each column's distribution in ``generated`` is from ``heldout``'s, in [0, 1].

    Numbers: ``max(KS, |missing-rate difference|)``, the Kolmogorov-Smirnov statistic of
    the present values, or the gap in how often the value is missing when that is larger
    (the max, not a weighted sum, so either failure shows at full size and 0 still means
    both agree). Categories: the total variation distance of the category frequencies,
    missing counted as one more category.
    """
    _check_rows(heldout, generated)
    out = {}
    for column in heldout.columns:
        real, fake = heldout.values[column.name], generated.values[column.name]
        if column.is_number:
            real_missing, fake_missing = heldout.missing(column.name), generated.missing(column.name)
            rate_gap = abs(float(real_missing.mean()) - float(fake_missing.mean()))
            out[column.name] = max(ks_statistic(real[~real_missing], fake[~fake_missing]), rate_gap)
        else:
            levels = _category_levels(column)
            out[column.name] = total_variation(_frequencies(_category_codes(real, levels, column.name), levels),
                                               _frequencies(_category_codes(fake, levels, column.name), levels))
    return out


def marginal(heldout, generated) -> float:
    """Mean of ``column_distances`` over the columns (0 for a table without columns)."""
    distances = list(column_distances(heldout, generated).values())
    return float(np.mean(distances)) if distances else 0.0


def ks_statistic(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sample Kolmogorov-Smirnov statistic: the largest gap between the empirical CDFs.

    Ties (integers, clipped values) are handled by evaluating both CDFs at every observed
    value. 0 when both samples are empty, 1 when only one is (nothing is present on one
    side while the other has values; the missing-rate gap says the same).
    """
    if len(a) == 0 or len(b) == 0:
        return 0.0 if len(a) == len(b) else 1.0
    a, b = np.sort(a), np.sort(b)
    grid = np.concatenate([a, b])
    gap = np.searchsorted(a, grid, side="right") / len(a) - np.searchsorted(b, grid, side="right") / len(b)
    return float(np.abs(gap).max())


def total_variation(p: np.ndarray, q: np.ndarray) -> float:
    """Half the L1 distance between two frequency vectors: the largest difference in the
    probability the two distributions give any one set of values."""
    return float(0.5 * np.abs(p - q).sum())


def pairwise(heldout, generated) -> float:
    """How differently pairs of columns go together, in [0, 1]: the mean over column pairs of

    - two numbers: ``|Spearman(heldout) - Spearman(generated)| / 2`` over the rows where both
      are present (rank correlation, so the figure ignores each marginal's shape, which
      ``marginal`` judges; a constant column correlates 0);
    - a pair with a category: the total variation distance between the two joint
      contingency tables, each number binned into ``NUMBER_BINS`` quantile bins of its
      held-out values, missing its own bin or category.

    0 for a table of fewer than two columns.
    """
    _check_rows(heldout, generated)
    columns = list(heldout.columns)
    if len(columns) < 2:
        return 0.0
    real = {c.name: _PairView(heldout, c, heldout) for c in columns}
    fake = {c.name: _PairView(generated, c, heldout) for c in columns}
    gaps = []
    for left, right in combinations(columns, 2):
        r1, r2, f1, f2 = real[left.name], real[right.name], fake[left.name], fake[right.name]
        if left.is_number and right.is_number:
            gaps.append(abs(r1.spearman(r2) - f1.spearman(f2)) / 2.0)
        else:
            gaps.append(total_variation(r1.joint(r2), f1.joint(f2)))
    return float(np.mean(gaps))


class _PairView:
    """One column of one table in the two forms ``pairwise`` reads: codes of a discrete
    version (categories with missing as code 0; numbers as quantile bins of the reference
    table, missing as the last bin) and, for numbers, ranks of the present values."""

    def __init__(self, table, column, reference):
        values = table.values[column.name]
        self.missing = table.missing(column.name)
        if column.is_number:
            self.values = values
            self.ranks = _ranks(values[~self.missing]) if not self.missing.any() else None
            self.codes, self.levels = _number_bins(values, self.missing, reference, column.name)
        else:
            self.levels = _category_levels(column)
            self.codes = _category_codes(values, self.levels, column.name)

    def spearman(self, other: "_PairView") -> float:
        if self.ranks is not None and other.ranks is not None:
            return _correlation(self.ranks, other.ranks)
        both = ~self.missing & ~other.missing
        return _correlation(_ranks(self.values[both]), _ranks(other.values[both]))

    def joint(self, other: "_PairView") -> np.ndarray:
        """Frequencies of every (self, other) pair of codes, flattened."""
        return _frequencies(self.codes * other.levels + other.codes, self.levels * other.levels)


def _number_bins(values: np.ndarray, missing: np.ndarray, reference, name: str) -> tuple[np.ndarray, int]:
    """Quantile bins of the reference (held-out) column, so both tables are cut at the same
    values; tied quantiles (integers, a spike at one value) merge bins rather than leave
    empty ones. Missing values get bin ``NUMBER_BINS``."""
    ref_values = reference.values[name][~reference.missing(name)]
    quantiles = np.arange(1, NUMBER_BINS) / NUMBER_BINS
    edges = np.unique(np.quantile(ref_values, quantiles)) if len(ref_values) else np.zeros(0)
    codes = np.searchsorted(edges, np.where(missing, 0.0, values), side="right")
    return np.where(missing, NUMBER_BINS, codes), NUMBER_BINS + 1


def _ranks(x: np.ndarray) -> np.ndarray:
    from scipy.stats import rankdata

    return rankdata(x) if len(x) else x


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation, 0 where it is undefined (fewer than two rows, a constant side)."""
    if len(a) < 2:
        return 0.0
    a, b = a - a.mean(), b - b.mean()
    scale = np.sqrt((a * a).sum() * (b * b).sum())
    return float((a * b).sum() / scale) if scale > 1e-12 else 0.0


def _category_levels(column) -> int:
    """Codes a category takes in ``_category_codes``: missing plus every category."""
    return len(column.categories) + 1


def _category_codes(codes: np.ndarray, levels: int, name: str) -> np.ndarray:
    """Codes shifted by one so missing (-1) is code 0; a code outside the categories is a
    broken table, not a value to count."""
    if len(codes) and (codes.min() < -1 or codes.max() >= levels - 1):
        raise ValueError(f"column {name!r}: category codes outside -1..{levels - 2}")
    return codes.astype(np.int64) + 1


def _frequencies(codes: np.ndarray, levels: int) -> np.ndarray:
    return np.bincount(codes, minlength=levels) / len(codes)


def _check_rows(heldout, generated) -> None:
    if len(heldout) == 0 or len(generated) == 0:
        raise ValueError(f"tabular statistics need rows: held-out has {len(heldout)}, generated {len(generated)}")
