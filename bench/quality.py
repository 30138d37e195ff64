"""Quality: the model genautoml chooses against hand-picked ones, on the test split.

For each modality's config: the whole search's chosen model, against (a) for images the
seed's hand-set model (a GAN, Adam, 10 epochs, batch size 64) and (b) every candidate
family at its default parameters, trained for as long as the whole search took (epochs
unbounded, stopped at that wall-clock budget). All trained on the same non-test data and
scored on the same test split with the modality's selection metric.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import RESULTS, ROOT, Stopwatch, claim, context, fresh_dir, table
from genautoml.errors import TrialDiverged

HAND_GAN = {"epochs": 10, "batch_size": 64, "lr": 2e-4}


class _OutOfTime(Exception):
    pass


#: the orders the text baseline's grid search tries (the ngram family's whole default range)
NGRAM_ORDERS = (3, 5, 8, 12, 16, 24, 32, 48, 64)


def train_for(ctx, family: str, params: dict[str, Any], seconds: float | None,
              feature_json: dict[str, Any] | None = None) -> tuple[float, float, int]:
    """Train ``family`` on all non-test data (for at most ``seconds``), on the first
    feature of the config it can model unless ``feature_json`` is given; its test figure."""
    from genautoml.pipeline.scoring import metric

    selection = metric(ctx)
    trained = train_and_score(ctx, family, params, seconds, [selection.name], feature_json)
    epochs = trained.epochs if trained.diverged_at is None else \
        f"{trained.epochs} (diverged at {trained.diverged_at}; its last copy)"
    return trained.figures[selection.name], trained.seconds, epochs


@dataclass
class Trained:
    figures: dict[str, float]
    seconds: float
    epochs: int
    model: Any
    representation: Any
    feature: dict[str, Any]
    #: the epoch at which training diverged (the model is then its last copy), or None
    diverged_at: int | None = None


def train_and_score(ctx, family: str, params: dict[str, Any], seconds: float | None, names: list[str],
                    feature_json: dict[str, Any] | None = None) -> Trained:
    """``train_for`` with the model kept and the test figures of every metric in ``names``."""
    from genautoml.models.registry import get_family
    from genautoml.pipeline.scoring import family_feature
    from genautoml.pipeline.trial import Scorer, capped

    modality = ctx.modality
    dataset = ctx.dataset
    feature_json = feature_json or family_feature(ctx, family)  # as cv trains it
    feature = modality.feature_model.model_validate(feature_json)
    representation = modality.representation(feature)
    train_raw, test_raw = dataset.train_raw(), dataset.test_raw()
    representation.fit(train_raw)
    model = get_family(family)(representation.spec, **params)
    started = time.perf_counter()
    epochs, kept, diverged_at = [0], Snapshots(model), None

    def report(epoch: int) -> None:
        epochs[0] = epoch
        kept.offer(epoch)
        if seconds is not None and time.perf_counter() - started > seconds:
            raise _OutOfTime

    try:
        model.fit(representation.encode(train_raw), report, seed=0, device=ctx.device)
    except _OutOfTime:
        pass  # the modules keep what they learnt so far
    except TrialDiverged:
        # A long run alone can diverge (a vae's loss went to inf on audio): scored as a user
        # who saves a checkpoint now and then would have it, at its last saved epoch.
        diverged_at, epochs[0] = epochs[0], kept.restore()
    elapsed = time.perf_counter() - started
    heldout = capped(ctx.config, modality, test_raw, test_seed(ctx))
    figures = Scorer(modality, representation, heldout, train_raw, seed=0)(model, names)
    return Trained(figures, elapsed, epochs[0], model, representation, feature_json, diverged_at)


class Snapshots:
    """The model's state copied every ``every`` seconds of training, to fall back on."""

    def __init__(self, model, every: float = 5.0):
        self.model, self.every = model, every
        self.state, self.epoch, self.taken = None, 0, time.perf_counter()

    def offer(self, epoch: int) -> None:
        if self.state is None or time.perf_counter() - self.taken >= self.every:
            self.state = {k: v.detach().clone() for k, v in self.model.state().items()}
            self.epoch, self.taken = epoch, time.perf_counter()

    def restore(self) -> int:
        """Puts the last copy back; the epoch it was taken at. Raises if none was taken."""
        if self.state is None:
            raise RuntimeError("the model diverged in its first epoch")
        self.model.load_state(self.state)
        return self.epoch


def test_seed(ctx) -> int:
    """The train stage's seed: it draws the scored test subset, so every row is scored on
    the same test examples as the chosen model."""
    from genautoml.seeds import derive_seed

    return derive_seed(ctx.config.seed, "train")


def floor_row(ctx, result: dict[str, Any]) -> dict[str, Any] | None:
    """Real training examples scored as samples on the same test examples (the figure's
    floor at this size; genautoml/pipeline/floor.py), as metrics.json records it."""
    floor = result.get("floor", {}).get(result["metric"])
    if floor is None:
        return None
    return {"model": f"real training data (the floor at {result['scored_examples']} test examples)",
            "figure": floor, "seconds": 0.0, "epochs": "-"}


