"""Which way is better for a figure: the one place that compares two figures."""

from __future__ import annotations

from enum import Enum


class Direction(str, Enum):
    """A ``str`` enum: it compares equal to, and serialises as, "minimize" / "maximize"."""

    MINIMIZE = "minimize"
    MAXIMIZE = "maximize"

    def better(self, a: float, b: float) -> bool:
        """Whether ``a`` is strictly better than ``b``."""
        return a < b if self is Direction.MINIMIZE else a > b

    def best(self, a: float, b: float) -> float:
        return b if self.better(b, a) else a

    def loss(self, value: float) -> float:
        """The value as something to minimise (what the search optimises)."""
        return value if self is Direction.MINIMIZE else -value

    def __str__(self) -> str:
        return self.value
