"""cv: every candidate family k-fold cross-validated at growing fidelities, and ranked.

Rung after rung, the families still in the race train at epochs x1, x2, x4, ... of their
defaults (``search.fidelity``); genautoml/search/halving.py decides who goes on. A family
whose epochs are not alike (an n-gram counts once) is trained once, at rung 0, and its
figure stands at every rung. The first rung is cut short where cv's share of the budget
cannot pay for a family's default epochs (it then stands at the epochs it reached, on
every fold). The next rung starts only if the share can pay for it, predicted from this
rung's seconds. The leaderboard ranks by the highest rung reached, then by the figure
there: the choice is made at the highest fidelity reached, on the same folds with the
same seeds for every family.

cv.json is rewritten after each (family, rung) (``complete: false`` until the end), so an
interrupted cv keeps what it finished, and a resumed one makes the same decisions.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from genautoml.errors import SearchFailed
from genautoml.pipeline.context import Context
from genautoml.pipeline.continued import KeptTrainings
from genautoml.pipeline.events import TrialProgress
from genautoml.pipeline.floor import cv_floors, mean_floor
from genautoml.pipeline.guard import ruled_out
from genautoml.pipeline.resolve import Candidate, candidates
from genautoml.pipeline.scoring import check_likelihood_selection, default_feature, family_feature, metric, score, spread
from genautoml.records import TrialRecord, TrialRequest
from genautoml.search.halving import Rungs, promoted


def scalable(candidate: Candidate) -> bool:
    """Whether training longer means more epochs of the same kind (the fidelity applies)."""
    from genautoml.models.registry import get_family

    return get_family(candidate.family).extends_epochs and "epochs" in candidate.default_params() \
        and "epochs" not in candidate.fixed


def params_at(candidate: Candidate, factor: int) -> dict[str, Any]:
    params = candidate.default_params()
    if factor != 1 and scalable(candidate):
        params["epochs"] = int(params["epochs"]) * factor
    return params


@dataclass
class Race:
    """Where every family stands: its record at the highest rung it reached."""

    order: list[str]
    latest: dict[str, tuple[int, TrialRecord]] = field(default_factory=dict)
    records: list[TrialRecord] = field(default_factory=list)
    stopped_by: str = "max_factor"
    #: whether a record's samples are separable from real ones or copy training examples
    #: (genautoml/pipeline/guard.py)
    ruled_out: Callable[[TrialRecord], bool] = lambda record: False

    def leaders(self) -> list[TrialRecord]:
        """Best first: those whose samples are neither separable from real ones nor copies, then by highest
        rung reached, then by loss; failures last."""
        finished = [(rung, r) for rung, r in self.latest.values() if r.ok and r.loss is not None]
        finished.sort(key=lambda item: (self.ruled_out(item[1]), -item[0], item[1].loss,
                                        self.order.index(item[1].family)))
        best = [r for _, r in finished]
        return best + [r for _, r in self.latest.values() if r not in best]


def run(ctx: Context) -> dict[str, Any]:
    selection, search = metric(ctx), ctx.config.search
    rungs = Rungs(search.fidelity.eta, search.fidelity.max_factor).factors()
    budget = ctx.budget("cv")
    ctx.events.stage("cv", f"{len(ctx.config.models)} families x {search.cv_folds} folds at epochs "
                           f"x{', x'.join(map(str, rungs))} while the {_seconds(budget)} budget lasts, "
                           f"metric {selection.name} ({selection.direction})")
    key = ctx.stage_key("cv")
    previous = ctx.artifact("cv") or {}
    done = {(r["family"], r.get("fidelity", 1)): TrialRecord.from_json(r)
            for r in previous.get("records", []) if previous.get("key") == key}
    pool = candidates(ctx.config)
    features = {c.family: family_feature(ctx, c.family) for c in pool}  # a family that can model none: refused now
    checked: list[dict[str, Any]] = []
    for family, feature in features.items():  # every representation cv trains a family on, before any training
        if feature not in checked:
            check_likelihood_selection(ctx, feature, f"cv and tune train {family} on")
            checked.append(feature)
    race = Race(order=[c.family for c in pool], ruled_out=lambda r: ruled_out(ctx.config, r.mean_metrics()))
    kept = kept_trainings(ctx.config, pool, rungs)
    try:
        _race(ctx, race, pool, features, rungs, done, key, kept)
    finally:
        if kept is not None:
            kept.close()
    artifact = _artifact(ctx, key, selection, race, complete=True)
    if not artifact["leaderboard"] or artifact["leaderboard"][0]["status"] != "ok":
        reasons = "; ".join(f"{r.family}: {r.error}" for r in race.records)
        raise SearchFailed(f"cv: every family failed ({reasons})")
    # What real data scores on these folds at these sizes: the figures' floor (pipeline/floor.py)
    artifact["floor_per_fold"] = cv_floors(ctx.config, ctx.dataset, default_feature(ctx))
    artifact["floor"] = mean_floor(artifact["floor_per_fold"], search.cv_folds)
    ctx.run.write_json("cv.json", artifact)
    return artifact


def kept_trainings(config, pool: list[Candidate], rungs: list[int]) -> Optional[KeptTrainings]:
    """Where cv keeps its trainings between rungs (None: every rung trains from scratch, as with
    ``search.fidelity.continue_rungs`` false or a single rung)."""
    if not config.search.fidelity.continue_rungs or len(rungs) < 2:
        return None
    return KeptTrainings({c.family: int(params_at(c, rungs[-1])["epochs"]) for c in pool if scalable(c)})


def _race(ctx: Context, race: Race, pool: list[Candidate], features: dict[str, dict[str, Any]], rungs: list[int],
          done: dict, key: str, kept: Optional[KeptTrainings]) -> None:
    """Rung after rung while families are left, the share pays and a family trains longer."""
    search, direction = ctx.config.search, metric(ctx).direction
    alive, before = [c.family for c in pool], {}
    for rung, factor in enumerate(rungs):
        if rung and not any(scalable(c) for c in pool if c.family in alive):
            race.stopped_by = "no family left that trains longer"
            return
        if rung and not _affordable(race, pool, alive, factor, ctx.budget("cv"), kept):
            race.stopped_by = "time_budget"
            return
        following = rungs[rung + 1] if rung + 1 < len(rungs) else None
        now = _run_rung(ctx, race, pool, features, alive, rung, (factor, following), done, key, kept)
        alive = promoted(direction, now, before, eta=search.fidelity.eta, min_keep=2, first_rung=rung == 0)
        before = now
        if kept is not None:
            kept.keep_only(alive)  # the families that left the race free their trainings
        if len(alive) < 2:
            race.stopped_by = "one family left"
            return


def _run_rung(ctx: Context, race: Race, pool: list[Candidate], features: dict[str, dict[str, Any]], alive: list[str],
              rung: int, factors: tuple[int, Optional[int]], done: dict, key: str,
              kept: Optional[KeptTrainings]) -> dict[str, Optional[float]]:
    """Train and score every family in ``alive`` at ``factors[0]``; their figures by family.
    ``factors[1]``: the next rung's factor (None: this is the last)."""
    factor, following = factors
    folds = tuple(range(ctx.config.search.cv_folds))
    now: dict[str, Optional[float]] = {}
    for i, candidate in enumerate(pool):
        if candidate.family not in alive:
            continue
        if rung and not scalable(candidate):  # trained once: its figure stands at every rung
            record = race.latest[candidate.family][1]
        else:
            record = done.get((candidate.family, factor))
            if record is None:
                request = TrialRequest(rung * len(pool) + i, "cv", candidate.family, params_at(candidate, factor),
                                       features[candidate.family], folds, metrics="all")
                if rung:
                    record = score(ctx, request, deadline=_deadline(ctx, race), kept=kept)
                else:
                    later = sum(1 for c in pool[i:] if c.family in alive)
                    record = score(ctx, request, cut_at=_first_rung_cut(ctx, race, later, len(folds)), kept=kept)
                record.fidelity = factor
            race.records.append(record)
        if record.ok or candidate.family not in race.latest:  # a failure does not undo a lower rung
            race.latest[candidate.family] = (rung, record)
        now[candidate.family] = record.figure if record.ok else None
        if kept is not None and rung == 0 and (following is None or not _affordable(
                race, pool, [f for f, figure in now.items() if figure is not None], following, ctx.budget("cv"), kept)):
            # Nobody leaves the race at the first rung, so the next one costs at least what
            # continuing the families trained so far costs: past cv's share, no training will
            # be continued, and each holds a model, its optimizer and its data per fold.
            kept.close()
        best = race.leaders()[0]
        ctx.events.trial(TrialProgress(record, len(race.records), len(pool), best if best.ok else None,
                                       label=f"{candidate.family} x{factor}"))
        ctx.run.write_json("cv.json", _artifact(ctx, key, metric(ctx), race, complete=False))
    return now


