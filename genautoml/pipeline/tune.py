"""tune: hyperopt over one conditional space of the best cv families, then re-score the winner.

Every finished trial is appended to trials.jsonl before the next one starts; a resumed
tune rebuilds hyperopt's state from that file and goes on where it stopped.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any, Optional

from genautoml.errors import SearchFailed
from genautoml.pipeline.context import Context
from genautoml.pipeline.cv import scalable
from genautoml.pipeline.events import TrialProgress
from genautoml.pipeline.floor import mean_floor
from genautoml.pipeline.guard import ruled_out
from genautoml.pipeline.resolve import candidates
from genautoml.pipeline.scoring import epoch_observer, family_feature, metric, score
from genautoml.pipeline.trial import WorkerTrial, run_trial_after
from genautoml.records import Status, TrialRecord, TrialRequest, best_per_family, ranked
from genautoml.schema.space import ParamSpace
from genautoml.search.executors import ProcessPool, sequential
from genautoml.search.store import TrialStore
from genautoml.search.tuner import Budget, run_search, wall_seconds


def carried_families(ctx: Context, cv: dict[str, Any]) -> list[str]:
    ok = [row["family"] for row in cv["leaderboard"] if row["status"] == "ok"]
    return ok[: ctx.config.search.top_k]


def tune_space(ctx: Context, cv: dict[str, Any], families: list[str]) -> dict[str, dict[str, ParamSpace]]:
    """Each carried family's space, its fixed parameters as constants. A family whose epochs
    are alike is tuned at the epochs cv ranked it at, unless the config's own ``space:``
    searches epochs: the length of training is the fidelity, which cv's rungs and final
    training's extension set, not a hyperparameter for TPE to propose (as in BOHB). Left to
    TPE, epochs made most proposals cost many times the defaults: in the digits main job,
    diffusion trials of 150 to 900 epochs against cv's 300, none of which fitted tune's time
    limit (docs/benchmarks.md). With ``train.extend`` off, the tuned epochs are the final
    ones, so tune searches them where cv stayed at the defaults (x1)."""
    by_family = {c.family: c for c in candidates(ctx.config)}
    entries = {entry.family: entry for entry in ctx.config.models}
    extends = ctx.config.train.extend
    epochs_at = {row["family"]: row["epochs"] for row in cv["leaderboard"]
                 if row.get("epochs") is not None and (extends or (row.get("fidelity") or 1) > 1)}
    space = {}
    for family in families:
        candidate = by_family[family]
        space[family] = {**{k: ParamSpace(const=v) for k, v in candidate.fixed.items()}, **candidate.space}
        if scalable(candidate) and family in epochs_at and not _own_epochs_space(entries[family]):
            space[family]["epochs"] = ParamSpace(const=epochs_at[family])
    return space


def _own_epochs_space(entry) -> bool:
    """Whether the config's own ``space:`` searches epochs. A resolved config (config.yaml of
    a run) holds the family's whole default space too, so only a range other than the
    family's default counts as the user's."""
    from genautoml.models.registry import get_family

    spec = entry.space.get("epochs")
    default = get_family(entry.family).default_space.get("epochs")
    return spec is not None and (default is None or spec != ParamSpace.model_validate(default))


def run(ctx: Context) -> dict[str, Any]:
    cv = ctx.artifact("cv")
    search = ctx.config.search
    families = carried_families(ctx, cv)
    space = tune_space(ctx, cv, families)
    budget = ctx.budget("tune")
    ctx.events.stage(
        "tune",
        f"{search.algo} over {', '.join(families)}; {search.max_trials} trials, "
        f"{'no' if budget is None else f'{budget:.0f} s'} budget, early stopping {search.early_stopping}"
        + (f" ({search.brackets} brackets)" if search.early_stopping == "asha" else ""),
    )
    store = TrialStore(ctx.run / "trials.jsonl", warn=ctx.events.warn)
    records = [r for r in store.load() if r.stage == "tune"]
    if records:
        ctx.events.note(f"resuming: {len(records)} finished trials read from {store.path}")
    elif (short := too_short(ctx, cv, budget)) is not None:
        ctx.events.note(f"tune skipped: {short}; cv's choice stands and the time goes to the stages after")
        artifact = _cv_stands(ctx, cv, families, [], f"skipped: {short}")
        artifact["seconds"] = 0.0
        ctx.run.write_json("tune.json", artifact)
        return artifact
    earlier_seconds = wall_seconds(records, search.parallel)  # spent by earlier sessions
    started = time.perf_counter()

    def on_record(record: TrialRecord) -> None:
        store.append(record)
        ctx.events.trial(_progress(ctx, record, records))

    executor = _executor(ctx)
    try:
        stopped_by = run_search(
            ctx.config, space, {family: family_feature(ctx, family) for family in space}, records, executor, on_record,
            Budget(search.max_trials, budget, search.trial_timeout, reserve=_rescoring_time(ctx, cv),
                   rescore_factor=search.cv_folds / search.tune_folds), metric(ctx).direction,
            parallel=search.parallel,
        )
    finally:
        if hasattr(executor, "close"):
            executor.close()
    artifact = _finish(ctx, cv, families, records, stopped_by)
    artifact["seconds"] = round(earlier_seconds + time.perf_counter() - started, 2)
    ctx.run.write_json("tune.json", artifact)
    return artifact


#: tune runs only when its share pays for at least this many trials at the cost of cv's
#: winner: fewer are random draws beside the defaults (TPE's model needs more), and a trial
#: larger than the defaults hits its time limit and buys nothing
MIN_AFFORDABLE_TRIALS = 3


def too_short(ctx: Context, cv: dict[str, Any], budget: Optional[float]) -> Optional[str]:
    """Why tune's share of the budget cannot pay for MIN_AFFORDABLE_TRIALS trials, or None.

    A trial costs what cv's winner took per fold, times the tune folds; the re-scoring of
    the best on every fold is kept free first, as the trials themselves keep it
    (genautoml/search/tuner.py Budget). In the main jobs on two cores tune's share used to
    buy three or four trials that all hit their time limit (docs/benchmarks.md)."""
    if budget is None:
        return None
    search, best = ctx.config.search, _cv_best(cv)
    per_fold = float(best["seconds"]) / (len(best.get("folds") or []) or search.cv_folds)
    trial, rescoring = per_fold * search.tune_folds, per_fold * search.cv_folds
    affordable = (budget - rescoring) / max(trial, 1e-9)
    if affordable >= MIN_AFFORDABLE_TRIALS:
        return None
    return (f"its {budget:.0f} s pay for {max(0.0, affordable):.1f} trials at cv's winner's "
            f"{trial:.0f} s (after {rescoring:.0f} s kept to re-score the best), fewer than {MIN_AFFORDABLE_TRIALS}")


def _rescoring_time(ctx: Context, cv: dict[str, Any]):
    """What re-scoring the best trial on every cv fold will take: its seconds per fold, times
    the folds; before any trial finished, what cv's winner took on every fold. Kept free at
    the end of tune's budget so the stage ends within it."""
    folds = ctx.config.search.cv_folds / ctx.config.search.tune_folds

    def reserve(records: list[TrialRecord]) -> float:
        best = ranked(records)
        return best[0].seconds * folds if best and best[0].ok else float(_cv_best(cv)["seconds"])

    return reserve


