"""Successive halving over a few arms (the candidate families), at growing fidelities.

The search engine's half of multi-fidelity cv: it knows arms by name and figures by
value, never what an arm trains. Fidelity is a factor of each arm's own default training
length (epochs x1, x2, x4, ... with ``eta`` 2); the pipeline turns a factor into epochs.

Why not plain successive halving: with three or four families, keeping the best half at
the first rung drops a family that starts slowly and ends best (a GAN is last at its
default epochs on digits and first when trained ten times longer). So:

- nobody is dropped at the first rung: a slope needs two points;
- from the second rung on, arms are ranked by an *optimistic* figure: the better of the
  figure now and the figure extrapolated one rung on, assuming the arm improves as much per
  doubling of fidelity as it did over the last one (learning curves are close to linear in
  log-time over a few doublings). A slow starter that is catching up ranks by where it is
  heading, a plateaued leader by where it is;
- the best ``ceil(n / eta)`` go on, never fewer than ``min_keep``.

The arms are ranked at the end by the highest rung they reached, then by their figure
there: the choice is made at the highest fidelity reached.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

from genautoml.direction import Direction


@dataclass(frozen=True)
class Rungs:
    """Fidelity factors ``1, eta, eta**2, ...`` up to ``max_factor``."""

    eta: int
    max_factor: int

    def factors(self) -> list[int]:
        out, factor = [], 1
        while factor <= self.max_factor:
            out.append(factor)
            factor *= self.eta
        return out


def optimistic_loss(direction: Direction, now: float, before: Optional[float]) -> float:
    """The better of the loss now and the loss one rung on, if the arm keeps its last improvement."""
    loss = direction.loss(now)
    if before is None or not math.isfinite(before):
        return loss
    gain = direction.loss(before) - loss  # > 0: it improved over the last rung
    return loss - max(0.0, gain)


def promoted(direction: Direction, now: dict[str, Optional[float]], before: dict[str, Optional[float]], *,
             eta: int, min_keep: int, first_rung: bool) -> list[str]:
    """The arms that go on to the next rung, in the order of ``now``.

    ``now``: each arm's figure at this rung (None: it failed); ``before``: at the rung below.
    """
    alive = [arm for arm, figure in now.items() if figure is not None and math.isfinite(figure)]
    if first_rung:
        return alive
    keep = max(min_keep, math.ceil(len(alive) / eta))
    order = sorted(alive, key=lambda arm: optimistic_loss(direction, now[arm], before.get(arm)))  # stable: ties keep order
    kept = set(order[:keep])
    return [arm for arm in alive if arm in kept]
