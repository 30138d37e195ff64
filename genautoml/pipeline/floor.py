"""The real-data floor of a sample figure: what real data scores, at the same size.

A Fréchet distance, an MMD or a two-sample test computed from a finite sample is not zero
for a perfect generator: real training digits against the digits test split score 0.74,
0.37, 0.20 and 0.14 at 64, 144, 359 and 1000 examples. A figure means something only
beside that floor. So wherever the final model is scored (the train stage, ``evaluate``),
real training examples, as many as the samples scored and in their form, are scored
against the same held-out examples with the same statistics, and reported beside the
model's figures.

Figures that compare samples with the training set itself take held-out examples instead
(copy rate: how much real unseen text repeats the training text), or have no floor
(memorization): ``Metric.floor_from``.
"""

from __future__ import annotations

import numpy as np

from genautoml.seeds import derive_seed


def real_data_floor(modality, representation, heldout_raw, train_raw, seed: int) -> dict[str, float]:
    """Each sample metric that has a floor, for real examples (``Metric.floor_from``), as
    many as are generated and in their form, scored as samples against ``heldout_raw``."""
    out: dict[str, float] = {}
    for source, pool in (("train", train_raw), ("heldout", heldout_raw)):
        names = [name for name, m in modality.metrics().items() if m.kind == "samples" and m.floor_from == source]
        if names:
            rng = np.random.default_rng(derive_seed(seed, "real-data-floor", source))
            real = _real_draws(modality, representation, pool, heldout_raw, rng)
            out.update(modality.score_samples(heldout_raw, real, train_raw, names))
    return {name: out[name] for name in modality.metrics() if name in out}


def _real_draws(modality, representation, pool, heldout_raw, rng: np.random.Generator):
    """Real examples in the draws the generated ones are scored in (``Modality.scoring_draws``):
    each draw picked on its own, so no draw repeats an example, as no draw of samples does."""
    draws = modality.scoring_draws(heldout_raw)
    per_draw = modality.generate_count(heldout_raw) // draws
    if draws == 1:
        return modality.real_samples(pool, per_draw, rng, representation)
    return modality.join([modality.real_samples(pool, per_draw, rng, representation) for _ in range(draws)])


def cv_floors(config, dataset, feature_json: dict) -> list[dict[str, float]]:
    """The floor of every cv figure, per fold: real training examples of that fold scored
    against the same held-out subset the candidates were scored on (same fold seed), in the
    form of the representation cv trains on. ``mean_floor`` averages them as the stages
    average their figures."""
    from genautoml.pipeline.trial import capped, fold_seed

    modality = dataset.modality
    per_fold = []
    for fold in range(config.search.cv_folds):
        train_raw, valid_raw = dataset.fold_raw(fold)
        seed = fold_seed(config, fold)
        representation = modality.representation(modality.feature_model.model_validate(feature_json)).fit(train_raw)
        per_fold.append(real_data_floor(modality, representation, capped(config, modality, valid_raw, seed), train_raw,
                                        seed))
    return per_fold


def mean_floor(per_fold: list[dict[str, float]], folds: int) -> dict[str, float]:
    """The mean floor over the first ``folds`` folds (tune scores on those; cv and features on all)."""
    chosen = per_fold[:folds]
    return {name: float(np.mean([floor[name] for floor in chosen])) for name in chosen[0]} if chosen else {}
