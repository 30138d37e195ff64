"""Refit: after extended training has found how long to train, train the winner once more
from scratch on all the non-test data for that many epochs (AutoGluon's ``refit_full``).

Why: extended training holds ``train.valid_fraction`` of the non-test data out to judge
its checks, so the model it keeps never saw a tenth of the data. Measured on the digits
main job, that tenth bought nothing (test Fréchet over six scoring draws 0.281 refit
against 0.275 extended; docs/benchmarks.md), so ``train.refit`` is off by default; it is
there for data sets where a tenth is more to lose. The refit runs only when the plan's
train share still holds the time it is predicted to take (extended training's own seconds
per epoch, scaled by the examples), so it spends time that patience left unused and never
the time of a longer extension. A refit that runs out of time, or diverges, is dropped and
the extended model is kept: a model trained part of the way is not the one the checks chose.

The refit model cannot be judged (every non-test example is in its training set); what
stands behind it is the check of the extended model at the same epoch count.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any, Optional

from genautoml.errors import TrialDiverged
from genautoml.words import count

#: a refit starts only when the predicted seconds, times this margin, fit in what is left
#: (checks are not part of a refit, so the prediction is already on the high side)
MARGIN = 1.1


class _OutOfTime(Exception):
    """Raised from the epoch report when the refit would overrun the train share."""


@dataclass
class RefitLog:
    """Whether the final model is the refit one, and why (metrics.json ``training.refit``)."""

    done: bool
    reason: str
    epochs: int
    examples: int
    predicted_seconds: Optional[float] = None
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def predicted_seconds(extension) -> float:
    """What training ``extension.best_epoch`` epochs on every example should take, from the
    extended training's seconds per epoch (its checks included) over its fit examples."""
    per_epoch = extension.seconds / max(1, extension.epochs_run)
    examples = extension.fit_examples + extension.valid_examples
    return per_epoch * extension.best_epoch * examples / max(1, extension.fit_examples)


def refit(family_cls, params: dict[str, Any], representation, train_raw, extension, *, seed: int, device: str,
          time_left: Optional[float], enabled: bool = True):
    """(model, representation, RefitLog): the refit model on ``train_raw`` (all non-test data)
    with ``representation`` (a fresh one: the extended model's stays as it is) fitted on it,
    or (None, None, log) when it was not made or was dropped."""
    examples = extension.fit_examples + extension.valid_examples
    log = RefitLog(done=False, reason="", epochs=extension.best_epoch, examples=examples)
    if not enabled:
        log.reason = "train.refit is false"
        return None, None, log
    if extension.stopped_by.startswith("diverged"):
        log.reason = "extended training diverged; a refit of the same length might too"
        return None, None, log
    log.predicted_seconds = round(predicted_seconds(extension), 2)
    if time_left is not None and log.predicted_seconds * MARGIN > time_left:
        log.reason = f"predicted {log.predicted_seconds:.0f} s, {max(0.0, time_left):.0f} s left of the train share"
        return None, None, log
    started = time.perf_counter()
    representation.fit(train_raw)
    model = family_cls(representation.spec, **{**params, "epochs": extension.best_epoch})

    def report(epoch: int) -> None:
        # after the last epoch the model is whole, however long it took
        if epoch < extension.best_epoch and time_left is not None and time.perf_counter() - started > time_left:
            raise _OutOfTime

    try:
        model.fit(representation.encode(train_raw), report, seed=seed, device=device)
    except _OutOfTime:
        log.reason = f"ran out of the train share ({time_left:.0f} s) before epoch {extension.best_epoch}; dropped"
        model = None
    except TrialDiverged as exc:
        log.reason = f"diverged ({exc}); dropped"
        model = None
    log.seconds = round(time.perf_counter() - started, 2)
    if model is None:
        return None, None, log
    log.done, log.reason = True, f"{count(extension.best_epoch, 'epoch')} on all {examples} non-test examples"
    return model, representation, log
