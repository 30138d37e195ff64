"""One trial: a pure function of (config, family, parameters, representation, folds, seed).

It fits the representation on the training fold, trains the family on the encoding,
decodes samples and scores them in the raw space against the validation fold. Whatever
happens inside becomes a status (ok / pruned / failed / timed_out) in the returned record,
so a search never dies of one bad trial. Nothing global is read or written, so the local
loop and a Ray worker can call it alike.
"""

from __future__ import annotations

import math
import time
import traceback
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np

from genautoml.errors import CutShort, TrialDiverged, TrialPruned, TrialTimeout
from genautoml.pipeline.continued import Keep, KeptTraining, KeptTrainings
from genautoml.pipeline.pace import Pace
from genautoml.records import FoldRecord, Status, TrialRecord, TrialRequest
from genautoml.seeds import derive_seed


def fold_seed(config, fold: int) -> int:
    """The same seed for a fold in every trial of every stage (common random numbers): two
    candidates compared on a fold differ by what they are, not by their luck."""
    return derive_seed(config.seed, "fold", fold)


def selection_metric(config, modality):
    name = modality.default_metric if config.search.metric == "auto" else config.search.metric
    return modality.metrics()[name]


def likelihood_figure(model, representation, heldout_encoded, heldout_raw) -> float:
    """Held-out negative log-likelihood in bits per raw unit (pixel, character, sample)."""
    import torch

    with torch.no_grad():
        nats = model.log_likelihood(heldout_encoded.to(model.device_))
    units = representation.units(heldout_raw)
    return float(-nats.sum().item() / units / math.log(2))


