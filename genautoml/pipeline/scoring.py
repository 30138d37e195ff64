"""Shared by the stages that score candidates: requests, leaderboards, the selection metric."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from genautoml.pipeline.context import Context
from genautoml.search.trial import TrialRequest, run_trial, selection_metric


def default_feature(ctx: Context) -> dict[str, Any]:
    return feature_candidates(ctx)[0]


def feature_candidates(ctx: Context) -> list[dict[str, Any]]:
    return list(ctx.resolved["features"])


def metric(ctx: Context):
    return selection_metric(ctx.config, ctx.modality)


def score(ctx: Context, request: TrialRequest, *, stopper=None, deadline: Optional[float] = None) -> dict[str, Any]:
    return run_trial(ctx.config, ctx.dataset, request, device=ctx.device, stopper=stopper, deadline=deadline)


def mean_metrics(record: dict[str, Any]) -> dict[str, float]:
    """Per-metric mean over a record's folds."""
    names = {name for fold in record["folds"] for name in fold.get("metrics", {})}
    out = {}
    for name in sorted(names):
        values = [f["metrics"][name] for f in record["folds"] if f.get("metrics", {}).get(name) is not None]
        if values:
            out[name] = float(np.mean(values))
    return out


def spread(record: dict[str, Any], name: str) -> Optional[float]:
    values = [f["metrics"][name] for f in record["folds"] if f.get("metrics", {}).get(name) is not None]
    return float(np.std(values)) if len(values) > 1 else None


def ranked(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Finished records best first (by loss); failed ones last."""
    ok = sorted((r for r in records if r["status"] == "ok" and r.get("loss") is not None), key=lambda r: r["loss"])
    return ok + [r for r in records if r not in ok]
