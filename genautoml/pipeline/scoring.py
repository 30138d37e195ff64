"""Shared by the stages that score candidates: the candidates, the selection metric, one score."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from genautoml.pipeline.context import Context
from genautoml.pipeline.events import EpochProgress
from genautoml.pipeline.trial import run_trial, selection_metric
from genautoml.records import TrialRecord, TrialRequest


def default_feature(ctx: Context) -> dict[str, Any]:
    """The first candidate representation: what cv and tune train on."""
    return feature_candidates(ctx)[0]


def feature_candidates(ctx: Context) -> list[dict[str, Any]]:
    return list(ctx.resolved["features"])


def metric(ctx: Context):
    return selection_metric(ctx.config, ctx.modality)


def check_likelihood_selection(ctx: Context, feature: dict[str, Any], where: str) -> None:
    """Refuse (ConfigError) a likelihood selection metric on a representation that does not
    report one for these data (genautoml/data/image.py: bits of other data are not given),
    before any training: otherwise every trial would fail the same way."""
    from genautoml.errors import ConfigError

    selection = metric(ctx)
    if selection.kind != "likelihood":
        return
    modality = ctx.modality
    representation = modality.representation(modality.feature_model.model_validate(feature))
    if not representation.fit(ctx.dataset.fold_raw(0)[0]).reports_likelihood:
        raise ConfigError(f"search.metric: {selection.name} is not reported for the representation {where} "
                          f"({representation.label}): it does not keep every value of these data, so its "
                          "likelihood would be of other data; choose a representation that keeps them "
                          "(images on a grid of values: intensity: levels with levels: the grid's steps + 1) "
                          "or a sample metric")


def score(ctx: Context, request: TrialRequest, *, stopper=None, deadline: Optional[float] = None,
          cut_at: Optional[float] = None) -> TrialRecord:
    return run_trial(ctx.config, ctx.dataset, request, device=ctx.device, stopper=stopper, deadline=deadline,
                     observe=epoch_observer(ctx, request), cut_at=cut_at)


def epoch_observer(ctx: Context, request: TrialRequest):
    """Tells ``ctx.events`` of every epoch of ``request``'s training (a progress display)."""
    planned, folds = request.params.get("epochs"), len(request.folds)

    def observe(fold: int, epoch: int, figure: Optional[float]) -> None:
        ctx.events.epoch(EpochProgress(request.family, epoch, planned, request.folds.index(fold), folds, figure))

    return observe


def spread(record: TrialRecord, name: str) -> Optional[float]:
    """The standard deviation of ``name`` over the record's folds (None for one fold)."""
    values = record.fold_metrics(name)
    return float(np.std(values)) if len(values) > 1 else None