class Scorer:
    """Scores a (fitted) model against held-out raw data with the named metrics.

    Sample metrics share one batch of generated examples, drawn from a fixed seed so
    every epoch and every trial is judged on equal terms; likelihood metrics are
    skipped for families without a likelihood.
    """

    def __init__(self, modality, representation, heldout_raw, train_raw, seed: int, *, oversample: int = 1):
        self.modality = modality
        self.metrics = modality.metrics()
        self.representation = representation
        self.heldout = heldout_raw
        self.heldout_encoded = representation.encode(heldout_raw)
        self.train = train_raw
        self.seed = seed
        # Samples drawn per held-out example's worth (1: as many as there are held-out
        # examples, the size every reported figure and its floor are stated at). Extended
        # training's checks draw more: they compare one model with itself over epochs on a
        # small validation split, where the noise of few samples decides the stop.
        self.oversample = oversample

    def generate(self, model) -> Any:
        import torch

        generator = torch.Generator().manual_seed(derive_seed(self.seed, "sample"))
        # Draws (small tables) already score several samples' worth; oversampling adds only
        # what they do not (4x at 1 draw, nothing at 4 draws or more).
        extra = max(1, self.oversample // self.modality.scoring_draws(self.heldout))
        count = extra * self.modality.generate_count(self.heldout)
        with torch.no_grad():
            return self.representation.draw(model, count, generator)

    def __call__(self, model, names: list[str]) -> dict[str, float]:
        out: dict[str, float] = {}
        sample_names = [n for n in names if self.metrics[n].kind == "samples"]
        for name in names:
            if (self.metrics[name].kind == "likelihood" and model.has_likelihood
                    and self.representation.reports_likelihood):
                out[name] = likelihood_figure(model, self.representation, self.heldout_encoded, self.heldout)
        if sample_names:
            generated = self.generate(model)
            out.update(self.modality.score_samples(self.heldout, generated, self.train, sample_names))
        return {name: out[name] for name in names if name in out}


def capped(config, modality, heldout_raw, seed: int):
    """What every score is on: all held-out examples, or ``search.max_eval_examples`` of them
    drawn at random with ``seed`` (kept in their order). Never the first N: data sets and
    folders are often stored by class, and the first N would hold only some classes. Where
    the data say which examples belong together (``Modality.strata``: the class subfolders
    of images, text's documents), the subset is stratified: every class keeps its share. Every candidate scored on a fold (or
    on the test split) passes the same seed, so all are judged on the same examples."""
    count, cap = modality.count(heldout_raw), config.search.max_eval_examples
    if count <= cap:
        return heldout_raw
    rng = np.random.default_rng(derive_seed(seed, "heldout-subset"))
    strata = modality.strata(heldout_raw)
    chosen = rng.choice(count, size=cap, replace=False) if strata is None else stratified_choice(strata, cap, rng)
    return modality.subset(heldout_raw, np.sort(chosen))


def stratified_choice(groups: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """``size`` positions drawn without replacement, each group's count its share of ``size``
    (rounded by largest remainder, ties broken at random)."""
    labels, inverse, counts = np.unique(groups, return_inverse=True, return_counts=True)
    quota = counts * size / counts.sum()
    take = np.floor(quota).astype(np.int64)
    by_remainder = np.lexsort((rng.random(len(labels)), -(quota - take)))
    take[by_remainder[: size - int(take.sum())]] += 1
    return np.concatenate([rng.choice(np.flatnonzero(inverse == g), size=k, replace=False)
                           for g, k in enumerate(take) if k])


def scored_at(epoch: int, every: Optional[int]) -> bool:
    """Whether the model is scored after ``epoch`` (counted from 1) for early stopping."""
    if every is None:
        return epoch & (epoch - 1) == 0  # a power of two
    return epoch % every == 0


def train_and_score(config, modality, family_cls, params: dict[str, Any], representation, train_raw, heldout_raw, *,
                    seed: int, device: str, metric_names: list[str],
                    on_epoch: Optional[Callable[[int, Optional[float]], None]] = None, track_curve: bool = False,
                    keep: Optional[Keep] = None):
    """Fit ``representation`` and the family on ``train_raw``; score against ``heldout_raw``.

    Returns (model, metrics). ``on_epoch(epoch, figure)`` may raise to stop training;
    ``figure`` is the selection metric on the held-out data when ``track_curve``.
    ``keep``: the training is kept (genautoml/pipeline/continued.py) and trained up to
    ``params["epochs"]``, continuing the one kept for this family and fold if there is one.
    """
    selection = selection_metric(config, modality)
    names = list(dict.fromkeys([selection.name, *metric_names]))
    kept = None if keep is None else keep.trainings.get(family_cls.name, keep.fold)
    if kept is None:
        representation.fit(train_raw)
        train_encoded = representation.encode(train_raw)
        scorer = Scorer(modality, representation, capped(config, modality, heldout_raw, seed), train_raw, seed)
        model = family_cls(representation.spec, **(params if keep is None else _planned(keep, family_cls, params)))
    else:
        model, scorer = kept.model, kept.scorer

    def report(epoch: int) -> None:
        figure = None
        # Within the grace period no rule reads the figure, so it is not worth its cost.
        if track_curve and epoch > config.search.grace_epochs and scored_at(epoch, config.search.eval_every):
            figure = scorer(model, [selection.name]).get(selection.name)
        if on_epoch is not None:
            on_epoch(epoch, figure)

    if keep is not None:
        if kept is None:
            kept = KeptTraining(lambda hook: model.fit(train_encoded, hook, seed=seed, device=device), model, scorer)
            keep.trainings.put(family_cls.name, keep.fold, kept)
        kept.run_to(int(params["epochs"]), report)
        return model, scorer(model, names)
    try:
        model.fit(train_encoded, report, seed=seed, device=device)
    except CutShort:  # training ends where it stands; the model as it is gets scored
        pass
    return model, scorer(model, names)


def _planned(keep: Keep, family_cls, params: dict[str, Any]) -> dict[str, Any]:
    """``params`` with the epochs a kept training is planned at (the longest rung's)."""
    return {**params, "epochs": max(keep.trainings.planned[family_cls.name], int(params["epochs"]))}


#: told (fold, epoch, figure or None) after every epoch of a trial, for progress displays
EpochObserver = Callable[[int, int, Optional[float]], None]


def run_trial(config, dataset, request: TrialRequest, *, device: str = "cpu", stopper=None,
              deadline: Optional[float] = None, observe: Optional[EpochObserver] = None,
              cut_at: Optional[float] = None, kept: Optional[KeptTrainings] = None) -> TrialRecord:
    """Train and score ``request`` on each of its folds; never raises for a bad trial.
    ``observe`` only watches (it runs in the process that trains).

    ``cut_at`` (a time): past it, the first fold's training ends at the epoch it reached
    (``CutShort``; only a family whose epochs are alike, else ignored) and every later fold
    trains that many epochs: the trial is then a result at fewer epochs than asked, its
    ``params`` saying how many, not a failure (``deadline`` fails a trial instead).
    ``kept``: cv's trainings kept between rungs; a family whose epochs are alike continues
    (or starts, and leaves there) one per fold (genautoml/pipeline/continued.py).
    """
    selection = selection_metric(config, dataset.modality)
    started = time.perf_counter()
    record = TrialRecord(id=request.trial_id, stage=request.stage, family=request.family, params=request.params,
                         feature=request.feature, seed=derive_seed(config.seed, request.stage, request.trial_id))
    try:
        for index, fold in enumerate(request.folds):
            _run_fold(config, dataset, request, record, fold, stopper=stopper, deadline=deadline, device=device,
                      observe=observe, cut_at=cut_at if index == 0 else None, kept=kept)
            reached = record.folds[-1].epochs
            if index == 0 and reached is not None and reached < record.params.get("epochs", reached):
                record.params = {**record.params, "epochs": reached}  # the later folds train as far
    except TrialPruned as exc:
        record.status, record.error = Status.PRUNED, str(exc)
    except TrialTimeout as exc:
        record.status, record.error = Status.TIMED_OUT, str(exc)
    except TrialDiverged as exc:
        record.status, record.error = Status.FAILED, f"diverged: {exc}"
    except MemoryError:
        record.status, record.error = Status.FAILED, "out of memory"
    except Exception as exc:  # a bad trial must not end the search; the reason is kept
        kind = "out of memory" if "out of memory" in str(exc).lower() else exc.__class__.__name__
        record.status, record.error = Status.FAILED, f"{kind}: {exc}"
        record.traceback = traceback.format_exc(limit=6)
    record.seconds = round(time.perf_counter() - started, 3)
    record.figure = trial_figure(record, selection.name)
    record.loss = None if record.figure is None else selection.loss(record.figure)
    return record


def _run_fold(config, dataset, request: TrialRequest, record: TrialRecord, fold: int, *, stopper,
              deadline: Optional[float], device: str, observe: Optional[EpochObserver] = None,
              cut_at: Optional[float] = None, kept: Optional[KeptTrainings] = None) -> None:
    """Train ``record.params`` on one fold and score it into a new ``FoldRecord`` of ``record``;
    raises to end the trial."""
    from genautoml.models.registry import get_family

    modality, family = dataset.modality, get_family(request.family)
    cut_at = cut_at if family.extends_epochs else None
    keep = Keep(kept, fold) if kept is not None and kept.keeps(request.family) else None
    before = _continued(keep, request, record, fold)
    selection = selection_metric(config, modality)
    metric_names = list(modality.metrics()) if request.metrics == "all" else [selection.name]
    fold_started = time.perf_counter()
    fold_record = FoldRecord(fold=fold, seed=fold_seed(config, fold))
    record.folds.append(fold_record)
    search = config.search
    pace = Pace(deadline, record.params.get("epochs"), len(request.folds) - request.folds.index(fold) - 1,
                lambda e: request.track_curve and e > search.grace_epochs and scored_at(e, search.eval_every),
                start=before)

    def on_epoch(epoch: int, figure: Optional[float]) -> None:
        fold_record.epochs = epoch
        if observe is not None:
            observe(fold, epoch, figure)
        if figure is not None:
            fold_record.curve.append([epoch, figure])
            if stopper is not None:
                stopper.check(fold, fold_record.curve)
        if deadline is not None and time.time() > deadline:
            raise TrialTimeout(f"stopped at epoch {epoch}: past the time limit")
        pace.epoch(epoch, figure is not None)  # stops a trial that clearly cannot finish in time
        if cut_at is not None and time.time() > cut_at:
            raise CutShort

    train_raw, valid_raw = dataset.fold_raw(fold)
    feature = modality.feature_model.model_validate(request.feature)
    _, metrics = train_and_score(config, modality, family, record.params, modality.representation(feature), train_raw,
                                 valid_raw, seed=fold_record.seed, device=device, metric_names=metric_names,
                                 on_epoch=on_epoch, track_curve=request.track_curve, keep=keep)
    fold_record.metrics = metrics
    fold_record.seconds = round(time.perf_counter() - fold_started, 3)
    if selection.name not in metrics:  # a likelihood this representation does not report
        raise ValueError(f"{selection.name} is not reported for this representation (it does not keep every "
                         "value of the data)")
    figure = metrics[selection.name]
    if not math.isfinite(figure):
        raise TrialDiverged(f"{selection.name} is {figure}")
    fold_record.figure = figure  # the selection figure at its last epoch: the stopping rule reads it


def _continued(keep: Optional[Keep], request: TrialRequest, record: TrialRecord, fold: int) -> int:
    """The epochs ``fold``'s kept training goes on from (0: a new one); ``record.continued_from``
    says the fewest over the trial's folds (None: from scratch)."""
    training = keep.trainings.get(request.family, fold) if keep is not None else None
    before = 0 if training is None else training.epochs
    if request.folds.index(fold) == 0:
        record.continued_from = before or None
    elif record.continued_from is not None:
        record.continued_from = min(before, record.continued_from) or None
    return before


def run_trial_after(config, dataset, request: TrialRequest, history: list[TrialRecord], *,
                    device: str = "cpu", deadline: Optional[float] = None,
                    observe: Optional[EpochObserver] = None) -> TrialRecord:
    """``run_trial`` with the early-stopping rule set against ``history`` (earlier trials)."""
    from genautoml.search.stopping import stopper_for

    direction = selection_metric(config, dataset.modality).direction
    stopper = stopper_for(config, direction, history, request.family, request.trial_id)
    return run_trial(config, dataset, request, device=device, stopper=stopper, deadline=deadline, observe=observe)


def trial_figure(record: TrialRecord, metric: str) -> Optional[float]:
    """The trial's selection figure: mean over finished folds, or the last curve point if pruned."""
    if record.status is Status.OK:
        values = [f.metrics.get(metric) for f in record.folds]
    elif record.status is Status.PRUNED and record.folds and record.folds[-1].curve:
        values = [record.folds[-1].curve[-1][1]]
    else:
        return None
    values = [v for v in values if v is not None and math.isfinite(v)]
    return float(np.mean(values)) if values else None


# Per worker process: the config and data set of the search it serves, loaded on first use.
_LOADED: dict[str, Any] = {}


class WorkerTrial:
    """The trial function as a picklable callable, for executors whose workers are other
    processes (a local process pool, Ray tasks): each worker loads the data itself from the
    config, once, and runs trials with the early-stopping rule set against ``history``."""

    def __init__(self, config, base_dir: str, device: str, threads: int):
        self.config_json = config.model_dump(mode="json")
        self.base_dir = str(base_dir)
        self.device = device
        self.threads = threads

    def _loaded(self):
        import json

        key = json.dumps([self.config_json, self.base_dir], sort_keys=True)
        if key not in _LOADED:
            import torch

            from genautoml.config import validate
            from genautoml.pipeline.dataset import load_dataset

            torch.set_num_threads(self.threads)
            config = validate(self.config_json)
            _LOADED.clear()  # one data set per worker at a time
            _LOADED[key] = (config, load_dataset(config, Path(self.base_dir)))
        return _LOADED[key]

    def __call__(self, request: TrialRequest, deadline: Optional[float], history: list[TrialRecord]) -> TrialRecord:
        config, dataset = self._loaded()
        return run_trial_after(config, dataset, request, history, device=self.device, deadline=deadline)
