"""The metrics of tabular samples, computed from raw tables (never from an encoding).

Tables arrive duck-typed (metrics may not import ``genautoml.data``): ``.columns`` (each with
``.name``, ``.type``, ``.categories``, ``.is_number``, ``.low``, ``.high``, ``.has_missing``),
``.values[name]`` (numbers float64 with NaN for missing; categories int64 codes into
``.categories`` with -1 for missing), ``.target``, ``.missing(name)`` and ``len(table)``.

Distances and classifiers work in ``row_embedding``, a space fixed by the schema alone, so
the same row always lands on the same point whatever table it came in. Column and pair
statistics (``marginal``, ``pairwise``) read the values themselves
(genautoml/metrics/tabular_stats.py). ``c2st_auc`` is the default selection metric.
"""

from __future__ import annotations

import math
import warnings
from functools import partial
from typing import Callable

import numpy as np

from genautoml.metrics import stats, tabular_stats
from genautoml.metrics.base import MAXIMIZE, MINIMIZE, Metric

#: seeds the two-sample test's folds and both classifiers: the same tables, the same figures
SEED = 0
FOLDS = 5
#: a generated row nearer a training row than this (in the row embedding) is a copy of it
COPY_DISTANCE = 1e-9
#: Small held-out sets are scored over several draws of generated rows (``draws_for``): at
#: 30 rows one draw's figures scatter more than the gaps between good models (iris, one
#: model, one split: dcr_ratio 0.61 on one draw of 30, 0.83-1.18 on others). About this
#: many generated rows in all, in at most ``MAX_DRAWS`` draws.
DRAWN_ROWS = 500
MAX_DRAWS = 10


def row_embedding(table, exclude: tuple[str, ...] = ()) -> np.ndarray:
    """Rows -> features (N, F) float64 in [0, 1] (numbers outside their bounds reach past it),
    from the schema alone: nothing is fitted on the rows passed in.

    Per column, in schema order (``exclude``: columns left out, e.g. a prediction target):
    a number as ``(value - low) / (high - low)`` (a constant column, ``low == high``, as
    ``value - low``), missing as 0; a category as a one-hot block over ``categories``,
    missing as all zeros; and, when the column ``has_missing``, a 0/1 missing indicator, so
    a missing value is told from a value at ``low`` or from another category.
    """
    blocks = [_column_features(column, table.values[column.name], table.missing(column.name))
              for column in table.columns if column.name not in exclude]
    return np.concatenate(blocks, axis=1) if blocks else np.zeros((len(table), 0))


def _column_features(column, values: np.ndarray, missing: np.ndarray) -> np.ndarray:
    if column.is_number:
        if column.low is None or column.high is None:
            raise ValueError(f"column {column.name!r}: a number column needs its low and high bounds to be embedded")
        span = column.high - column.low if column.high > column.low else 1.0
        features = np.where(missing, 0.0, (values - column.low) / span)[:, None]
    else:
        k = len(column.categories)
        present = ~missing
        if present.any() and (values[present].min() < 0 or values[present].max() >= k):
            raise ValueError(f"column {column.name!r}: category codes outside -1..{k - 1}")
        features = np.zeros((len(values), k))
        features[np.flatnonzero(present), values[present]] = 1.0
    if column.has_missing:
        features = np.concatenate([features, missing.astype(np.float64)[:, None]], axis=1)
    return features


# ---------------------------------------------------------------- the classifiers

def _boosted(kind: str, seed: int):
    """The tabular learner both the two-sample test and efficacy use: gradient-boosted trees
    (scikit-learn's HistGradientBoosting), which see thresholds on single columns and their
    interactions, where a linear test sees only shifted means. Kept small so a 1000-row
    table takes well under a second on one core: 40 rounds of 7 leaves on 32 bins a column
    (the default 255 bins made each fit 2.5x slower and the test no more sensitive), and no
    early stopping, which would hold out a noisy tenth of a small table."""
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    model = HistGradientBoostingClassifier if kind == "classifier" else HistGradientBoostingRegressor
    return model(max_iter=40, learning_rate=0.1, max_leaf_nodes=7, min_samples_leaf=10, max_bins=32,
                 early_stopping=False, random_state=seed)


