"""Extended final training: the tuned winner trained past its tuned epoch count while a
validation split improves, and its best state kept (early stopping with patience, as
Keras' EarlyStopping and Ludwig's trainer do).

Why: tune compares many candidates under one budget, so each gets few epochs; the one
chosen usually keeps improving well past that count. The validation split is carved from
the non-test data with a seeded draw, so the test split is still seen only once, by the
final score. Checks fall on fixed epochs and the stops are counted in epochs, so the same
config and seed give the same model on CPU; only the time limit (the plan's train share of
``search.time_budget``, or ``train.time_budget``) depends on speed.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Optional

import numpy as np

from genautoml.errors import TrialDiverged
from genautoml.pipeline.events import EpochProgress
from genautoml.pipeline.guard import COPY_METRIC, copying
from genautoml.pipeline.trial import Scorer, capped, selection_metric

#: samples per validation example at each check. With as many samples as the 144 validation
#: digits, the Fréchet figure of one fixed model varies with the sample draw by 0.051 (sd
#: over 8 draws), as much as neighbouring checks differ, so patience stopped on noise; with
#: four times the samples, by 0.011 (docs/benchmarks.md).
CHECK_OVERSAMPLE = 4


class _Stop(Exception):
    """Raised from the epoch report to end extended training; the model keeps its state."""


@dataclass
class ExtensionLog:
    """What extended training did, for metrics.json."""

    tuned_epochs: int
    check_every: int
    max_epochs: int
    fit_examples: int
    valid_examples: int
    #: [epoch, validation figure] at every check
    checks: list[list[float]] = field(default_factory=list)
    #: the check epochs whose samples copied training examples (genautoml/pipeline/guard.py):
    #: never kept over a check that did not
    copying: list[int] = field(default_factory=list)
    best_epoch: int = 0
    epochs_run: int = 0
    stopped_by: str = "max_epochs"
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {"extended": True, **asdict(self)}


def can_extend(family_cls, params: dict[str, Any]) -> Optional[str]:
    """None when ``family_cls`` with ``params`` can be extended, else the reason it cannot."""
    if "epochs" not in params:
        return f"{family_cls.name} has no epochs to extend"
    if not family_cls.extends_epochs:
        return f"{family_cls.name} trains for a fixed schedule (its epochs are not all alike)"
    return None


def validation_split(modality, raw, fraction: float, seed: int):
    """(fit, valid) raw subsets: ``fraction`` of the examples (at least one, at most all
    but one) drawn with ``seed``."""
    count = modality.count(raw)
    held = min(max(1, round(count * fraction)), count - 1)
    order = np.random.default_rng(seed).permutation(count)
    return modality.subset(raw, np.sort(order[held:])), modality.subset(raw, np.sort(order[:held]))


def check_interval(tuned_epochs: int) -> int:
    """Epochs between validation checks: a quarter of the tuned count, so that checks cost
    little beside training, yet come often enough that patience is not an epoch sink."""
    return max(1, math.ceil(tuned_epochs / 4))


def train_extended(config, modality, family_cls, params: dict[str, Any], representation, train_raw, *,
                   seed: int, device: str, events=None, time_limit: Optional[float] = None):
    """Fit ``representation`` and the family on part of ``train_raw``, judging it on the rest
    every ``check_interval`` epochs from the tuned count on; returns (model, ExtensionLog).

    Stops after ``train.patience`` checks without improvement, at ``train.max_epochs`` or at
    ``time_limit`` seconds (the plan's share, or ``train.time_budget`` if smaller), then
    restores the state of the best check.
    """
    settings = config.train
    fit_raw, valid_raw = validation_split(modality, train_raw, settings.valid_fraction, seed)
    representation.fit(fit_raw)
    scorer = Scorer(modality, representation, capped(config, modality, valid_raw, seed), fit_raw, seed,
                    oversample=CHECK_OVERSAMPLE)
    tuned = int(params["epochs"])
    log = ExtensionLog(tuned_epochs=tuned, check_every=check_interval(tuned),
                       max_epochs=max(tuned, settings.max_epochs),
                       fit_examples=int(modality.count(fit_raw)), valid_examples=int(modality.count(valid_raw)))
    model = family_cls(representation.spec, **{**params, "epochs": log.max_epochs})
    limits = [limit for limit in (time_limit, settings.time_budget) if limit is not None]
    checks = _Checks(model, scorer, selection_metric(config, modality), log, settings, events,
                     time_limit=min(limits) if limits else None)
    if COPY_METRIC in modality.metrics() and config.search.dcr_min is not None:
        checks.copying = lambda metrics: copying(config, metrics)
    report_with_deadline = checks.report
    try:
        model.fit(representation.encode(fit_raw), report_with_deadline, seed=seed, device=device)
    except _Stop:
        pass  # the modules keep what they learnt; the best state is restored below
    except TrialDiverged as exc:
        if checks.state is None:
            raise
        log.stopped_by = f"diverged ({exc})"  # a long run that blew up still has its best state
    log.seconds = round(time.perf_counter() - checks.started, 2)
    if checks.state is None:
        raise RuntimeError(f"extended training of {family_cls.name} never produced a finite validation figure")
    if log.best_epoch != log.epochs_run:
        model.load_state(checks.state)
        model.to(device)  # load_state builds on the CPU; test scoring and samples run where training ran
    return model, log


class _Checks:
    """The epoch report of extended training: scores the model at its check epochs, keeps
    the best state, and ends training (``_Stop``) on patience or on the time ceiling."""

    def __init__(self, model, scorer, selection, log: ExtensionLog, settings, events, time_limit: Optional[float]):
        self.model, self.scorer, self.selection = model, scorer, selection
        self.log, self.settings, self.events = log, settings, events
        self.time_limit = time_limit
        self.figure: Optional[float] = None  # the best validation figure so far
        self.state: Optional[dict[str, Any]] = None  # the model's state at that check
        self.stale = 0  # checks since the last improvement
        self.started = time.perf_counter()
        #: whether a check's figures say its samples copy training examples (None: not guarded)
        self.copying = None
        self.kept_copying = False  # whether the state kept is one that copies

    def report(self, epoch: int) -> None:
        self._check(epoch)
        if self.events is not None:
            last = self.log.checks[-1][1] if self.log.checks else None
            self.events.epoch(EpochProgress("final training", epoch, self.log.max_epochs, figure=last))
        # Counted from the start of training, yet it never cuts the tuned epochs: the first
        # check (and so the first state worth keeping) comes right after them.
        budget = self.time_limit
        if budget is not None and self.log.checks and time.perf_counter() - self.started > budget:
            self.log.stopped_by = "time_budget"
            raise _Stop

    def _check(self, epoch: int) -> None:
        log, name = self.log, self.selection.name
        log.epochs_run = epoch
        if epoch < log.tuned_epochs or (epoch - log.tuned_epochs) % log.check_every:
            return
        metrics = self.scorer(self.model, [name] + ([COPY_METRIC] if self.copying else []))
        figure, copies = metrics[name], bool(self.copying and self.copying(metrics))
        log.checks.append([epoch, figure])
        if copies:
            log.copying.append(epoch)
        # A state that copies training examples is kept only until one that does not comes.
        better = self.figure is None or (copies, self.selection.loss(figure)) < (self.kept_copying,
                                                                                 self.selection.loss(self.figure))
        if math.isfinite(figure) and better:
            # Copies: the live tensors keep changing as training goes on.
            self.figure, self.stale, self.kept_copying = figure, 0, copies
            self.state = {k: v.detach().clone() for k, v in self.model.state().items()}
            log.best_epoch = epoch
            if self.events is not None:
                self.events.note(f"epoch {epoch}: validation {name} {figure:.4g} (best so far)")
        else:
            self.stale += 1
        if self.stale >= self.settings.patience:
            log.stopped_by = "patience"
            raise _Stop
