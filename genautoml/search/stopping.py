"""Early stopping of tune trials: successive halving per family (``RungStopper``, the
default; see its docstring) or the median rule below.

The median stopping rule (Google Vizier's; Ray Tune's MedianStoppingRule, Optuna's MedianPruner):
a trial is stopped at a scored epoch t past the grace period when its best figure so far is
worse than the median of completed trials' best figures as of epoch t, on the same fold, once
at least ``min_trials`` completed trials give a figure there.

- Completed trials only (status ok), as in Vizier, Ray and Optuna: a trial that was itself
  stopped was below the bar of its day, and counting it would lower the bar for every later
  trial. Once TPE proposes mostly good configurations the median of the completed ones rises
  with them, so the rule keeps stopping the newcomers that fall behind them (measured in
  docs/benchmarks.md, "Search efficiency").
- Earlier trials of every family count by default (``search.median_scope: all``): the figure
  is the same selection metric, in the same raw space, for every family, so a trial worse
  than most completed trials at epoch t, whatever they were, is unlikely to end up the best.
  ``median_scope: family`` compares only with completed trials of the same family, for spaces
  whose families learn at very different speeds per epoch (a GAN at epoch 4 is far behind
  an autoregressive model at epoch 4, yet may be ahead at epoch 100); with a small budget it
  rarely has the history to stop anything.
- "As of epoch t": a completed trial's best figure over its scored epochs up to t, its final
  figure counting at its last epoch. Scoring is sparse (epochs 1, 2, 4, 8, ... by default,
  never inside the grace period), and a trial that finished before t (fewer epochs) still
  counts at t with the best figure it reached.
"""

from __future__ import annotations

import math
from typing import Iterable, Optional

import numpy as np

from genautoml.direction import Direction
from genautoml.errors import TrialPruned
from genautoml.records import FoldRecord, Status, TrialRecord


class MedianStopper:
    def __init__(self, history: Iterable[TrialRecord], *, grace_epochs: int, direction: Direction,
                 min_trials: int = 3, family: str | None = None):
        """``history``: earlier trial records (or their ``curves_only`` copies); ``family``:
        compare only with trials of this family (None: with all of them)."""
        self.grace_epochs = grace_epochs
        self.direction = Direction(direction)
        self.min_trials = min_trials
        # fold -> the best-so-far points of each completed trial
        self.reference: dict[int, list[list[tuple[int, float]]]] = {}
        for record in history:
            if not record.ok or (family is not None and record.family != family):
                continue
            for fold in record.folds:
                curve = list(fold.curve)
                if fold.figure is not None and fold.epochs:
                    curve.append([fold.epochs, fold.figure])
                self.reference.setdefault(fold.fold, []).append(best_so_far(curve, self.direction))

    @staticmethod
    def _as_of(points: list[tuple[int, float]], epoch: int) -> Optional[float]:
        """A completed trial's best figure as of ``epoch``; None if it was not scored by then."""
        value = None
        for scored, best in points:
            if scored > epoch:
                break
            value = best
        return value

    def others_at(self, fold: int, epoch: int) -> list[float]:
        """Completed trials' best figures as of ``epoch`` on ``fold``."""
        values = (self._as_of(points, epoch) for points in self.reference.get(fold, []))
        return [v for v in values if v is not None]

    def check(self, fold: int, curve: list[list[float]]) -> None:
        """Raise TrialPruned when the curve so far is worse than the median."""
        points = best_so_far(curve, self.direction)
        if not points:
            return
        epoch, best = points[-1]
        if epoch <= self.grace_epochs:
            return
        others = self.others_at(fold, epoch)
        if len(others) < self.min_trials:
            return
        median = float(np.median(others))
        if self.direction.better(median, best):
            raise TrialPruned(f"epoch {epoch}: best {best:.4g} worse than the median {median:.4g} "
                              f"of {len(others)} completed trials")


