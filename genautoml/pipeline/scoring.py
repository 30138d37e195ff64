"""Shared by the stages that score candidates: the candidates, the selection metric, one score."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from genautoml.pipeline.context import Context
from genautoml.pipeline.trial import run_trial, selection_metric
from genautoml.records import TrialRecord, TrialRequest


def default_feature(ctx: Context) -> dict[str, Any]:
    """The first candidate representation: what cv and tune train on."""
    return feature_candidates(ctx)[0]


def feature_candidates(ctx: Context) -> list[dict[str, Any]]:
    return list(ctx.resolved["features"])


def metric(ctx: Context):
    return selection_metric(ctx.config, ctx.modality)


def score(ctx: Context, request: TrialRequest, *, stopper=None, deadline: Optional[float] = None) -> TrialRecord:
    return run_trial(ctx.config, ctx.dataset, request, device=ctx.device, stopper=stopper, deadline=deadline)


def spread(record: TrialRecord, name: str) -> Optional[float]:
    """The standard deviation of ``name`` over the record's folds (None for one fold)."""
    values = record.fold_metrics(name)
    return float(np.std(values)) if len(values) > 1 else None