def _affordable(race: Race, pool: list[Candidate], alive: list[str], factor: int, budget: Optional[float],
                kept: Optional[KeptTrainings]) -> bool:
    """Whether the rung at ``factor`` fits in what is left: each family that trains again is
    predicted at its last rung's seconds per epoch, for the epochs it has still to train
    (from where its kept trainings stand, else from scratch)."""
    if budget is None:
        return True
    predicted = 0.0
    for candidate in pool:
        if candidate.family in alive and scalable(candidate):
            record = race.latest[candidate.family][1]
            trained = max(1, int(record.params.get("epochs") or 1) - (record.continued_from or 0))
            standing = (kept.epochs(candidate.family) if kept is not None else None) or 0
            predicted += record.seconds / trained * (params_at(candidate, factor)["epochs"] - standing)
    return _spent(race) + predicted <= budget


def _first_rung_cut(ctx: Context, race: Race, families_left: int, folds: int) -> Optional[float]:
    """When a family of the first rung stops training (``run_trial``'s ``cut_at``): each family
    still to train gets an equal part of what is left of cv's budget (time a quick family
    leaves goes to the next), its first fold a ``folds``-th of that part; the later folds then
    train as many epochs. A family that finishes its default epochs sooner is not touched, so
    with time enough the first rung is what it always was; with too little, cv still ranks
    every family, at the epochs the budget paid for, and ends near its budget."""
    budget = ctx.budget("cv")
    if budget is None:
        return None
    share = max(0.0, budget - _spent(race)) / max(1, families_left)
    return time.time() + share / max(1, folds)


