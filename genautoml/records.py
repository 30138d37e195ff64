"""Typed trial records: what a trial is asked to do, and what it returns.

``TrialRequest`` goes to a trial function (locally, in a worker process or on a Ray
worker); a ``TrialRecord`` with one ``FoldRecord`` per fold comes back. Both are plain
picklable dataclasses. ``to_json`` / ``from_json`` keep the format of ``trials.jsonl``
and of the records in ``cv.json`` / ``features.json`` as it has always been, so run
directories made before these classes existed still load.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Iterable, Optional


class Status(str, Enum):
    """How a trial ended. A ``str`` enum: it compares equal to, and serialises as, its value."""

    OK = "ok"
    PRUNED = "pruned"  # stopped early by the stopping rule (a result at a lower fidelity)
    FAILED = "failed"  # raised, diverged or ran out of memory; ``error`` says which
    TIMED_OUT = "timed_out"  # ran past ``search.trial_timeout`` or the stage's budget

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class TrialRequest:
    trial_id: int
    stage: str
    family: str
    params: dict[str, Any]
    feature: dict[str, Any]  # the representation's config, as JSON
    folds: tuple[int, ...]
    #: "selection": only the selection metric (tune); "all": every metric (cv, train)
    metrics: str = "selection"
    #: score the model during training (for early stopping)
    track_curve: bool = False


@dataclass
class FoldRecord:
    fold: int
    seed: int
    #: [epoch, selection figure] at each scored epoch (for the stopping rule)
    curve: list[list[float]] = field(default_factory=list)
    #: every metric scored after training, by name
    metrics: dict[str, float] = field(default_factory=dict)
    #: the last epoch reached (None for families without epochs)
    epochs: Optional[int] = None
    seconds: Optional[float] = None
    #: the selection figure at the last epoch, set when the fold finished
    figure: Optional[float] = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"fold": self.fold, "seed": self.seed, "curve": self.curve, "metrics": self.metrics}
        for name in ("epochs", "seconds", "figure"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "FoldRecord":
        return cls(fold=data["fold"], seed=data.get("seed", 0), curve=[list(p) for p in data.get("curve", [])],
                   metrics=dict(data.get("metrics") or {}), epochs=data.get("epochs"),
                   seconds=data.get("seconds"), figure=data.get("figure"))


@dataclass
class TrialRecord:
    id: int
    stage: str
    family: str
    params: dict[str, Any]
    feature: dict[str, Any]
    folds: list[FoldRecord] = field(default_factory=list)
    status: Status = Status.OK
    error: Optional[str] = None
    seed: int = 0
    seconds: float = 0.0
    #: the selection figure: mean over finished folds (ok), last curve point (pruned), else None
    figure: Optional[float] = None
    #: ``figure`` as something to minimise (what the search optimises)
    loss: Optional[float] = None
    #: hyperopt's index-valued point (tune trials), kept so its state can be rebuilt
    vals: Optional[dict[str, list]] = None
    traceback: Optional[str] = None
    #: features stage: the representation's label, and whether the figure was reused from tune
    label: Optional[str] = None
    reused: bool = False
    #: cv: the fidelity the family was trained at, as a factor of its default epochs
    fidelity: Optional[int] = None
    #: cv: the epochs its folds' trainings had already run when this trial continued them
    #: (genautoml/pipeline/continued.py); None: trained from scratch
    continued_from: Optional[int] = None

    @property
    def ok(self) -> bool:
        return self.status is Status.OK

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id, "stage": self.stage, "family": self.family, "params": self.params,
            "feature": self.feature, "folds": [f.to_json() for f in self.folds], "status": self.status.value,
            "error": self.error, "seed": self.seed, "seconds": self.seconds, "figure": self.figure,
            "loss": self.loss,
        }
        for name in ("vals", "traceback", "label", "fidelity", "continued_from"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        if self.reused:
            out["reused"] = True
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "TrialRecord":
        return cls(
            id=data["id"], stage=data.get("stage", ""), family=data["family"], params=dict(data.get("params") or {}),
            feature=dict(data.get("feature") or {}), folds=[FoldRecord.from_json(f) for f in data.get("folds", [])],
            status=Status(data["status"]), error=data.get("error"), seed=data.get("seed", 0),
            seconds=data.get("seconds") or 0.0, figure=data.get("figure"), loss=data.get("loss"),
            vals=data.get("vals"), traceback=data.get("traceback"), label=data.get("label"),
            reused=bool(data.get("reused", False)), fidelity=data.get("fidelity"),
            continued_from=data.get("continued_from"),
        )

    def fold_metrics(self, name: str) -> list[float]:
        """``name``'s value on every fold that scored it."""
        return [f.metrics[name] for f in self.folds if f.metrics.get(name) is not None]

    def mean_metrics(self) -> dict[str, float]:
        """Per-metric mean over the folds."""
        names = sorted({name for fold in self.folds for name in fold.metrics})
        return {name: _mean(values) for name in names if (values := self.fold_metrics(name))}


def _mean(values: list[float]) -> float:
    import numpy as np

    return float(np.mean(values))


def ranked(records: Iterable[TrialRecord]) -> list[TrialRecord]:
    """Finished records best first (by loss); the rest after them, in their order."""
    records = list(records)
    ok = sorted((r for r in records if r.ok and r.loss is not None), key=lambda r: r.loss)
    chosen = {id(r) for r in ok}
    return ok + [r for r in records if id(r) not in chosen]


def best_per_family(records: Iterable[TrialRecord]) -> dict[str, TrialRecord]:
    """Each family's best finished record, best family first."""
    best: dict[str, TrialRecord] = {}
    for record in ranked(records):
        if record.ok and record.loss is not None:
            best.setdefault(record.family, record)
    return best
