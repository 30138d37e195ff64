"""cv: every candidate family at its default parameters, k-fold cross-validated, ranked.

cv.json is rewritten after each family (``complete: false`` until the last), so an
interrupted cv keeps the families it finished.
"""

from __future__ import annotations

from typing import Any

from genautoml.errors import SearchFailed
from genautoml.pipeline.context import Context
from genautoml.pipeline.events import TrialProgress
from genautoml.pipeline.resolve import candidates
from genautoml.pipeline.scoring import default_feature, metric, score, spread
from genautoml.records import TrialRecord, TrialRequest, ranked


def run(ctx: Context) -> dict[str, Any]:
    selection = metric(ctx)
    folds = tuple(range(ctx.config.search.cv_folds))
    feature = default_feature(ctx)
    ctx.events.stage("cv", f"{len(ctx.config.models)} families x {len(folds)} folds, "
                           f"metric {selection.name} ({selection.direction})")
    key = ctx.stage_key("cv")
    previous = ctx.artifact("cv") or {}
    done = {r["family"]: TrialRecord.from_json(r) for r in previous.get("records", []) if previous.get("key") == key}
    records = []
    for i, candidate in enumerate(candidates(ctx.config)):
        record = done.get(candidate.family)
        if record is None:
            request = TrialRequest(i, "cv", candidate.family, candidate.default_params(), feature, folds, metrics="all")
            record = score(ctx, request)
        records.append(record)
        best = ranked(records)[0]
        ctx.events.trial(TrialProgress(record, len(records), len(ctx.config.models),
                                       best if best.figure is not None else None))
        ctx.run.write_json("cv.json", _artifact(ctx, key, selection, records, complete=False))
    artifact = _artifact(ctx, key, selection, records, complete=True)
    if not artifact["leaderboard"] or artifact["leaderboard"][0]["status"] != "ok":
        reasons = "; ".join(f"{r.family}: {r.error}" for r in records)
        raise SearchFailed(f"cv: every family failed ({reasons})")
    ctx.run.write_json("cv.json", artifact)
    return artifact


def _artifact(ctx: Context, key: str, selection, records: list[TrialRecord], complete: bool) -> dict[str, Any]:
    leaderboard = [
        {
            "rank": rank,
            "family": r.family,
            "figure": r.figure,
            "std": spread(r, selection.name),
            "status": r.status.value,
            "error": r.error,
            "metrics": r.mean_metrics(),
            "seconds": r.seconds,
        }
        for rank, r in enumerate(ranked(records), start=1)
    ]
    return {
        "key": key,
        "complete": complete,
        "metric": selection.name,
        "direction": selection.direction,
        "feature": default_feature(ctx),
        "leaderboard": leaderboard,
        "records": [r.to_json() for r in records],
    }
