"""The median stopping rule (Ray Tune's MedianStoppingRule, Optuna's MedianPruner).

A trial is stopped at a scored epoch t past the grace period when its best figure so far is
worse than the median of earlier trials' best figures as of epoch t, on the same fold, once
at least ``min_trials`` earlier trials give a figure there.

- Earlier trials of every family count by default (``search.median_scope: all``): the figure
  is the same selection metric, in the same raw space, for every family, so a trial worse
  than most earlier trials at epoch t, whatever they were, is unlikely to end up the best.
  ``median_scope: family`` compares only with earlier trials of the same family, for spaces
  whose families learn at very different speeds per epoch (a GAN at epoch 4 is far behind
  an autoregressive model at epoch 4, yet may be ahead at epoch 100); with a small budget it
  rarely has the history to stop anything.
- "As of epoch t": an earlier trial's best figure over its scored epochs up to t. Scoring is
  sparse (epochs 1, 2, 4, 8, ... by default, never inside the grace period), and an earlier
  trial that finished before t (fewer epochs) still counts with the best figure it reached.
  A trial stopped before t (pruned, timed out) does not count at t: it never got there.
"""

from __future__ import annotations

from typing import Any, Iterable, Optional

import numpy as np

from genautoml.errors import TrialPruned


class MedianStopper:
    def __init__(self, history: Iterable[dict[str, Any]], *, grace_epochs: int, minimize: bool, min_trials: int = 3,
                 family: str | None = None):
        """``family``: compare only with earlier trials of this family (None: with all of them)."""
        self.grace_epochs = grace_epochs
        self.minimize = minimize
        self.min_trials = min_trials
        # fold -> one (best-so-far points, last epoch reached, finished) per earlier trial
        self.reference: dict[int, list[tuple[list[tuple[int, float]], int, bool]]] = {}
        for record in history:
            if family is not None and record.get("family") != family:
                continue
            for fold in record.get("folds", []):
                points = self._best_so_far(fold.get("curve", []))
                reached = int(fold.get("epochs") or (points[-1][0] if points else 0))
                finished = bool(fold.get("finished", "seconds" in fold))  # full records: "seconds" once done
                self.reference.setdefault(fold["fold"], []).append((points, reached, finished))

    def _best_so_far(self, curve: list[list[float]]) -> list[tuple[int, float]]:
        out, best = [], None
        for epoch, figure in curve:
            if figure is None:
                continue
            best = figure if best is None else (min(best, figure) if self.minimize else max(best, figure))
            out.append((int(epoch), best))
        return out

    @staticmethod
    def _as_of(points: list[tuple[int, float]], reached: int, finished: bool, epoch: int) -> Optional[float]:
        """An earlier trial's best figure as of ``epoch``; None if it never got there."""
        if reached < epoch and not finished:
            return None
        value = None
        for scored, best in points:
            if scored > epoch:
                break
            value = best
        return value

    def others_at(self, fold: int, epoch: int) -> list[float]:
        """Earlier trials' best figures as of ``epoch`` on ``fold``."""
        values = (self._as_of(points, reached, finished, epoch)
                  for points, reached, finished in self.reference.get(fold, []))
        return [v for v in values if v is not None]

    def check(self, fold: int, curve: list[list[float]]) -> None:
        """Raise TrialPruned when the curve so far is worse than the median."""
        points = self._best_so_far(curve)
        if not points:
            return
        epoch, best = points[-1]
        if epoch <= self.grace_epochs:
            return
        others = self.others_at(fold, epoch)
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
        return MedianStopper(history, grace_epochs=config.search.grace_epochs, minimize=minimize,
                             family=family if config.search.median_scope == "family" else None)
    return NoStopper()


def curves_only(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the stopping rule reads of earlier trials: small enough to ship to workers.

    ``epochs``: the last epoch the fold trained; ``finished``: it trained to the end (a fold
    that finished early stays in the median at later epochs, one stopped early does not).
    """
    return [{"family": r["family"],
             "folds": [{"fold": f["fold"], "curve": f.get("curve", []), "epochs": f.get("epochs"),
                        "finished": "seconds" in f}
                       for f in r.get("folds", [])]}
            for r in records]
