"""tune: hyperopt over one conditional space of the best cv families, then re-score the winner.

Every finished trial is appended to trials.jsonl before the next one starts; a resumed
tune rebuilds hyperopt's state from that file and goes on where it stopped.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from genautoml.errors import SearchFailed
from genautoml.pipeline.context import Context
from genautoml.pipeline.resolve import candidates
from genautoml.pipeline.scoring import default_feature, mean_metrics, metric, ranked, score
from genautoml.schema.space import ParamSpace
from genautoml.search.executors import ProcessPool
from genautoml.search.store import TrialStore
from genautoml.search.trial import TrialRequest, run_trial_after
from genautoml.search.tuner import Budget, run_search, sequential


def carried_families(ctx: Context, cv: dict[str, Any]) -> list[str]:
    ok = [row["family"] for row in cv["leaderboard"] if row["status"] == "ok"]
    return ok[: ctx.config.search.top_k]


def run(ctx: Context) -> dict[str, Any]:
    cv = ctx.artifact("cv")
    selection = metric(ctx)
    search = ctx.config.search
    families = carried_families(ctx, cv)
    by_family = {c.family: c for c in candidates(ctx.config)}
    space = {
        family: {**{k: ParamSpace(const=v) for k, v in by_family[family].fixed.items()}, **by_family[family].space}
        for family in families
    }
    ctx.ui.stage(
        "tune",
        f"{search.algo} over {', '.join(families)}; {search.max_trials} trials, "
        f"{search.time_budget or 'no'} s budget, early stopping {search.early_stopping}",
    )
    store = TrialStore(ctx.run / "trials.jsonl", warn=ctx.ui.warn)
    records = [r for r in store.load() if r.get("stage") == "tune"]
    if records:
        ctx.ui.note(f"resuming: {len(records)} finished trials read from {store.path}")
    feature = default_feature(ctx)
    earlier_seconds = sum(r.get("seconds", 0) for r in records)  # spent by earlier sessions
    started = time.perf_counter()

    def run_one(request: TrialRequest, deadline: float | None) -> dict[str, Any]:
        return run_trial_after(ctx.config, ctx.dataset, request, records, device=ctx.device, deadline=deadline)

    def on_record(record: dict[str, Any]) -> None:
        store.append(record)
        counts = Counter(r["status"] for r in records)
        remaining = None
        if search.time_budget is not None:
            remaining = max(0.0, search.time_budget - sum(r.get("seconds", 0) for r in records))
        best = ranked(records)[0]
        per_family = {}
        for r in ranked(records):
            if r["status"] == "ok":
                per_family.setdefault(r["family"], r["figure"])
        ctx.ui.trial(record, len(records), search.max_trials, best if best["status"] == "ok" else None, remaining, counts,
                     per_family)

    executor = sequential(run_one)
    if search.executor == "ray":
        from genautoml.search.ray_executor import RayExecutor

        executor = RayExecutor(ctx.config, ctx.base_dir, history=lambda: records)
    elif search.parallel > 1:
        executor = ProcessPool(ctx.config, ctx.base_dir, search.parallel, ctx.device, history=lambda: records)
    try:
        stopped_by = run_search(
            ctx.config, space, feature, records, executor, on_record,
            Budget(search.max_trials, search.time_budget, search.trial_timeout), parallel=search.parallel,
        )
    finally:
        if hasattr(executor, "close"):
            executor.close()
    ok = [r for r in records if r["status"] == "ok"]
    if not ok:
        reasons = Counter(f"{r['status']}: {r.get('error')}" for r in records)
        summary = "; ".join(f"{n}x {reason}" for reason, n in reasons.most_common(3))
        raise SearchFailed(f"tune: all {len(records)} trials failed or stopped ({summary})")
    best = ranked(ok)[0]
    ctx.ui.note(f"tune stopped by {stopped_by}; re-scoring trial #{best['id']} ({best['family']}) on {search.cv_folds} folds")
    rescored = score(ctx, TrialRequest(best["id"], "rescore", best["family"], best["params"], feature,
                                       tuple(range(search.cv_folds)), metrics="all"))
    chosen = _choose(ctx, cv, best, rescored, selection)
    counts = Counter(r["status"] for r in records)
    artifact = {
        "key": ctx.stage_key("tune"),
        "metric": selection.name,
        "direction": selection.direction,
        "families": families,
        "stopped_by": stopped_by,
        "trials": len(records),
        "counts": dict(counts),
        "seconds": round(earlier_seconds + time.perf_counter() - started, 2),
        "best": _brief(best),
        "best_per_family": {f: _brief(ranked([r for r in ok if r["family"] == f])[0])
                            for f in families if any(r["family"] == f for r in ok)},
        "rescored": {**_brief(rescored), "metrics": mean_metrics(rescored)},
        "chosen": chosen,
    }
    ctx.run.write_json("tune.json", artifact)
    show(ctx, artifact)
    return artifact


def _brief(record: dict[str, Any]) -> dict[str, Any]:
    return {k: record.get(k) for k in ("id", "family", "params", "figure", "status", "seconds")}


def _choose(ctx: Context, cv: dict[str, Any], best: dict, rescored: dict, selection) -> dict[str, Any]:
    """The tuned winner, unless a family at its defaults scored better on the same folds.

    Tune trials see one holdout fold; the winner may have been lucky on it. Comparing on all
    cv folds keeps tuning from ever choosing something worse than cv already found.
    """
    cv_best = next(r for r in cv["records"] if r["family"] == cv["leaderboard"][0]["family"])
    if rescored["status"] == "ok" and not selection.better(cv_best["figure"], rescored["figure"]):
        return {"source": "tuned", "trial": rescored["id"], "family": rescored["family"],
                "params": rescored["params"], "figure": rescored["figure"]}
    return {"source": "cv defaults", "trial": None, "family": cv_best["family"],
            "params": cv_best["params"], "figure": cv_best["figure"]}


def show(ctx: Context, artifact: dict[str, Any]) -> None:
    rows = [(f, b["figure"], b["id"], ", ".join(f"{k}={v}" for k, v in sorted(b["params"].items())))
            for f, b in artifact["best_per_family"].items()]
    ctx.ui.table(f"tune: best per family ({artifact['metric']}, holdout fold)", ["family", artifact["metric"], "trial", "params"], rows)
    chosen = artifact["chosen"]
    ctx.ui.note(
        f"chosen: {chosen['family']} ({chosen['source']}) {artifact['metric']} {chosen['figure']:.4g} on all folds; "
        f"trials {artifact['trials']} {artifact['counts']}, stopped by {artifact['stopped_by']}"
    )
