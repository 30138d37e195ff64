"""A trial is stopped as soon as its pace says it cannot finish by its deadline; the
scoring epochs do not count as its pace, and a trial that fits is never stopped."""

import pytest

from genautoml.errors import TrialTimeout
from genautoml.pipeline import pace as pace_module
from genautoml.pipeline.pace import Pace
from genautoml.pipeline.trial import scored_at


class Clock:
    def __init__(self):
        self.now = 1000.0

    def time(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(pace_module, "time", fake)
    return fake


def run(clock, pace: Pace, epochs: int, epoch_seconds: float, scoring_seconds: float = 0.0, scored=lambda e: False):
    """Feed ``pace`` ``epochs`` epochs; the epoch at which it stopped the fold, or None."""
    for epoch in range(1, epochs + 1):
        clock.now += epoch_seconds + (scoring_seconds if scored(epoch) else 0.0)
        try:
            pace.epoch(epoch, scored(epoch))
        except TrialTimeout:
            return epoch
    return None


def test_a_fold_that_cannot_finish_is_stopped_after_its_pace_settles(clock):
    # 100 epochs of 1 s against 20 s: stopped once three plain epochs after the first are timed
    pace = Pace(clock.now + 20, 100, 0, scored=lambda e: False)
    assert run(clock, pace, 100, 1.0) == 4
    # 150 s hold this fold (100 s), not it and two later folds of 100 epochs (300 s)
    assert run(clock, Pace(clock.now + 150, 100, 0, scored=lambda e: False), 100, 1.0) is None
    assert run(clock, Pace(clock.now + 150, 100, 2, scored=lambda e: False), 100, 1.0) == 4


def test_a_fold_that_fits_is_never_stopped_however_costly_its_scorings(clock):
    scored = lambda e: scored_at(e, None)  # noqa: E731 (1, 2, 4, 8, 16)
    # 30 epochs of 1 s plus 5 scorings of 10 s: 80 s in all, against 100 s. Counting the scorings
    # into the pace (24 s over epochs 2-5: 6 s an epoch) would project 150 s and stop it.
    assert run(clock, Pace(clock.now + 100, 30, 0, scored=scored), 30, 1.0, 10.0, scored) is None
    # against 40 s it is stopped, before the deadline itself comes
    stopped = run(clock, Pace(clock.now + 40, 30, 0, scored=scored), 30, 1.0, 10.0, scored)
    assert stopped is not None and stopped < 20


def test_no_deadline_or_no_epoch_count_means_no_projection(clock):
    assert run(clock, Pace(None, 100, 0, scored=lambda e: False), 100, 10.0) is None
    assert run(clock, Pace(clock.now + 1, None, 0, scored=lambda e: False), 50, 10.0) is None
