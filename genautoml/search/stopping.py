"""The median stopping rule.

A trial is stopped at epoch t (after a grace period) when its best figure so far is worse
than the median of the best-so-far figures of earlier trials of the same family at the same
epoch and fold. Same family only: families learn at very different speeds per epoch (a GAN
at epoch 4 is far behind an autoregressive model at epoch 4, yet often ahead at epoch 100),
so comparing across families would prune the slow starters every time.
"""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from genautoml.errors import TrialPruned


class MedianStopper:
    def __init__(self, history: Iterable[dict[str, Any]], *, grace_epochs: int, minimize: bool, min_trials: int = 3,
                 family: str | None = None):
        self.grace_epochs = grace_epochs
        self.minimize = minimize
        self.min_trials = min_trials
        # (fold, epoch) -> best-so-far figures of earlier trials at that point
        self.reference: dict[tuple[int, int], list[float]] = {}
        for record in history:
            if family is not None and record.get("family") != family:
                continue
            for fold in record.get("folds", []):
                self._add_curve(fold["fold"], fold.get("curve", []))

    def _best_so_far(self, curve: list[list[float]]) -> list[tuple[int, float]]:
        out, best = [], None
        for epoch, figure in curve:
            if figure is None:
                continue
            best = figure if best is None else (min(best, figure) if self.minimize else max(best, figure))
            out.append((int(epoch), best))
        return out

    def _add_curve(self, fold: int, curve: list[list[float]]) -> None:
        for epoch, best in self._best_so_far(curve):
            self.reference.setdefault((fold, epoch), []).append(best)

    def check(self, fold: int, curve: list[list[float]]) -> None:
        """Raise TrialPruned when the curve so far is worse than the median."""
        points = self._best_so_far(curve)
        if not points:
            return
        epoch, best = points[-1]
        if epoch <= self.grace_epochs:
            return
        others = self.reference.get((fold, epoch), [])
        if len(others) < self.min_trials:
            return
        median = float(np.median(others))
        worse = best > median if self.minimize else best < median
        if worse:
            raise TrialPruned(f"epoch {epoch}: best {best:.4g} worse than the median {median:.4g} of {len(others)} trials")


class NoStopper:
    def check(self, fold: int, curve: list[list[float]]) -> None:
        return None


def stopper_for(config, minimize: bool, history: Iterable[dict[str, Any]], family: str):
    """The early-stopping rule ``search.early_stopping`` asks for, for one trial of ``family``."""
    if config.search.early_stopping == "median":
        return MedianStopper(history, grace_epochs=config.search.grace_epochs, minimize=minimize, family=family)
    return NoStopper()


def curves_only(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the stopping rule reads of earlier trials: small enough to ship to workers."""
    return [{"family": r["family"], "folds": [{"fold": f["fold"], "curve": f.get("curve", [])} for f in r.get("folds", [])]}
            for r in records]
