"""train: the chosen family, parameters and representation on the non-test data (all of
it, or, when extended, most of it with the rest judging how long to train); scored once on
the held-out test split; model/, metrics.json and samples/ written."""

from __future__ import annotations

import time
from typing import Any

import torch

from genautoml import __version__
from genautoml.models.registry import get_family
from genautoml.pipeline import checkpoint
from genautoml.pipeline.context import Context
from genautoml.pipeline.scoring import metric
from genautoml.pipeline.extend import can_extend, train_extended
from genautoml.pipeline.trial import Scorer, capped, train_and_score
from genautoml.seeds import derive_seed


def run(ctx: Context) -> dict[str, Any]:
    tune, features = ctx.artifact("tune"), ctx.artifact("features")
    family, params = tune["chosen"]["family"], tune["chosen"]["params"]
    feature_json = features["chosen"]
    modality = ctx.modality
    feature = modality.feature_model.model_validate(feature_json)
    representation = modality.representation(feature)
    dataset = ctx.dataset
    ctx.events.stage("train", f"{family} on {features['chosen_label']}, {len(dataset.train_index)} examples; test {len(dataset.test_index)}")
    started = time.perf_counter()
    seed = derive_seed(ctx.config.seed, "train")
    family_cls = get_family(family)
    metric_names = list(dict.fromkeys([metric(ctx).name, *modality.metrics()]))
    why_not = can_extend(family_cls, params) if ctx.config.train.extend else "train.extend is false"
    extension = None
    if why_not is None:
        model, extension = train_extended(ctx.config, modality, family_cls, params, representation,
                                          dataset.train_raw(), seed=seed, device=ctx.device, events=ctx.events)
        ctx.events.note(f"extended training: {extension.epochs_run} epochs (tuned {extension.tuned_epochs}), "
                    f"best at epoch {extension.best_epoch}, stopped by {extension.stopped_by}")
        scorer = Scorer(modality, representation, capped(ctx.config, modality, dataset.test_raw()), dataset.train_raw(), seed)
        metrics = scorer(model, metric_names)
    else:
        model, metrics = train_and_score(
            ctx.config, modality, family_cls, params, representation,
            dataset.train_raw(), dataset.test_raw(), seed=seed, device=ctx.device,
            metric_names=metric_names,
        )
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
        "trained_on": int(len(dataset.train_index)) if extension is None else extension.fit_examples,
        "epochs_trained": params.get("epochs") if extension is None else extension.best_epoch,
        "data_fingerprint": dataset.fingerprint,
        "torch": torch.__version__,
    }
    checkpoint.save(ctx.run / "model", model, representation, description)
    if ctx.config.train.samples:
        generator = torch.Generator().manual_seed(derive_seed(ctx.config.seed, "train-samples"))
        samples = representation.decode(model.sample(ctx.config.train.samples, generator))
        modality.write_samples(samples, ctx.run / "samples")
    selection = metric(ctx)
    artifact = {
        "key": ctx.stage_key("train"),
        "split": "test",
        "test_examples": int(len(dataset.test_index)),
        "family": family,
        "params": params,
        "feature": feature_json,
        "metric": selection.name,
        "figure": metrics[selection.name],
        "metrics": metrics,
        "directions": {name: m.direction for name, m in modality.metrics().items()},
        "seconds": round(seconds, 2),
        # How the final model was trained: extended (with its validation checks) or as tuned.
        "training": extension.to_json() if extension is not None else {"extended": False, "reason": why_not},
    }
    ctx.run.write_json("metrics.json", artifact)
    return artifact
