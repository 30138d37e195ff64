"""What a stage tells the world while it runs: events, not prints.

Stages call ``ctx.events``; the shell passes a view that draws them (genautoml/views),
and Python callers get ``Silent`` unless they ask for more, so a stage run from a
notebook or a Ray worker prints nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, Protocol

from genautoml.records import TrialRecord


@dataclass(frozen=True)
class TrialProgress:
    """One finished trial of a stage, with where the stage stands."""

    record: TrialRecord
    done: int
    total: int
    best: Optional[TrialRecord]
    #: what to call the record in a display (the family, or a representation's label)
    label: str = ""
    best_label: str = ""
    remaining: Optional[float] = None  # seconds of budget left
    counts: Optional[dict[str, int]] = None  # records by status
    per_family: Optional[dict[str, float]] = None  # best figure of each family so far


@dataclass(frozen=True)
class EpochProgress:
    """Training under way: where a trial (or the final training) stands after an epoch."""

    label: str  # the family, or what is being trained
    epoch: int
    epochs: Optional[int] = None  # planned, when known
    fold: Optional[int] = None  # counted from 0
    folds: Optional[int] = None
    figure: Optional[float] = None  # the last scored figure, if this epoch was scored


@dataclass(frozen=True)
class WorkProgress:
    """Work outside training under way, counted in ``unit``: samples generated, for one."""

    label: str
    done: int
    total: int
    unit: str


class Events(Protocol):
    def stage(self, name: str, detail: str = "") -> None:
        """A stage starts (``detail``: what it will do)."""

    def note(self, message: str) -> None:
        """Something worth a line: a choice made, a resumed state, a check passed."""

    def warn(self, message: str) -> None:
        """Something the user should look at; the work goes on."""

    def trial(self, progress: TrialProgress) -> None:
        """A trial (or a cv family, or a representation) finished."""

    def epoch(self, progress: EpochProgress) -> None:
        """An epoch of training ended (a view shows some of them, so long work is not silent)."""

    def work(self, progress: WorkProgress) -> None:
        """Part of a long piece of work done (a view shows some of them)."""

    def result(self, stage: str, artifact: dict[str, Any]) -> None:
        """A stage's artifact, written or found up to date."""


class Silent:
    """The default: every event dropped."""

    def stage(self, name: str, detail: str = "") -> None:
        pass

    def note(self, message: str) -> None:
        pass

    def warn(self, message: str) -> None:
        pass

    def trial(self, progress: TrialProgress) -> None:
        pass

    def epoch(self, progress: EpochProgress) -> None:
        pass

    def work(self, progress: WorkProgress) -> None:
        pass

    def result(self, stage: str, artifact: dict[str, Any]) -> None:
        pass
