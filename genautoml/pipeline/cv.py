"""cv: every candidate family at its default parameters, k-fold cross-validated, ranked.

cv.json is rewritten after each family (``complete: false`` until the last), so an
interrupted cv keeps the families it finished.
"""

from __future__ import annotations

from typing import Any

from genautoml.errors import SearchFailed
from genautoml.pipeline.context import Context
from genautoml.pipeline.resolve import candidates
from genautoml.pipeline.scoring import default_feature, mean_metrics, metric, ranked, score, spread
from genautoml.search.trial import TrialRequest


def run(ctx: Context) -> dict[str, Any]:
    selection = metric(ctx)
    folds = tuple(range(ctx.config.search.cv_folds))
    feature = default_feature(ctx)
    ctx.ui.stage("cv", f"{len(ctx.config.models)} families x {len(folds)} folds, metric {selection.name} ({selection.direction})")
    key = ctx.stage_key("cv")
    previous = ctx.artifact("cv") or {}
    done = {r["family"]: r for r in previous.get("records", []) if previous.get("key") == key}
    records = []
    for i, candidate in enumerate(candidates(ctx.config)):
        record = done.get(candidate.family)
        if record is None:
            request = TrialRequest(i, "cv", candidate.family, candidate.default_params(), feature, folds, metrics="all")
            record = score(ctx, request)
        records.append(record)
        best = ranked(records)[0]
        ctx.ui.trial(record, len(records), len(ctx.config.models), best if best.get("figure") is not None else None)
        ctx.run.write_json("cv.json", _artifact(ctx, key, selection, records, complete=False))
    artifact = _artifact(ctx, key, selection, records, complete=True)
    if not artifact["leaderboard"] or artifact["leaderboard"][0]["status"] != "ok":
        reasons = "; ".join(f"{r['family']}: {r['error']}" for r in records)
        raise SearchFailed(f"cv: every family failed ({reasons})")
    ctx.run.write_json("cv.json", artifact)
    show(ctx, artifact)
    return artifact


def _artifact(ctx: Context, key: str, selection, records: list[dict[str, Any]], complete: bool) -> dict[str, Any]:
    leaderboard = [
        {
            "rank": rank,
            "family": r["family"],
            "figure": r.get("figure"),
            "std": spread(r, selection.name),
            "status": r["status"],
            "error": r.get("error"),
            "metrics": mean_metrics(r),
            "seconds": r.get("seconds"),
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
        "records": records,
    }


def show(ctx: Context, artifact: dict[str, Any]) -> None:
    names = sorted({n for row in artifact["leaderboard"] for n in row["metrics"]} - {artifact["metric"]})
    ctx.ui.table(
        f"cv leaderboard ({artifact['metric']}, {artifact['direction']}; mean over folds)",
        ["rank", "family", artifact["metric"], "±", *names, "seconds", "status"],
        [
            (row["rank"], row["family"], row["figure"], row["std"], *[row["metrics"].get(n) for n in names],
             row["seconds"], row["status"] if row["status"] == "ok" else f"{row['status']}: {row['error']}")
            for row in artifact["leaderboard"]
        ],
    )