def c2st_auc(heldout_features: np.ndarray, generated_features: np.ndarray, seed: int = SEED) -> float:
    """Classifier two-sample test: the ROC AUC of boosted trees telling generated rows from
    held-out ones, from out-of-fold predictions of a stratified ``FOLDS``-fold split
    (shuffled with ``seed``; fewer folds for tiny tables). 0.5: indistinguishable; 1:
    separated. Equal classes: the first ``min(len)`` rows of each side are scored.

    Out-of-fold AUC of real data against real data scatters around 0.5 (a little below
    as often as above; spread 0.07 at 36 rows, 0.02 at 1000); read it against its floor.

    Trees alone, not the larger of trees and logistic regression: measured on Gaussian tables
    of 400 rows, the pair saw a 0.15-sd shift of every column better (AUC 0.59 against 0.54)
    but raised the real-data AUC to 0.52 and its spread, and saw less of a 1.5x wider column,
    a spike at one value and a category mix; lost correlations only the trees see (0.77).
    """
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    n = min(len(heldout_features), len(generated_features))
    if n < 2:
        raise ValueError(f"c2st_auc: needs at least 2 rows a side, got {len(heldout_features)} and {len(generated_features)}")
    x = np.concatenate([heldout_features[:n], generated_features[:n]])
    y = np.repeat([0, 1], n)
    scores = np.empty(len(y))
    for fit_rows, score_rows in StratifiedKFold(min(FOLDS, n), shuffle=True, random_state=seed).split(x, y):
        model = _boosted("classifier", seed).fit(x[fit_rows], y[fit_rows])
        scores[score_rows] = model.predict_proba(x[score_rows])[:, 1]
    return float(roc_auc_score(y, scores))


def separability(auc: float) -> float:
    """The AUC on the 0-to-1 scale the separability guard reads (genautoml/pipeline/guard.py):
    ``2 |AUC - 0.5|``, 0 indistinguishable, 1 separated (either way round)."""
    return float(min(1.0, max(0.0, 2.0 * abs(auc - 0.5))))


def efficacy(heldout, generated, seed: int = SEED) -> float:
    """Train on synthetic, test on real: boosted trees fitted on the generated rows to predict
    ``heldout.target`` from the other columns (their row embedding), scored on the held-out
    rows. A category target: balanced accuracy (mean recall over the held-out classes, so
    chance is 1/classes however unbalanced they are, and a class the samples never show
    scores 0 recall); a number target: R^2 (1 perfect, 0 the held-out mean, unbounded below).
    Rows whose target is missing are left out on both sides.

    NaN where the figure means nothing: no target; no other column; fewer than two rows with
    a target on either side; a generated target of one value (nothing to learn to tell
    apart); a number target constant in the held-out rows (R^2 undefined).
    """
    target = heldout.target
    if target is None or len(heldout.columns) < 2:
        return math.nan
    column = next(c for c in heldout.columns if c.name == target)
    fit_rows, score_rows = ~generated.missing(target), ~heldout.missing(target)
    y_fit, y_score = generated.values[target][fit_rows], heldout.values[target][score_rows]
    if min(len(y_fit), len(y_score)) < 2 or len(np.unique(y_fit)) < 2:
        return math.nan
    if column.is_number and np.ptp(y_score) == 0:
        return math.nan
    x_fit = row_embedding(generated, exclude=(target,))[fit_rows]
    x_score = row_embedding(heldout, exclude=(target,))[score_rows]
    model = _boosted("regressor" if column.is_number else "classifier", seed).fit(x_fit, y_fit)
    predicted = model.predict(x_score)
    if column.is_number:
        from sklearn.metrics import r2_score

        return float(r2_score(y_score, predicted))
    from sklearn.metrics import balanced_accuracy_score

    with warnings.catch_warnings():
        # predicted classes the held-out rows lack are wrong answers, which is all we count
        warnings.simplefilter("ignore", UserWarning)
        return float(balanced_accuracy_score(y_score, predicted))


def _nearest_distance(rows: np.ndarray, reference: np.ndarray) -> np.ndarray:
    from sklearn.neighbors import NearestNeighbors

    return NearestNeighbors(n_neighbors=1).fit(reference).kneighbors(rows)[0][:, 0]


def _nearest_other_distance(rows: np.ndarray) -> np.ndarray:
    """Distance from each row to its nearest *other* row of the same set (leave one out)."""
    from sklearn.neighbors import NearestNeighbors

    if len(rows) < 2:
        return np.zeros(0)
    return NearestNeighbors(n_neighbors=2).fit(rows).kneighbors(rows)[0][:, 1]


