"""features: the tuned family scored by cv on each candidate representation; the best wins.

The default representation's score is the one tune already computed on all folds.
"""

from __future__ import annotations

import time
from typing import Any

from genautoml.data.base import feature_label
from genautoml.pipeline.context import Context
from genautoml.pipeline.events import TrialProgress
from genautoml.pipeline.scoring import feature_candidates, metric, score
from genautoml.records import TrialRecord, TrialRequest, ranked


def run(ctx: Context) -> dict[str, Any]:
    tune = ctx.artifact("tune")
    chosen = tune["chosen"]
    folds = tuple(range(ctx.config.search.cv_folds))
    features = feature_candidates(ctx)
    ctx.events.stage("features", f"{len(features)} representations for {chosen['family']}, {len(folds)} folds")
    key = ctx.stage_key("features")
    previous = ctx.artifact("features") or {}
    done = {_label(ctx, r["feature"]): TrialRecord.from_json(r)
            for r in previous.get("records", []) if previous.get("key") == key}
    records: list[TrialRecord] = []
    for i, feature in enumerate(features):
        label = _label(ctx, feature)
        record = done.get(label) or _score(ctx, i, feature, chosen, folds)
        record.label = label
        records.append(record)
        best = ranked(records)[0]
        ctx.events.trial(TrialProgress(record, len(records), len(features), best if best.ok else None,
                                       label=label, best_label=best.label or ""))
        ctx.run.write_json("features.json", _artifact(key, metric(ctx), records, complete=False))
    artifact = _artifact(key, metric(ctx), records, complete=True)
    ctx.run.write_json("features.json", artifact)
    return artifact


def _score(ctx: Context, i: int, feature: dict[str, Any], chosen: dict[str, Any], folds: tuple[int, ...]) -> TrialRecord:
    if i == 0:  # the representation tune used: its figure on all folds is the chosen one's
        return TrialRecord(id=0, stage="features", family=chosen["family"], params=chosen["params"], feature=feature,
                           figure=chosen["figure"], loss=metric(ctx).loss(chosen["figure"]), reused=True)
    # A representation the family handles badly (huge outputs) must not hang the stage.
    timeout = ctx.config.search.trial_timeout
    return score(ctx, TrialRequest(i, "features", chosen["family"], chosen["params"], feature, folds),
                 deadline=None if timeout is None else time.time() + timeout)


def _label(ctx: Context, feature: dict[str, Any]) -> str:
    return feature_label(ctx.modality.feature_model.model_validate(feature))


def _artifact(key: str, selection, records: list[TrialRecord], complete: bool) -> dict[str, Any]:
    order = ranked(records)
    return {
        "key": key,
        "complete": complete,
        "metric": selection.name,
        "leaderboard": [{"rank": i, "feature": r.label, "figure": r.figure, "status": r.status.value,
                         "error": r.error} for i, r in enumerate(order, start=1)],
        "chosen": order[0].feature,
        "chosen_label": order[0].label,
        "records": [r.to_json() for r in records],
    }
