"""train: the chosen family, parameters and representation on the non-test data (all of
it, or, when extended, most of it with the rest judging how long to train); scored once on
the held-out test split; model/, metrics.json and samples/ written."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Optional

import torch

from genautoml import __version__
from genautoml.models.registry import get_family
from genautoml.pipeline import checkpoint
from genautoml.pipeline.context import Context
from genautoml.pipeline.extend import ExtensionLog, can_extend, train_extended
from genautoml.pipeline.floor import real_data_floor
from genautoml.pipeline.interval import bootstrap_intervals
from genautoml.pipeline.refit import RefitLog, refit
from genautoml.pipeline.scoring import metric
from genautoml.pipeline.trial import Scorer, capped, train_and_score
from genautoml.seeds import derive_seed
from genautoml.words import count


def run(ctx: Context) -> dict[str, Any]:
    tune, features = ctx.artifact("tune"), ctx.artifact("features")
    family, params = tune["chosen"]["family"], tune["chosen"]["params"]
    feature_json = features["chosen"]
    modality, dataset = ctx.modality, ctx.dataset
    representation = modality.representation(modality.feature_model.model_validate(feature_json))
    ctx.events.stage("train", f"{family} on {features['chosen_label']}, {count(len(dataset.train_index), 'example')}; "
                              f"test {len(dataset.test_index)}")
    started = time.perf_counter()
    seed = derive_seed(ctx.config.seed, "train")
    model, representation, metrics, training = _fit_and_score(ctx, get_family(family), params, representation, seed)
    seconds = time.perf_counter() - started
    description = {
        "genautoml": __version__,
        "modality": modality.name,
        "family": family,
        "params": params,
        "spec": representation.spec.to_json(),
        "feature": feature_json,
        "feature_label": features["chosen_label"],
        "seed": seed,
        "trained_on": training.trained_on,
        "epochs_trained": training.epochs,
        "data_fingerprint": dataset.fingerprint,
        "torch": torch.__version__,
    }
    checkpoint.save(ctx.run / "model", model, representation, description)
    _write_samples(ctx, model, representation)
    artifact = _artifact(ctx, family, params, feature_json, representation, metrics, seed)
    artifact["intervals"], artifact["sampling"] = _intervals_and_speed(ctx, model, representation, seed)
    artifact["seconds"] = round(seconds, 2)
    # How the final model was trained: extended (with its validation checks, then maybe refit) or as tuned.
    artifact["training"] = training.to_json()
    ctx.run.write_json("metrics.json", artifact)
    return artifact


def _artifact(ctx: Context, family: str, params: dict[str, Any], feature_json: dict[str, Any], representation,
              metrics: dict[str, float], seed: int) -> dict[str, Any]:
    """metrics.json's figures: the test metrics beside their real-data floor, at the sizes scored."""
    modality, dataset, selection = ctx.modality, ctx.dataset, metric(ctx)
    test = capped(ctx.config, modality, dataset.test_raw(), seed)
    return {
        "key": ctx.stage_key("train"),
        "split": "test",
        "test_examples": int(len(dataset.test_index)),
        # what the figures are computed at: held-out examples scored, samples generated
        "scored_examples": int(modality.count(test)),
        "generated": int(modality.generate_count(test)),
        # the generated examples cut into this many draws, each scored at scored_examples, figures averaged
        "draws": int(modality.scoring_draws(test)),
        "family": family,
        "params": params,
        "feature": feature_json,
        "metric": selection.name,
        "figure": metrics[selection.name],
        "metrics": metrics,
        # real training examples scored as samples against the same held-out examples
        "floor": real_data_floor(modality, representation, test, dataset.train_raw(), seed),
        "directions": {name: m.direction for name, m in modality.metrics().items()},
    }