def dcr_ratio(generated_to_train: np.ndarray, real_to_train: np.ndarray) -> float:
    """Distance to closest record: the median distance from generated rows to their nearest
    training row over the same median for real rows the model did not learn from. About 1
    for samples as novel as unseen real rows; near 0 for copies. NaN when the real median is
    0 (real rows mostly repeat each other, as in small all-category tables: no scale to
    compare with; read ``copies`` against its floor there).

    ``real_to_train`` (``_Scoring.real_to_train``): the held-out rows' distances to the
    training rows, and each training row's to its nearest other training row. A training
    row left out of the others is an unseen real row to them (the rows are exchangeable;
    the one row fewer to search is immaterial at these sizes), so the reference rests on
    every real row, not only on the few held out: at 30 held-out iris rows, their median
    alone lay above the 95th percentile of such medians (0.095 against 0.066 for all
    training rows), which put every model of that split at 0.7 of its true ratio."""
    reference = float(np.median(real_to_train)) if len(real_to_train) else 0.0
    return float(np.median(generated_to_train)) / reference if reference > 0 else math.nan


# ---------------------------------------------------------------- the metric list

class _Scoring:
    """The tables of one scoring and their row embeddings, each made at most once."""

    def __init__(self, heldout, generated, train):
        self.tables = {"heldout": heldout, "generated": generated, "train": train}
        self._embedded: dict[str, np.ndarray] = {}
        self._to_train: dict[str, np.ndarray] = {}

    def embedded(self, which: str) -> np.ndarray:
        if which not in self._embedded:
            self._embedded[which] = row_embedding(self.tables[which])
        return self._embedded[which]

    def to_train(self, which: str) -> np.ndarray:
        """Distance from each row of ``which`` to its nearest training row."""
        if which not in self._to_train:
            self._to_train[which] = _nearest_distance(self.embedded(which), self.embedded("train"))
        return self._to_train[which]

    def real_to_train(self) -> np.ndarray:
        """``dcr_ratio``'s reference: held-out rows to the training rows, and each training
        row to its nearest other one."""
        if "real" not in self._to_train:
            self._to_train["real"] = np.concatenate([self.to_train("heldout"),
                                                     _nearest_other_distance(self.embedded("train"))])
        return self._to_train["real"]


def _two_sample(s: _Scoring) -> dict[str, float]:
    auc = c2st_auc(s.embedded("heldout"), s.embedded("generated"))
    return {"c2st_auc": auc, "c2st": separability(auc)}


def _neighbours(s: _Scoring) -> dict[str, float]:
    figures = stats.precision_recall_density_coverage(s.embedded("heldout"), s.embedded("generated"))
    return {name: figures[name] for name in ("precision", "recall", "coverage")}


#: metric names -> the one computation that gives them all
_GROUPS: list[tuple[tuple[str, ...], Callable[[_Scoring], dict[str, float]]]] = [
    (("c2st_auc", "c2st"), _two_sample),
    (("marginal",), lambda s: {"marginal": tabular_stats.marginal(s.tables["heldout"], s.tables["generated"])}),
    (("pairwise",), lambda s: {"pairwise": tabular_stats.pairwise(s.tables["heldout"], s.tables["generated"])}),
    (("efficacy",), lambda s: {"efficacy": efficacy(s.tables["heldout"], s.tables["generated"])}),
    (("dcr_ratio",), lambda s: {"dcr_ratio": dcr_ratio(s.to_train("generated"), s.real_to_train())}),
    (("copies",), lambda s: {"copies": float((s.to_train("generated") < COPY_DISTANCE).mean())}),
    (("precision", "recall", "coverage"), _neighbours),
]
#: the metrics that read the training rows
_READ_TRAIN = ("dcr_ratio", "copies")


def tabular_metrics() -> dict[str, Metric]:
    """The tabular sample metrics; ``c2st_auc`` (first) is the default selection metric.

    Each ``compute`` takes tables (``genautoml.data.tabular.Table``) for held-out, generated
    and training rows.
    """

    def metric(name: str, direction, description: str, **extra) -> Metric:
        return Metric(name, direction, partial(_one, name), description, **extra)

    suite = [
        metric("c2st_auc", MINIMIZE, "classifier two-sample test: out-of-fold ROC AUC of boosted trees, 0.5 is best"),
        metric("c2st", MINIMIZE, "classifier two-sample test 2|AUC - 0.5|, 0 is best"),
        metric("marginal", MINIMIZE, "mean per-column distance: KS (or missing-rate gap) for numbers, "
               "total variation for categories", bootstrap=True),
        metric("pairwise", MINIMIZE, "mean per-pair association gap: |Spearman difference|/2 for two numbers, "
               "total variation of contingency tables otherwise", bootstrap=True),
        metric("efficacy", MAXIMIZE, "train on samples, test on held-out rows: balanced accuracy (category target) "
               "or R^2 (number target)"),
        # Read, not optimised: below 1 the samples sit nearer the training rows than unseen real rows do.
        metric("dcr_ratio", None, "median distance to the closest training row, samples over unseen real rows "
               "(held-out rows, and each training row to the others); about 1 is novel, near 0 copies",
               floor_from="heldout"),
        metric("copies", MINIMIZE, "fraction of samples identical to a training row", floor_from="heldout"),
        *(metric(key, MAXIMIZE, f"k-NN {key} (Naeem et al. 2020), k=5, in the row embedding")
          for key in ("precision", "recall", "coverage")),
    ]
    return {m.name: m for m in suite}


