"""The sample metrics every modality with a fixed feature space shares: one list, so images
and audio are judged by the same statistics (genautoml/metrics/stats.py) in their own space."""

from __future__ import annotations

from functools import partial
from typing import Any, Callable

import numpy as np

from genautoml.metrics import stats
from genautoml.metrics.base import MAXIMIZE, MINIMIZE, Metric

#: raw examples (N, ...) -> features (N, F)
Embed = Callable[[Any], np.ndarray]


def _statistic(name: str, embed: Embed, check: Callable[..., None], heldout, generated, train) -> float:
    """One statistic between held-out and generated examples (and the training ones, which
    only ``memorization`` reads), each embedded once."""
    check(heldout, generated, *([train] if name == "memorization" else []))
    return stats.feature_space_metrics(embed(heldout), embed(generated), lambda: embed(train), [name])[name]


def feature_space_suite(embed: Embed, space: str, check: Callable[..., None] = lambda *raw: None) -> dict[str, Metric]:
    """The suite in the feature space ``embed`` (``space``: its name, for descriptions);
    ``check(*raw)`` refuses raw inputs the statistics cannot compare (audio: mixed sample rates)."""

    def metric(name: str, direction, description: str, **extra) -> Metric:
        return Metric(name, direction, partial(_statistic, name, embed, check), f"{description}, {space}", **extra)

    suite = [
        metric("frechet", MINIMIZE, "Fréchet distance to held-out features", bootstrap=True),
        metric("mmd", MINIMIZE, "unbiased MMD^2, mixed RBF kernel", bootstrap=True),
        metric("kid", MINIMIZE, "kernel inception distance: unbiased MMD^2, cubic polynomial kernel", bootstrap=True),
        # A statistic's uncertainty, not a quality: nothing ranks by it.
        metric("kid_se", None, "standard error of kid (delete-one jackknife)", floor_from=None),
        *(metric(key, MAXIMIZE, f"k-NN {key} (Naeem et al. 2020), k=5") for key in ("precision", "recall", "coverage")),
        # About 1 for real data; above 1 the samples crowd where real data is dense (a model
        # that draws only typical examples), so higher is not better: read it against its floor.
        metric("density", None, "k-NN density (Naeem et al. 2020), k=5: about 1 for real data, no better direction"),
        metric("c2st", MINIMIZE, "classifier two-sample test 2|acc - 0.5|, 0 is best"),
        metric("memorization", MINIMIZE, "fraction of samples nearer train than 95% of held-out data; ~0.05 is novel",
               floor_from=None),
    ]
    return {m.name: m for m in suite}
