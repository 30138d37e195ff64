"""The loaded data and its fixed split: the test part is held out from cv, tune and features."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


def split(count: int, test_fraction: float, folds: int, seed: int, source: str) -> tuple[np.ndarray, np.ndarray, list]:
    n_test = int(round(count * test_fraction))
    n_valid = (count - n_test) // folds
    if n_test < MIN_HELDOUT or n_valid < MIN_HELDOUT:
        needed = max(math.ceil(MIN_HELDOUT / test_fraction), math.ceil(MIN_HELDOUT * folds / (1 - test_fraction))) + 1
        raise DataError(
            f"{source}: too few examples ({count}) for test_fraction {test_fraction} and cv_folds {folds}; "
            f"need at least {needed}"
        )
    order = np.random.default_rng(seed).permutation(count)
    test_index, train_index = np.sort(order[:n_test]), np.sort(order[n_test:])
    kfold = KFold(n_splits=folds, shuffle=True, random_state=seed)
    return test_index, train_index, list(kfold.split(train_index))


def load_dataset(config, base_dir: Path) -> Dataset:
    from genautoml.data.registry import get_modality

    modality = get_modality(config.data.modality)
    raw = modality.load(config.data, base_dir)
    count = modality.count(raw)
    if count == 0:
        raise DataError(f"{config.data.source}: no examples found")
    test_index, train_index, folds = split(
        count, config.data.test_fraction, config.search.cv_folds, config.seed, config.data.source
    )
    return Dataset(modality, raw, modality.fingerprint(raw), test_index, train_index, folds)