class RungStopper:
    """Asynchronous successive halving (ASHA; Ray Tune's ASHAScheduler, Optuna's
    SuccessiveHalvingPruner), the default.

    The rungs are the scored epochs (1, 2, 4, 8, ... past the grace period): a trial goes on
    past a rung only while its best figure so far is among the best ``1/eta`` of the figures
    that earlier trials *of its own family* had at that rung, stopped ones included (they
    were on the rung too; that is what makes it halving). Comparing within a family is what
    lets a slow starter live: a GAN at epoch 4 is measured against GANs at epoch 4, not
    against finished autoregressive models. With fewer than ``min_trials`` earlier figures
    at a rung, the trial goes on.

    Hyperband's brackets hedge against stopping too early: trial ``i`` runs in bracket
    ``i mod brackets``; bracket ``b`` is first judged past ``grace_epochs * eta**b``, and the
    last bracket (when there are two or more) is never stopped: its trials train their full
    epochs, so slow starters always get some full-length trials. Unlike strict Hyperband the
    rungs are shared: a trial is measured against every earlier trial of its family that
    was scored at that epoch, whatever its bracket (few trials fit a 2-core budget, and a
    full-length trial is the best reference there is).
    """

    def __init__(self, history: Iterable[TrialRecord], *, family: str, grace_epochs: int, direction: Direction,
                 eta: int, bracket: int = 0, brackets: int = 1, min_trials: int = 2):
        self.full_budget = brackets > 1 and bracket == brackets - 1
        self.grace_epochs = grace_epochs * eta ** bracket
        self.direction = Direction(direction)
        self.eta, self.min_trials = eta, min_trials
        # fold -> epoch -> earlier trials' best figures so far at that epoch
        self.rungs: dict[int, dict[int, list[float]]] = {}
        for record in history:
            if record.family != family or record.status not in (Status.OK, Status.PRUNED):
                continue
            for fold in record.folds:
                for epoch, best in best_so_far(fold.curve, self.direction):
                    self.rungs.setdefault(fold.fold, {}).setdefault(epoch, []).append(best)

    def check(self, fold: int, curve: list[list[float]]) -> None:
        points = best_so_far(curve, self.direction)
        if not points:
            return
        epoch, best = points[-1]
        others = self.rungs.get(fold, {}).get(epoch, [])
        if self.full_budget or epoch <= self.grace_epochs or len(others) < self.min_trials:
            return
        losses = sorted(self.direction.loss(v) for v in others)
        keep = max(1, math.ceil((len(others) + 1) / self.eta))  # places on the next rung, this trial counted
        bar = losses[keep - 1] if keep <= len(losses) else math.inf
        if self.direction.loss(best) > bar:
            raise TrialPruned(f"epoch {epoch}: best {best:.4g} not in the best 1/{self.eta} of "
                              f"{len(others) + 1} trials of this family at this epoch")


def best_so_far(curve: list[list[float]], direction: Direction) -> list[tuple[int, float]]:
    """[(epoch, best figure up to that epoch)] for the scored points of ``curve``."""
    out, best = [], None
    for epoch, figure in curve:
        if figure is None:
            continue
        best = figure if best is None else direction.best(best, figure)
        out.append((int(epoch), best))
    return out


class NoStopper:
    def check(self, fold: int, curve: list[list[float]]) -> None:
        return None


def stopper_for(config, direction: Direction, history: Iterable[TrialRecord], family: str, trial_id: int = 0):
    """The early-stopping rule ``search.early_stopping`` asks for, for trial ``trial_id`` of ``family``."""
    search = config.search
    if search.early_stopping == "asha":
        return RungStopper(history, family=family, grace_epochs=search.grace_epochs, direction=direction,
                           eta=search.fidelity.eta, bracket=trial_id % search.brackets, brackets=search.brackets)
    if search.early_stopping == "median":
        return MedianStopper(history, grace_epochs=search.grace_epochs, direction=direction,
                             family=family if search.median_scope == "family" else None)
    return NoStopper()


def curves_only(records: Iterable[TrialRecord]) -> list[TrialRecord]:
    """What the stopping rules read of earlier trials: small enough to ship to workers.

    Completed and stopped trials (the median rule reads only the completed ones); per fold
    its curve, its last epoch and its final figure.
    """
    return [TrialRecord(id=r.id, stage=r.stage, family=r.family, params={}, feature={}, status=r.status,
                        folds=[FoldRecord(fold=f.fold, seed=f.seed, curve=f.curve, epochs=f.epochs, figure=f.figure)
                               for f in r.folds])
            for r in records if r.status in (Status.OK, Status.PRUNED)]
