"""Bootstrap intervals for the final model's test figures: how far each would move on another
draw of the held-out examples and of the samples (both resampled with replacement), for the
metrics that resampling does not break (``Metric.bootstrap``).

A resample repeats examples, which shifts figures that depend on the sample size (the
Fréchet distance of a resample is larger, by more than the spread at small sizes), so the
percentile interval of the resampled figures is moved back by that shift (their mean minus
the figure): it says how far the figure would move, around the figure. The reverse
percentile ("basic") interval would take the shift off twice and can miss the figure."""

from __future__ import annotations

from typing import Any

import numpy as np

from genautoml.seeds import derive_seed

#: resamples per interval: enough for a 90% percentile interval to settle to about 2 digits
RESAMPLES = 200
#: the interval's coverage
LEVEL = 0.9


def bootstrap_intervals(modality, heldout: Any, generated: Any, train: Any, seed: int) -> dict[str, Any]:
    """``{"level", "resamples", "scored_examples", "generated", "generated_per_resample",
    "metrics": {name: [low, high]}}``
    for the modality's bootstrapped metrics. Resampling is in the metrics' feature space where
    the modality has one (each example embedded once), else of the raw examples."""
    from genautoml.metrics import stats

    names = [name for name, m in modality.metrics().items() if m.kind == "samples" and m.bootstrap]
    m, n = modality.count(heldout), modality.count(generated)
    # Figures averaged over several draws (small tables): each resample is one draw's worth
    # of the samples, so it costs one scoring, not one per draw. Its figure moves more than
    # the mean over draws does, so the interval is on the wide side (said in the JSON).
    # (Samples from elsewhere, fewer than two draws' worth, are scored as one draw of all.)
    per_resample = m if modality.scoring_draws(heldout) > 1 and n >= 2 * m else n
    rng = np.random.default_rng(derive_seed(seed, "bootstrap"))
    heldout_features, generated_features = modality.sample_features(heldout), modality.sample_features(generated)

    def score(rows: np.ndarray, samples: np.ndarray) -> dict[str, float]:
        if heldout_features is not None:
            return stats.feature_space_metrics(heldout_features[rows], generated_features[samples], lambda: None, names)
        return modality.score_samples(modality.subset(heldout, rows), modality.subset(generated, samples), train, names)

    figure = score(np.arange(m), np.arange(n)) if names else {}
    resampled: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(RESAMPLES if names else 0):
        scored = score(rng.integers(0, m, m), rng.integers(0, n, per_resample))
        for name in names:
            resampled[name].append(float(scored[name]))
    tail = (1 - LEVEL) / 2
    return {"level": LEVEL, "resamples": RESAMPLES, "scored_examples": m, "generated": n,
            "generated_per_resample": per_resample,
            "metrics": {name: [float(np.quantile(v, tail) - np.mean(v) + figure[name]),
                               float(np.quantile(v, 1 - tail) - np.mean(v) + figure[name])]
                        for name, v in resampled.items()}}