def _spent(race: Race) -> float:
    return sum(r.seconds for r in race.records)


def _deadline(ctx: Context, race: Race) -> Optional[float]:
    """A trial of a later rung that would overrun cv's share by half again is stopped (its rung
    then fails, the rung below stands). The first rung has no deadline: without it there is
    no result to go on from; it is cut short instead (``_first_rung_cut``)."""
    budget = ctx.budget("cv")
    return None if budget is None else time.time() + max(0.0, 1.5 * budget - _spent(race))


def _seconds(budget: Optional[float]) -> str:
    return "unlimited" if budget is None else f"{budget:.0f} s"


def _artifact(ctx: Context, key: str, selection, race: Race, complete: bool) -> dict[str, Any]:
    rungs = {r.family: rung for rung, r in race.latest.values()}
    leaderboard = [
        {
            "rank": rank,
            "family": r.family,
            "trial": r.id,
            "fidelity": r.fidelity,
            "rung": rungs[r.family],
            "epochs": r.params.get("epochs"),
            "figure": r.figure,
            "std": spread(r, selection.name),
            "status": r.status.value,
            "error": r.error,
            "metrics": r.mean_metrics(),
            "seconds": r.seconds,
        }
        for rank, r in enumerate(race.leaders(), start=1)
    ]
    return {
        "key": key,
        "complete": complete,
        "metric": selection.name,
        "direction": selection.direction,
        "feature": default_feature(ctx),
        "stopped_by": race.stopped_by,
        "c2st_max": ctx.config.search.c2st_max,
        "dcr_min": ctx.config.search.dcr_min,
        "budget": ctx.budget("cv"),
        "seconds": round(_spent(race), 2),
        "leaderboard": leaderboard,
        "records": [r.to_json() for r in race.records],
    }
