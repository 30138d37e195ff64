"""A trial's pace: stop it as soon as the epochs it has run say it cannot finish by its
deadline, instead of when the deadline comes.

Why: tune's proposals can cost many times what the defaults do (a diffusion model of width
512 at batch 64 for 446 epochs is a thousand seconds on two cores, against a limit of 36);
waiting for the limit spent the whole of tune's share in the main jobs on three or four
such trials that produced nothing (docs/benchmarks.md). Stopped after a few epochs, they
cost seconds, and tune goes on to proposals that fit.

The pace is read from epochs during which nothing was scored (scoring for early stopping
falls on epochs 1, 2, 4, 8, ... and costs far more than an epoch of a small model), and the
scorings still to come are added at what those so far cost. A trial is stopped only when
what is left would take more than ``OVERRUN`` times the time left: a clear miss, never a
close call decided by noise.
"""

from __future__ import annotations

import bisect
import time
from typing import Callable, Optional

from genautoml.errors import TrialTimeout

#: stop when the work left would take this many times the time left
OVERRUN = 1.5
#: epochs without scoring to time before the pace is trusted
SETTLE_EPOCHS = 3


class Pace:
    """Fed every epoch's report of one fold; raises ``TrialTimeout`` on a clear miss."""

    def __init__(self, deadline: Optional[float], planned: Optional[int], later_folds: int,
                 scored: Callable[[int], bool], start: int = 0):
        """``start``: the epochs every fold had already run (a training cv continues)."""
        self.deadline, self.planned, self.later_folds, self.start = deadline, planned, later_folds, start
        #: the epochs of a fold at which the model is scored, in order
        self.scored_epochs = [e for e in range(start + 1, (planned or 0) + 1) if scored(e)]
        self.last = time.time()  # the fold's training starts now
        self.plain_seconds, self.plain_epochs = 0.0, 0
        self.scoring_seconds, self.scorings = 0.0, 0

    def epoch(self, epoch: int, was_scored: bool) -> None:
        now = time.time()
        interval, self.last = now - self.last, now
        if epoch == 1:
            return  # the first epoch carries the set-up (building the network, counting n-grams)
        if was_scored:
            self.scoring_seconds, self.scorings = self.scoring_seconds + interval, self.scorings + 1
        else:
            self.plain_seconds, self.plain_epochs = self.plain_seconds + interval, self.plain_epochs + 1
        if self.deadline is None or self.planned is None or self.plain_epochs < SETTLE_EPOCHS:
            return
        per_epoch = self.plain_seconds / self.plain_epochs
        per_scoring = max(0.0, self.scoring_seconds / self.scorings - per_epoch) if self.scorings else 0.0
        left = self.work_left(epoch, per_epoch, per_scoring)
        if left > OVERRUN * max(0.0, self.deadline - now):
            raise TrialTimeout(f"stopped at epoch {epoch}: at {per_epoch:.3g} s an epoch, the {left:.0f} s of "
                               f"training left would end far past its time limit ({self.deadline - now:.0f} s left)")

    def work_left(self, epoch: int, per_epoch: float, per_scoring: float) -> float:
        """Seconds of training and scoring left in this fold and the trial's later folds."""
        scorings_later = len(self.scored_epochs)
        scorings_left = scorings_later - bisect.bisect_right(self.scored_epochs, epoch)
        epochs = (self.planned - epoch) + (self.planned - self.start) * self.later_folds
        return per_epoch * epochs + per_scoring * (scorings_left + scorings_later * self.later_folds)