def _executor(ctx: Context):
    """Where the trials run: here, in a pool of worker processes, or on Ray."""
    search = ctx.config.search
    if search.executor == "ray":
        from genautoml.search.ray_executor import RayExecutor

        worker = WorkerTrial(ctx.config, ctx.base_dir, device="cuda" if search.resources.gpu > 0 else "cpu",
                             threads=max(1, int(search.resources.cpu)))
        return RayExecutor(search, worker)
    if search.parallel > 1:
        worker = WorkerTrial(ctx.config, ctx.base_dir, device=ctx.device, threads=search.threads)
        return ProcessPool(worker, search.parallel)

    def here(request: TrialRequest, deadline, history) -> TrialRecord:
        return run_trial_after(ctx.config, ctx.dataset, request, history, device=ctx.device, deadline=deadline,
                               observe=epoch_observer(ctx, request))

    return sequential(here)


def _progress(ctx: Context, record: TrialRecord, records: list[TrialRecord]) -> TrialProgress:
    search = ctx.config.search
    remaining, budget = None, ctx.budget("tune")
    if budget is not None:
        remaining = max(0.0, budget - wall_seconds(records, search.parallel))
    best = ranked(records)[0]
    return TrialProgress(
        record, len(records), search.max_trials, best if best.ok else None, remaining=remaining,
        counts=dict(Counter(r.status.value for r in records)),
        per_family={family: r.figure for family, r in best_per_family(records).items()},
    )


