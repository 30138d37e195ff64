"""The metric contract: a name, a direction and a statistic computed in the raw data space."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional

from genautoml.direction import Direction

MINIMIZE = Direction.MINIMIZE
MAXIMIZE = Direction.MAXIMIZE


@dataclass(frozen=True)
class Metric:
    """``compute(heldout_raw, generated_raw, train_raw) -> float``.

    Raw means the modality's native form (images: float32 arrays (N, H, W, C) in [0, 1]),
    never a representation's encoding, so every family and representation is judged alike.
    """

    name: str
    #: which way is better; None for a figure with an ideal value in the middle (density: about
    #: 1 for real data), which is reported but never optimised or ranked by
    direction: Optional[Direction]
    compute: Optional[Callable[[Any, Any, Any], float]]
    description: str = ""
    #: "samples": computed from generated examples by ``compute``;
    #: "likelihood": the model's held-out negative log-likelihood per raw unit (bits per
    #: pixel, character, sample), for families that have one (``compute`` is None)
    kind: str = "samples"
    #: which real examples, scored as if they were samples, give this figure's floor
    #: (genautoml/pipeline/floor.py): "train" (training examples against the held-out ones);
    #: "heldout" for a figure that compares samples with the training set (copy rate: how
    #: much real unseen text repeats the training text); None where neither means anything
    #: (memorization: held-out examples are their own nearest reference)
    floor_from: Optional[str] = "train"
    #: whether the final figure gets a bootstrap interval (genautoml/pipeline/interval.py):
    #: statistics that resampling with replacement does not bias (k-NN statistics see the
    #: repeated rows as neighbours at distance 0; the two-sample test is too costly to repeat)
    bootstrap: bool = False

    def loss(self, value: float) -> float:
        """The value as something to minimise (what the search optimises)."""
        return self._direction().loss(value)

    def better(self, a: float, b: float) -> bool:
        """Whether figure ``a`` is strictly better than figure ``b``."""
        return self._direction().better(a, b)

    def _direction(self) -> Direction:
        if self.direction is None:
            raise ValueError(f"metric {self.name!r} has no better direction: it cannot rank models")
        return Direction(self.direction)


def likelihood_metric(name: str, unit: str) -> Metric:
    return Metric(name, MINIMIZE, None, f"held-out negative log-likelihood in bits per {unit}", kind="likelihood")
