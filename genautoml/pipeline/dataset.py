"""The loaded data and its fixed split: the test part is held out from cv, tune and features."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import numpy as np
from sklearn.model_selection import KFold

from genautoml.data.base import Modality
from genautoml.errors import DataError

#: every validation fold and the test split need at least this many examples to be scored
MIN_HELDOUT = 5


@dataclass
class Dataset:
    modality: Modality
    raw: Any  # every example, in the modality's native form
    fingerprint: str
    test_index: np.ndarray  # held out: only train and evaluate see it
    train_index: np.ndarray  # everything else
    folds: list[tuple[np.ndarray, np.ndarray]]  # (train, valid) positions into train_index

    def train_raw(self) -> Any:
        return self.modality.subset(self.raw, self.train_index)

    def test_raw(self) -> Any:
        return self.modality.subset(self.raw, self.test_index)

    def fold_raw(self, fold: int) -> tuple[Any, Any]:
        train, valid = self.folds[fold]
        return (
            self.modality.subset(self.raw, self.train_index[train]),
            self.modality.subset(self.raw, self.train_index[valid]),
        )

    def summary(self) -> dict[str, Any]:
        return {
            "fingerprint": self.fingerprint,
            **self.modality.describe(self.raw),
            "split": {
                "train": int(len(self.train_index)),
                "test": int(len(self.test_index)),
                "folds": len(self.folds),
                "fold_sizes": [int(len(v)) for _, v in self.folds],
            },
        }


def split(count: int, test_fraction: float, folds: int, seed: int, source: str,
          groups: Optional[np.ndarray] = None) -> tuple[np.ndarray, np.ndarray, list]:
    """(test indices, train indices, cv folds as (train, valid) positions into the train
    indices). With ``groups``, every group lies wholly in test or train, and in one fold."""
    n_test = int(round(count * test_fraction))
    n_valid = (count - n_test) // folds
    if n_test < MIN_HELDOUT or n_valid < MIN_HELDOUT:
        needed = max(math.ceil(MIN_HELDOUT / test_fraction), math.ceil(MIN_HELDOUT * folds / (1 - test_fraction))) + 1
        raise DataError(
            f"{source}: too few examples ({count}) for test_fraction {test_fraction} and cv_folds {folds}; "
            f"need at least {needed}"
        )
    if groups is not None:
        return _group_split(groups, n_test, folds, seed, source)
    order = np.random.default_rng(seed).permutation(count)
    test_index, train_index = np.sort(order[:n_test]), np.sort(order[n_test:])
    kfold = KFold(n_splits=folds, shuffle=True, random_state=seed)
    return test_index, train_index, list(kfold.split(train_index))


def _group_split(groups: np.ndarray, n_test: int, folds: int, seed: int, source: str):
    """Whole groups to test, in a seeded random order, skipping any that would take it past
    ``n_test`` by more than a tenth, until it holds ``n_test`` examples; the rest to the cv
    folds, each group to the fold with the fewest examples so far."""
    labels, sizes = np.unique(groups, return_counts=True)
    order = np.random.default_rng(seed).permutation(len(labels))
    allowance, in_test, test_groups, train_groups = n_test + max(1, n_test // 10), 0, [], []
    for position in order:
        fits = in_test < n_test and in_test + sizes[position] <= allowance
        (test_groups if fits else train_groups).append(position)
        in_test += sizes[position] if fits else 0
    test_index = np.flatnonzero(np.isin(groups, labels[test_groups]))
    train_index = np.flatnonzero(np.isin(groups, labels[train_groups]))
    fold_of_group, fold_sizes = {}, np.zeros(folds, dtype=np.int64)
    for position in train_groups:
        fold = int(np.argmin(fold_sizes))
        fold_of_group[int(labels[position])] = fold
        fold_sizes[fold] += sizes[position]
    if in_test < MIN_HELDOUT or fold_sizes.min() < MIN_HELDOUT:
        raise DataError(f"{source}: too few groups of examples ({len(labels)}; passages and near-duplicates are kept "
                        f"on one side of the split) for {folds} cv folds and a test split of at least {MIN_HELDOUT} "
                        "each; add data or lower data.block_chars")
    fold_of = np.array([fold_of_group[int(g)] for g in groups[train_index]])
    return test_index, train_index, [(np.flatnonzero(fold_of != k), np.flatnonzero(fold_of == k)) for k in range(folds)]


def load_dataset(config, base_dir: Path) -> Dataset:
    from genautoml.data.registry import get_modality

    modality = get_modality(config.data.modality)
    raw = modality.load(config.data, base_dir)
    count = modality.count(raw)
    if count == 0:
        raise DataError(f"{config.data.source}: no examples found")
    test_index, train_index, folds = split(
        count, config.data.test_fraction, config.search.cv_folds, config.seed, config.data.source,
        modality.groups(raw),
    )
    return Dataset(modality, raw, modality.fingerprint(raw), test_index, train_index, folds)