def _intervals_and_speed(ctx: Context, model, representation, seed: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Bootstrap intervals of the test figures, on the very samples and held-out examples
    they were computed from (the scorer draws them again from the same seed), and what
    drawing those samples cost: a diffusion model's steps or an autoregressive model's
    tokens make sampling far slower than one pass of a VAE, and a user choosing a model
    needs to know (timed, so volatile: the golden summaries leave ``seconds`` out)."""
    modality, dataset = ctx.modality, ctx.dataset
    test = capped(ctx.config, modality, dataset.test_raw(), seed)
    scorer = Scorer(modality, representation, test, dataset.train_raw(), seed)
    started = time.perf_counter()
    generated = scorer.generate(model)
    seconds = max(time.perf_counter() - started, 1e-9)
    drawn = modality.generate_count(test)
    speed = {"samples": drawn, "seconds": float(f"{seconds:.4g}"), "per_second": float(f"{drawn / seconds:.4g}"),
             "device": str(ctx.device)}
    return bootstrap_intervals(modality, test, generated, dataset.train_raw(), seed), speed


def _write_samples(ctx: Context, model, representation) -> None:
    """``train.samples`` samples of the final model into samples/ (none when it is 0)."""
    if ctx.config.train.samples:
        generator = torch.Generator().manual_seed(derive_seed(ctx.config.seed, "train-samples"))
        samples = representation.draw(model, ctx.config.train.samples, generator)
        ctx.modality.write_samples(samples, ctx.run / "samples")


@dataclass
class FinalTraining:
    """How the final model was trained, for model/description.json and metrics.json."""

    trained_on: int
    epochs: Any
    extension: Optional[ExtensionLog] = None
    refit: Optional[RefitLog] = None
    why_not_extended: Optional[str] = None

    def to_json(self) -> dict[str, Any]:
        if self.extension is None:
            return {"extended": False, "reason": self.why_not_extended}
        return {**self.extension.to_json(), "refit": self.refit.to_json()}


def _fit_and_score(ctx: Context, family_cls, params: dict[str, Any], representation, seed: int):
    """Train the winner (extended when it can be, then refit on all non-test data when the
    share allows) and score it once on the test split.

    Returns (model, its representation, test metrics, FinalTraining).
    """
    modality, dataset = ctx.modality, ctx.dataset
    metric_names = list(dict.fromkeys([metric(ctx).name, *modality.metrics()]))
    why_not = can_extend(family_cls, params) if ctx.config.train.extend else "train.extend is false"
    if why_not is not None:
        model, metrics = train_and_score(
            ctx.config, modality, family_cls, params, representation,
            dataset.train_raw(), dataset.test_raw(), seed=seed, device=ctx.device, metric_names=metric_names,
        )
        return model, representation, metrics, FinalTraining(int(len(dataset.train_index)), params.get("epochs"),
                                                             why_not_extended=why_not)
    time_limit = _time_limit(ctx)
    model, extension = train_extended(ctx.config, modality, family_cls, params, representation,
                                      dataset.train_raw(), seed=seed, device=ctx.device, events=ctx.events,
                                      time_limit=time_limit)
    ctx.events.note(f"extended training: {extension.epochs_run} epochs (tuned {extension.tuned_epochs}), "
                    f"best at epoch {extension.best_epoch}, stopped by {extension.stopped_by}")
    fresh = modality.representation(representation.feature)
    refit_model, refit_representation, refit_log = refit(
        family_cls, params, fresh, dataset.train_raw(), extension, seed=seed, device=ctx.device,
        time_left=None if time_limit is None else time_limit - extension.seconds, enabled=ctx.config.train.refit)
    ctx.events.note(f"refit: {refit_log.reason}")
    training = FinalTraining(extension.fit_examples, extension.best_epoch, extension, refit_log)
    if refit_model is not None:
        model, representation, training.trained_on = refit_model, refit_representation, refit_log.examples
    test = capped(ctx.config, modality, dataset.test_raw(), seed)
    metrics = Scorer(modality, representation, test, dataset.train_raw(), seed)(model, metric_names)
    return model, representation, metrics, training


def _time_limit(ctx: Context) -> Optional[float]:
    """Final training's wall-clock ceiling: the plan's train share, or train.time_budget if smaller."""
    limits = [limit for limit in (ctx.budget("train"), ctx.config.train.time_budget) if limit is not None]
    return min(limits) if limits else None