def _one(name: str, heldout, generated, train) -> float:
    return all_tabular_metrics(heldout, generated, train, [name])[name]


def draws_for(heldout_rows: int) -> int:
    """How many draws of ``heldout_rows`` generated rows a scoring takes: enough for about
    ``DRAWN_ROWS`` rows in all, at least 1, at most ``MAX_DRAWS`` (30 held-out rows: 10
    draws; 114: 5; 500 and more: 1)."""
    return max(1, min(MAX_DRAWS, math.ceil(DRAWN_ROWS / max(heldout_rows, 1))))


def drawn_tabular_metrics(heldout, generated, train, only: list[str] | None = None) -> dict[str, float]:
    """The figures of ``all_tabular_metrics`` over draws: ``generated`` cut into consecutive
    blocks of ``len(heldout)`` rows, each scored against the same held-out (and training)
    rows, the figures averaged over the blocks (a figure a block cannot give, NaN, is left
    out of the mean). So every figure stays the statistic at the held-out size, with less of
    the noise of one small sample. Fewer than two blocks' rows: scored once, all rows
    (a user's own samples of any count); rows past the last whole block are left out."""
    rows, blocks = len(heldout), len(generated) // max(len(heldout), 1)
    if blocks < 2:
        return all_tabular_metrics(heldout, generated, train, only)
    per_block = [all_tabular_metrics(heldout, generated.subset(np.arange(b * rows, (b + 1) * rows)), train, only)
                 for b in range(blocks)]
    return {name: _mean_of_finite([figures[name] for figures in per_block]) for name in per_block[0]}


def _mean_of_finite(values: list[float]) -> float:
    finite = [v for v in values if math.isfinite(v)]
    return float(np.mean(finite)) if finite else math.nan


def all_tabular_metrics(heldout, generated, train, only: list[str] | None = None) -> dict[str, float]:
    """Every (or ``only`` the named) tabular metric, sharing the work: each table embedded
    once, one two-sample fit for ``c2st_auc`` and ``c2st``, one nearest-training-row search
    for ``dcr_ratio`` and ``copies``. ``train`` is read only by those two."""
    names = list(tabular_metrics()) if only is None else list(only)
    unknown = sorted(set(names) - set(tabular_metrics()))
    if unknown:
        raise ValueError(f"unknown tabular metric(s): {', '.join(unknown)}")
    reads_train = any(name in _READ_TRAIN for name in names)
    _check_schemas(heldout, generated, *([train] if reads_train else []))
    # One thread: the tables are small and trials run side by side (see genautoml/metrics/stats.py).
    # threadpoolctl limits only the thread pools already loaded, so the learners' OpenMP
    # comes in first: left unlimited, the first scoring of a process took 36 s, not 0.4 s,
    # on a busy two-core machine (OpenMP threads spinning against each other).
    import sklearn.ensemble  # noqa: F401
    import sklearn.neighbors  # noqa: F401
    from threadpoolctl import threadpool_limits  # installed with scikit-learn

    scoring, out = _Scoring(heldout, generated, train), {}
    with threadpool_limits(limits=1):
        for group, compute in _GROUPS:
            if any(name in names for name in group):
                out.update(compute(scoring))
    return {name: out[name] for name in names}


def _schema(table) -> list[tuple]:
    return [(c.name, c.type, tuple(c.categories), c.low, c.high, c.has_missing) for c in table.columns]


def _check_schemas(heldout, *others) -> None:
    """Tables of one schema only: rows embedded with different bounds or categories would
    be compared on different scales."""
    for other in others:
        if _schema(other) != _schema(heldout):
            raise ValueError("tabular metrics: the tables have different columns (names, types, categories or bounds)")
