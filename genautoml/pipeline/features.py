"""features: the tuned family scored by cv on each candidate representation; the best wins.

The default representation's score is the one tune already computed on all folds.
"""

from __future__ import annotations

import time
from typing import Any

from genautoml.data.base import feature_label
from genautoml.pipeline.context import Context
from genautoml.pipeline.scoring import feature_candidates, metric, ranked, score
from genautoml.search.trial import TrialRequest


def run(ctx: Context) -> dict[str, Any]:
    tune = ctx.artifact("tune")
    chosen = tune["chosen"]
    selection = metric(ctx)
    folds = tuple(range(ctx.config.search.cv_folds))
    features = feature_candidates(ctx)
    ctx.ui.stage("features", f"{len(features)} representations for {chosen['family']}, {len(folds)} folds")
    key = ctx.stage_key("features")
    previous = ctx.artifact("features") or {}
    done = {_label(ctx, r["feature"]): r for r in previous.get("records", []) if previous.get("key") == key}
    records = []
    for i, feature in enumerate(features):
        label = _label(ctx, feature)
        record = done.get(label)
        if record is None and i == 0:
            record = {"id": 0, "stage": "features", "family": chosen["family"], "params": chosen["params"],
                      "feature": feature, "status": "ok", "figure": chosen["figure"],
                      "loss": selection.loss(chosen["figure"]), "seconds": 0.0, "error": None, "reused": True}
        if record is None:
            # A representation the family handles badly (huge outputs) must not hang the stage.
            timeout = ctx.config.search.trial_timeout
            record = score(ctx, TrialRequest(i, "features", chosen["family"], chosen["params"], feature, folds),
                           deadline=None if timeout is None else time.time() + timeout)
        record["label"] = label
        records.append(record)
        best = ranked(records)[0]
        ctx.ui.trial({**record, "family": label}, len(records), len(features),
                     {**best, "family": best["label"]} if best["status"] == "ok" else None)
        ctx.run.write_json("features.json", _artifact(key, selection, records, complete=False))
    artifact = _artifact(key, selection, records, complete=True)
    ctx.run.write_json("features.json", artifact)
    show(ctx, artifact)
    return artifact


def _label(ctx: Context, feature: dict[str, Any]) -> str:
    return feature_label(ctx.modality.feature_model.model_validate(feature))


def _artifact(key: str, selection, records: list[dict[str, Any]], complete: bool) -> dict[str, Any]:
    order = ranked(records)
    return {
        "key": key,
        "complete": complete,
        "metric": selection.name,
        "leaderboard": [{"rank": i, "feature": r["label"], "figure": r.get("figure"), "status": r["status"],
                         "error": r.get("error")} for i, r in enumerate(order, start=1)],
        "chosen": order[0]["feature"],
        "chosen_label": order[0]["label"],
        "records": records,
    }


def show(ctx: Context, artifact: dict[str, Any]) -> None:
    ctx.ui.table(f"features ({artifact['metric']}, mean over folds)", ["rank", "representation", artifact["metric"], "status"],
                 [(r["rank"], r["feature"], r["figure"], r["status"]) for r in artifact["leaderboard"]])
    ctx.ui.note(f"chosen representation: {artifact['chosen_label']}")
