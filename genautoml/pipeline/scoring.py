"""Shared by the stages that score candidates: the candidates, the selection metric, one score."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from genautoml.pipeline.context import Context
from genautoml.pipeline.events import EpochProgress
from genautoml.pipeline.trial import run_trial, selection_metric
from genautoml.records import TrialRecord, TrialRequest


def default_feature(ctx: Context) -> dict[str, Any]:
    """The first candidate representation: what cv and tune train on (every family that can model it)."""
    return feature_candidates(ctx)[0]


def feature_candidates(ctx: Context) -> list[dict[str, Any]]:
    return list(ctx.resolved["features"])


def family_feature(ctx: Context, family: str) -> dict[str, Any]:
    """What cv and tune train ``family`` on: the first candidate representation it can model
    (the first of all for nearly every family; ``ddsp`` synthesizes waveform samples and
    cannot model mel frames). ConfigError, naming the ``models:`` entry, when none."""
    for feature in family_features(ctx, family, first_only=True):
        return feature
    from genautoml.errors import ConfigError

    where = next((f"models.{i}.family" for i, entry in enumerate(ctx.config.models) if entry.family == family), "family")
    labels = ", ".join(label_of(ctx, f) for f in feature_candidates(ctx))
    raise ConfigError(f"{where}: {family!r} can model none of the candidate representations "
                      f"({labels}); add one it can model to features: (`genautoml models` says what each family needs)")


def family_features(ctx: Context, family: str, *, first_only: bool = False) -> list[dict[str, Any]]:
    """The candidate representations ``family`` can model, in the config's order."""
    from genautoml.models.registry import get_family

    cls, usable = get_family(family), []
    for feature in feature_candidates(ctx):
        if cls.supports(encoded_spec(ctx, feature)):
            usable.append(feature)
            if first_only:
                break
    return usable


def encoded_spec(ctx: Context, feature: dict[str, Any]):
    """The spec of ``feature``'s encoding of these data (fit on fold 0's training part, once a process)."""
    import json

    key = json.dumps(feature, sort_keys=True)
    if key not in ctx.specs:
        modality = ctx.modality
        representation = modality.representation(modality.feature_model.model_validate(feature))
        ctx.specs[key] = representation.fit(ctx.dataset.fold_raw(0)[0]).spec
    return ctx.specs[key]


def label_of(ctx: Context, feature: dict[str, Any]) -> str:
    """A representation's label, e.g. representation=mel+n_mels=32."""
    from genautoml.data.base import feature_label

    return feature_label(ctx.modality.feature_model.model_validate(feature))


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
          cut_at: Optional[float] = None, kept=None) -> TrialRecord:
    return run_trial(ctx.config, ctx.dataset, request, device=ctx.device, stopper=stopper, deadline=deadline,
                     observe=epoch_observer(ctx, request), cut_at=cut_at, kept=kept)


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