def tuned_ngram(ctx) -> dict[str, Any]:
    """The text baseline, tuned by hand the thorough way: every order of NGRAM_ORDERS on
    every feature of the config, chosen by mean held-out bits per character over the cv
    folds (never the test split), then trained on all non-test text and scored on test."""
    from genautoml.pipeline.trial import run_trial
    from genautoml.records import TrialRequest

    folds = tuple(range(ctx.config.search.cv_folds))
    best: tuple[float, int, dict[str, Any]] | None = None
    started = time.perf_counter()
    for feature_json in ctx.resolved["features"]:
        for order in NGRAM_ORDERS:
            request = TrialRequest(order, "bench", "ngram", {"order": order}, feature_json, folds)
            record = run_trial(ctx.config, ctx.dataset, request, device=ctx.device)
            if record.status == "ok" and (best is None or record.figure < best[0]):
                best = (record.figure, order, feature_json)
    if best is None:
        raise RuntimeError("every n-gram baseline trial failed")
    _, order, feature_json = best
    figure, _, _ = train_for(ctx, "ngram", {"order": order}, None, feature_json)
    label = "+".join(f"{k}={v}" for k, v in feature_json.items() if v is not None)
    return {"model": f"ngram tuned by grid (order {order} of {len(NGRAM_ORDERS)}, {label}; "
                     f"{len(ctx.resolved['features'])} features, cv)",
            "figure": figure, "seconds": time.perf_counter() - started, "epochs": 1}


def run(configs: list[tuple[str, Path, list[str]]], budget_cap: float | None) -> dict[str, Any]:
    from genautoml.pipeline.resolve import candidates
    from genautoml.pipeline.runner import ensure

    out = []
    for label, config, overrides in configs:
        run_dir = fresh_dir(RESULTS / "work" / "quality" / label)
        ctx = context(config, overrides, run_dir)
        claim(ctx)
        with Stopwatch() as watch:
            result = ensure(ctx, "train")
        budget = watch.seconds if budget_cap is None else min(watch.seconds, budget_cap)
        training = result.get("training", {})
        epochs = (f"{training['best_epoch']} of {training['epochs_run']} (tuned {training['tuned_epochs']})"
                  + (", refit on all" if (training.get("refit") or {}).get("done") else "")
                  if training.get("extended") else result["params"].get("epochs"))
        source = ctx.artifact("tune")["chosen"]["source"]  # "tuned", or "cv defaults" when tuning found no better
        rows = [{"model": f"genautoml: {result['family']} ({source}, {ctx.artifact('features')['chosen_label']})",
                 "figure": result["figure"], "seconds": watch.seconds, "epochs": epochs}]
        floor = floor_row(ctx, result)
        if ctx.config.data.modality == "image":
            defaults = next(c for c in candidates(ctx.config) if c.family == "gan").default_params()
            figure, seconds, epochs = train_for(ctx, "gan", {**defaults, **HAND_GAN}, None)
            rows.append({"model": "hand-set GAN (Adam, 10 epochs, batch 64, lr 2e-4)", "figure": figure,
                         "seconds": seconds, "epochs": epochs})
        if ctx.config.data.modality == "text":
            rows.append(tuned_ngram(ctx))
        for candidate in candidates(ctx.config):
            params = candidate.default_params()
            if "epochs" in params:  # unbounded: the wall-clock budget stops it
                params = {**params, "epochs": 100000}
            figure, seconds, epochs = train_for(ctx, candidate.family, params, budget)
            rows.append({"model": f"{candidate.family} at defaults, {budget:.0f} s budget", "figure": figure,
                         "seconds": seconds, "epochs": epochs})
        for row in rows:
            row["ratio_to_chosen"] = row["figure"] / rows[0]["figure"] if rows[0]["figure"] else None
        out.append({"floor": floor, "label": label, "config": str(Path(config).resolve().relative_to(ROOT)),
                    "overrides": overrides, "metric": result["metric"],
                    "direction": result.get("directions", {}).get(result["metric"], "minimize"), "rows": rows})
    return {"configs": out}


def markdown(result: dict[str, Any]) -> str:
    parts = []
    for entry in result["configs"]:
        chosen = entry["rows"][0]["figure"]
        minimize = entry["direction"] == "minimize"
        beaten = [r for r in entry["rows"][1:] if (r["figure"] > chosen if minimize else r["figure"] < chosen)]
        parts.append(
            f"### {entry['label']}: `{entry['config']}` {' '.join(entry['overrides'])}\n\n"
            f"Test-split {entry['metric']} ({entry['direction']}); ratio = model / chosen "
            f"({'above' if minimize else 'below'} 1 means the chosen model is better).\n\n"
            + table(["model", entry["metric"], "ratio", "epochs", "train s"],
                    [[r["model"], f"{r['figure']:.4g}", f"{r['ratio_to_chosen']:.2f}", r["epochs"], f"{r['seconds']:.0f}"]
                     for r in entry["rows"]])
            + f"\n\nThe chosen model beats {len(beaten)} of {len(entry['rows']) - 1} hand-picked alternatives"
            + ("." if len(beaten) == len(entry["rows"]) - 1 else " (goal: all; NOT met).")
            + (f" Real-data floor of the figure at this test size: {entry['floor']['figure']:.4g} "
               f"({entry['floor']['model']})." if entry.get("floor") else "")
            + "\n"
        )
    return "\n".join(parts)
