"""The tune loop: hyperopt suggests, our trial function runs, ``trials.jsonl`` remembers.

hyperopt's quirks are handled here and nowhere else:
- we drive ``suggest`` one trial at a time instead of ``fmin``, so an exception or a NaN
  becomes a failed trial instead of aborting the search or poisoning TPE;
- hyperopt's ``Trials`` is rebuilt from ``trials.jsonl`` (our source of truth) on resume,
  never from its own pickle;
- each suggestion's seed derives from (config seed, trial id), so a resumed search makes
  the same suggestions as one never interrupted;
- ``hp.choice`` yields indices: ``space_eval`` turns a point back into values.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from typing import Any, Callable, Optional

from genautoml.direction import Direction
from genautoml.records import TrialRecord, TrialRequest
from genautoml.schema.space import ParamSpace
from genautoml.search.budgets import model_losses
from genautoml.search.executors import RunBatch
from genautoml.search.space import family_space, plain
from genautoml.seeds import derive_seed


def _no_reserve(records: list[TrialRecord]) -> float:
    return 0.0


@dataclass
class Budget:
    max_trials: int
    time_budget: Optional[float]  # seconds for the whole tune stage, counting earlier sessions
    trial_timeout: Optional[float]
    #: seconds to leave at the end of ``time_budget`` for what the caller does after the
    #: trials (the pipeline re-scores the best on every fold), given the trials so far
    reserve: Callable[[list[TrialRecord]], float] = _no_reserve
    #: what re-scoring a trial costs, as a multiple of the trial's own seconds (the pipeline:
    #: cv folds / tune folds); 0 when the caller re-scores nothing
    rescore_factor: float = 0.0

    def left(self, elapsed: float, records: list[TrialRecord]) -> Optional[float]:
        """Seconds the trials may still use; None: no time budget."""
        if self.time_budget is None:
            return None
        return self.time_budget - self.reserve(records) - elapsed

    def trial_limit(self, elapsed: float, records: list[TrialRecord]) -> Optional[float]:
        """Seconds the next trials may run: what is left, and no more than leaves room to
        re-score them if they turn out best (a trial larger than the best so far would
        otherwise overrun the budget by its own re-scoring). None: no time budget."""
        left = self.left(elapsed, records)
        if left is None:
            return None
        return min(left, (self.time_budget - elapsed) / (1.0 + self.rescore_factor))


def startup_trials(config) -> int:
    """Random trials before TPE models the space: hyperopt's 20 would eat a small budget whole."""
    if config.search.startup_trials is not None:
        return config.search.startup_trials
    return max(3, min(20, config.search.max_trials // 4))


class HyperoptState:
    """hyperopt's Domain and Trials for our space, rebuilt from our records."""

    def __init__(self, families: dict[str, dict[str, Any]]):
        from hyperopt import base

        self.space = family_space(families)
        self.domain = base.Domain(lambda point: 0.0, self.space)
        self.trials = base.Trials()

    def add(self, record: TrialRecord, loss: Optional[float]) -> None:
        """``record`` as a hyperopt trial; ``loss`` None: a trial, but not a result TPE models
        (genautoml/search/budgets.py decides which figures are)."""
        from hyperopt import JOB_STATE_DONE, STATUS_FAIL, STATUS_OK

        tid = record.id
        vals = record.vals
        misc = {
            "tid": tid,
            "cmd": self.domain.cmd,
            "workdir": None,
            "idxs": {label: [tid] if values else [] for label, values in vals.items()},
            "vals": vals,
        }
        result = {"status": STATUS_FAIL} if loss is None else {"status": STATUS_OK, "loss": loss}
        docs = self.trials.new_trial_docs([tid], [None], [result], [misc])
        docs[0]["state"] = JOB_STATE_DONE
        self.trials.insert_trial_docs(docs)
        self.trials.refresh()

    def suggest(self, tid: int, algo: str, seed: int, n_startup: int) -> tuple[dict[str, list], dict[str, Any]]:
        from hyperopt import rand, space_eval, tpe

        if algo == "tpe":
            suggest = functools.partial(tpe.suggest, n_startup_jobs=n_startup, verbose=False)
        else:
            suggest = rand.suggest
        docs = suggest([tid], self.domain, self.trials, seed)
        vals = plain(docs[0]["misc"]["vals"])
        point = space_eval(self.space, {label: values[0] for label, values in vals.items() if values})
        return vals, plain(point)


def run_search(
    config,
    families: dict[str, dict[str, Any]],
    features: dict[str, dict[str, Any]],
    records: list[TrialRecord],
    run_batch: RunBatch,
    on_record: Callable[[TrialRecord], None],
    budget: Budget,
    direction: Direction,
    parallel: int = 1,
) -> str:
    """Suggest and run trials until a budget is reached; returns why it stopped.

    Trials run in blocks of ``parallel`` ids: every suggestion of a block is made from the
    trials of the blocks before it, each with its own derived seed, so the suggestions do
    not depend on which trial of a block finishes first, and a resume (``records`` read
    back from ``trials.jsonl``) re-suggests exactly the trials still missing.
    ``run_batch(requests, done, history)`` must call ``done(record)`` as each trial finishes;
    ``on_record`` must persist the record before returning. ``features``: each family's representation.
    """
    finished = {r.id: r for r in records}
    spent = wall_seconds(records, parallel)
    started = time.time()
    block_start = 0
    while True:
        block = [tid for tid in range(block_start, min(block_start + parallel, budget.max_trials))]
        if not block:
            return "max_trials"
        missing = [tid for tid in block if tid not in finished]
        if not missing:
            block_start += parallel
            continue
        left = budget.trial_limit(spent + time.time() - started, list(finished.values()))
        if left is not None and left <= 0:
            return "time_budget"
        state = HyperoptState(families)
        earlier = [finished[tid] for tid in sorted(finished) if tid < block_start]
        losses = model_losses(earlier, direction, min_points(families))
        for record in earlier:
            state.add(record, losses[record.id])
        requests, suggested = _suggest_block(config, state, missing, features, _deadline(budget.trial_timeout, left))

        def done(record: TrialRecord) -> None:
            record.vals = suggested[record.id]
            finished[record.id] = record
            records.append(record)
            on_record(record)

        run_batch(requests, done, earlier)
        block_start += parallel


def wall_seconds(records: list[TrialRecord], parallel: int) -> float:
    """The wall time finished trials took: the trials of a block run side by side, so each
    block took what its slowest trial took (a resumed search must not count them twice)."""
    slowest: dict[int, float] = {}
    for record in records:
        block = record.id // parallel
        slowest[block] = max(slowest.get(block, 0.0), record.seconds)
    return sum(slowest.values())


def min_points(families: dict[str, dict[str, ParamSpace]]) -> dict[str, int]:
    """BOHB's points per budget before a density model: one more than the family's
    searched dimensions, at least 3."""
    return {family: max(3, 1 + sum(1 for spec in space.values() if spec.kind != "const"))
            for family, space in families.items()}


def _deadline(trial_timeout: Optional[float], left: Optional[float]) -> Optional[float]:
    """When the trials of a block must stop: the trial timeout or the budget left, whichever is first."""
    limits = [limit for limit in (trial_timeout, left) if limit is not None]
    return time.time() + min(limits) if limits else None


def _suggest_block(config, state: HyperoptState, missing: list[int], features: dict[str, dict[str, Any]],
                   deadline: Optional[float]) -> tuple[list[tuple[TrialRequest, Optional[float]]], dict[int, dict]]:
    """A request for each missing trial id, each suggested with its own derived seed."""
    folds = tuple(range(config.search.tune_folds))
    n_startup = startup_trials(config)
    requests, suggested = [], {}
    for tid in missing:
        vals, point = state.suggest(tid, config.search.algo, derive_seed(config.seed, "suggest", tid), n_startup)
        suggested[tid] = vals
        request = TrialRequest(trial_id=tid, stage="tune", family=point["family"], params=point["params"],
                               feature=features[point["family"]], folds=folds, track_curve=config.search.early_stopping != "none")
        requests.append((request, deadline))
    return requests, suggested