def _finish(ctx: Context, cv: dict[str, Any], families: list[str], records: list[TrialRecord],
            stopped_by: str) -> dict[str, Any]:
    """Re-score the best trial on every fold, choose tuned or defaults, and build tune.json."""
    search, selection = ctx.config.search, metric(ctx)
    ok = [r for r in records if r.ok]
    # The plan's share paid for no trial, or every trial was stopped by time or by the rule
    # before it finished: that says nothing against cv's winner, which stands.
    if not ok and all(r.status is not Status.FAILED for r in records):
        ctx.events.note(f"tune: no trial finished within the plan's share ({len(records)} stopped); cv's choice stands")
        return _cv_stands(ctx, cv, families, records, stopped_by)
    if not ok:
        reasons = Counter(f"{r.status.value}: {r.error}" for r in records)
        summary = "; ".join(f"{n}x {reason}" for reason, n in reasons.most_common(3))
        raise SearchFailed(f"tune: all {len(records)} trials failed or stopped ({summary})")
    best, per_family = ranked(ok)[0], best_per_family(ok)
    ctx.events.note(f"tune stopped by {stopped_by}; re-scoring trial #{best.id} ({best.family}) on {search.cv_folds} folds")
    rescored = score(ctx, TrialRequest(best.id, "rescore", best.family, best.params, family_feature(ctx, best.family),
                                       tuple(range(search.cv_folds)), metrics="all"))
    return {
        "key": ctx.stage_key("tune"),
        "metric": selection.name,
        "direction": selection.direction,
        "families": families,
        "stopped_by": stopped_by,
        "trials": len(records),
        "counts": dict(Counter(r.status.value for r in records)),
        "best": _brief(best),
        "best_per_family": {f: _brief(per_family[f]) for f in families if f in per_family},
        "rescored": {**_brief(rescored), "metrics": rescored.mean_metrics()},
        "chosen": _choose(ctx, cv, rescored, selection),
        # real data's figure where the trials were scored (the tune folds), and where the
        # chosen figure is (every cv fold: cv's floor)
        "floor": mean_floor(cv.get("floor_per_fold") or [], search.tune_folds).get(selection.name),
        "floor_all_folds": (cv.get("floor") or {}).get(selection.name),
    }


def _cv_stands(ctx: Context, cv: dict[str, Any], families: list[str], records: list[TrialRecord],
               stopped_by: str) -> dict[str, Any]:
    """tune.json when no trial can say anything against cv's winner: it is the choice."""
    selection = metric(ctx)
    return {"key": ctx.stage_key("tune"), "metric": selection.name, "direction": selection.direction,
            "families": families, "stopped_by": stopped_by, "trials": len(records),
            "counts": dict(Counter(r.status.value for r in records)), "best": None,
            "best_per_family": {}, "rescored": None, "chosen": _cv_choice(cv)}


def _brief(record: TrialRecord) -> dict[str, Any]:
    return {"id": record.id, "family": record.family, "params": record.params, "figure": record.figure,
            "status": record.status.value, "seconds": record.seconds}


def _choose(ctx: Context, cv: dict[str, Any], rescored: TrialRecord, selection) -> dict[str, Any]:
    """The tuned winner, unless cv's winner at its defaults is better on the same folds:
    first by whether their samples are separable from real ones or copies (genautoml/pipeline/guard.py),
    then by the figure.

    Tune trials see one holdout fold; the winner may have been lucky on it. Comparing on all
    cv folds keeps tuning from ever choosing something worse than cv already found.
    """
    cv_best = _cv_best(cv)
    if rescored.ok:
        tuned_out = ruled_out(ctx.config, rescored.mean_metrics())
        default_out = ruled_out(ctx.config, TrialRecord.from_json(cv_best).mean_metrics())
        if (tuned_out, selection.loss(rescored.figure)) <= (default_out, selection.loss(cv_best["figure"])):
            return {"source": "tuned", "trial": rescored.id, "family": rescored.family, "params": rescored.params,
                    "figure": rescored.figure, "seconds": rescored.seconds, "metrics": rescored.mean_metrics()}
    return _cv_choice(cv)


def _cv_best(cv: dict[str, Any]) -> dict[str, Any]:
    """cv's winner: its record at the highest rung it reached."""
    return next(r for r in cv["records"] if r["id"] == cv["leaderboard"][0]["trial"])


def _cv_choice(cv: dict[str, Any]) -> dict[str, Any]:
    cv_best = _cv_best(cv)
    return {"source": "cv defaults", "trial": None, "family": cv_best["family"], "params": cv_best["params"],
            "figure": cv_best["figure"], "seconds": cv_best["seconds"],
            "metrics": TrialRecord.from_json(cv_best).mean_metrics()}
