"""features: the tuned family scored by cv on each candidate representation; the best wins
(by the separability and copy guards of genautoml/pipeline/guard.py, then by the figure).

The default representation's score is the one tune already computed on all folds.
"""

from __future__ import annotations

import time
from typing import Any, Optional

from genautoml.pipeline.context import Context
from genautoml.pipeline.events import TrialProgress
from genautoml.pipeline.guard import ruled_out
from genautoml.pipeline.scoring import family_features, label_of, metric, score
from genautoml.records import TrialRecord, TrialRequest, ranked


def run(ctx: Context) -> dict[str, Any]:
    tune = ctx.artifact("tune")
    chosen = tune["chosen"]
    folds = tuple(range(ctx.config.search.cv_folds))
    features = family_features(ctx, chosen["family"])  # the first is the one tune trained on
    ctx.events.stage("features", f"{len(features)} representations for {chosen['family']}, {len(folds)} folds")
    key = ctx.stage_key("features")
    previous = ctx.artifact("features") or {}
    done = {label_of(ctx, r["feature"]): TrialRecord.from_json(r)
            for r in previous.get("records", []) if previous.get("key") == key}
    records: list[TrialRecord] = []
    skipped: list[str] = []
    budget = ctx.budget("features")
    started = time.time() - sum(r.seconds for r in done.values())  # earlier sessions count
    # One more representation costs about what the chosen model took on every fold.
    predicted = float(chosen.get("seconds") or 0.0)
    for i, feature in enumerate(features):
        label = label_of(ctx, feature)
        if label not in done and i and budget is not None and time.time() - started + predicted > budget:
            ctx.events.note(f"features: the plan's {budget:.0f} s cannot pay for another representation "
                            f"(about {predicted:.0f} s each); {len(features) - i} not compared")
            skipped = [label_of(ctx, f) for f in features[i:]]
            break
        record = done.get(label) or _score(ctx, i, feature, chosen, folds, _deadline(ctx, started, budget))
        record.label = label
        records.append(record)
        best = _ranked(ctx, records, chosen)[0]
        ctx.events.trial(TrialProgress(record, len(records), len(features), best if best.ok else None,
                                       label=label, best_label=best.label or ""))
        ctx.run.write_json("features.json", _artifact(key, metric(ctx), _ranked(ctx, records, chosen), records,
                                                      complete=False))
    artifact = _artifact(key, metric(ctx), _ranked(ctx, records, chosen), records, complete=True)
    artifact["not_compared"] = skipped  # what the plan's share could not pay for
    # scored on every cv fold as cv was: cv's floor is theirs (sample figures of images and
    # sound do not depend on the representation: real examples are scored as they are)
    artifact["floor"] = (ctx.artifact("cv").get("floor") or {}).get(metric(ctx).name)
    ctx.run.write_json("features.json", artifact)
    return artifact


def _deadline(ctx: Context, started: float, budget: Optional[float]) -> Optional[float]:
    """The trial timeout or the end of the plan's share, whichever comes first. A
    representation the family handles badly (huge outputs) must not hang the stage."""
    limits = []
    if ctx.config.search.trial_timeout is not None:
        limits.append(time.time() + ctx.config.search.trial_timeout)
    if budget is not None:
        limits.append(started + budget)
    return min(limits) if limits else None


def _score(ctx: Context, i: int, feature: dict[str, Any], chosen: dict[str, Any], folds: tuple[int, ...],
           deadline: Optional[float]) -> TrialRecord:
    if i == 0:  # the representation tune used: its figure on all folds is the chosen one's
        return TrialRecord(id=0, stage="features", family=chosen["family"], params=chosen["params"], feature=feature,
                           figure=chosen["figure"], loss=metric(ctx).loss(chosen["figure"]), reused=True)
    return score(ctx, TrialRequest(i, "features", chosen["family"], chosen["params"], feature, folds, metrics="all"),
                 deadline=deadline)


def _ranked(ctx: Context, records: list[TrialRecord], chosen: dict[str, Any]) -> list[TrialRecord]:
    """Best first: samples neither separable from real ones nor copies before the others, then by the
    figure; failures last. The reused record's metrics are tune's choice's, on all folds."""
    def metrics(record: TrialRecord) -> dict[str, float]:
        return chosen.get("metrics", {}) if record.reused else record.mean_metrics()

    order = ranked(records)
    ok = [r for r in order if r.ok and r.loss is not None]
    ok.sort(key=lambda r: ruled_out(ctx.config, metrics(r)))  # stable: by loss within each group
    return ok + [r for r in order if r not in ok]


def _artifact(key: str, selection, order: list[TrialRecord], records: list[TrialRecord],
              complete: bool) -> dict[str, Any]:
    return {
        "key": key,
        "complete": complete,
        "metric": selection.name,
        "leaderboard": [{"rank": i, "feature": r.label, "figure": r.figure, "status": r.status.value,
                         "error": r.error} for i, r in enumerate(order, start=1)],
        "chosen": order[0].feature,
        "chosen_label": order[0].label,
        "seconds": round(sum(r.seconds for r in records), 2),
        "records": [r.to_json() for r in records],
    }
