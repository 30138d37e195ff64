"""What TPE learns from trials stopped early: BOHB's rule.

A trial stopped at epoch 8 has a figure *at epoch 8*: giving it to TPE as if it were a
final loss teaches TPE that slow starters are bad (a GAN at epoch 8 is far behind any
finished model). So, as in BOHB (Falkner et al., 2018), the density model is built from
one budget only, per family: the largest at which at least ``min_points`` trials of the
family have a figure. Once that many trials finished, that is the full budget and only
finished trials teach TPE; before, it is the highest rung enough trials reached, and each
trial that reached it counts with its figure there (a trial stopped by its time limit too:
on a slow family every trial may be, and TPE would otherwise learn nothing). Trials below
that budget are not shown to TPE as results (they still count as trials, so suggestions
stay exact on resume).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Iterable, Optional

import numpy as np

from genautoml.direction import Direction
from genautoml.records import Status, TrialRecord
from genautoml.search.stopping import best_so_far


def model_losses(records: Iterable[TrialRecord], direction: Direction,
                 min_points: dict[str, int]) -> dict[int, Optional[float]]:
    """The loss TPE sees for each record, by id (None: not a result at the model's budget)."""
    by_family: dict[str, list[TrialRecord]] = defaultdict(list)
    for record in records:
        by_family[record.family].append(record)
    losses: dict[int, Optional[float]] = {}
    for family, group in by_family.items():
        losses.update(_family_losses(group, direction, min_points.get(family, 3)))
    return losses


def _family_losses(records: list[TrialRecord], direction: Direction, min_points: int) -> dict[int, Optional[float]]:
    losses: dict[int, Optional[float]] = {r.id: None for r in records}
    finished = [r for r in records if r.ok and r.loss is not None]
    if len(finished) >= min_points:
        losses.update({r.id: r.loss for r in finished})
        return losses
    # Stopped by the rule or by its time limit alike: figures at the epochs it reached.
    running = [r for r in records if r.status in (Status.OK, Status.PRUNED, Status.TIMED_OUT)]
    rungs = sorted({epoch for r in running for fold in r.folds for epoch, _ in best_so_far(fold.curve, direction)},
                   reverse=True)
    for epoch in rungs:
        at_rung = {r.id: figure for r in running if (figure := _figure_at(r, epoch, direction)) is not None}
        if len(at_rung) >= min_points:
            losses.update({tid: direction.loss(figure) for tid, figure in at_rung.items()})
            break
    return losses


def _figure_at(record: TrialRecord, epoch: int, direction: Direction) -> Optional[float]:
    """The mean over folds of the best figure as of ``epoch``, if every fold was scored there."""
    values = []
    for fold in record.folds:
        points = dict(best_so_far(fold.curve, direction))
        if epoch not in points:
            return None
        values.append(points[epoch])
    return float(np.mean(values)) if values else None
