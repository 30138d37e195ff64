"""How `runs` and `show` draw what genautoml/pipeline/runs.py read."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from genautoml.views.console import ConsoleView, fmt
from genautoml.views.stages import show_metrics
from genautoml.words import count

#: one character per stage status, so a run's five stages fit in a column
MARKS = {"done": "✓", "running": "…", "interrupted": "‖", "failed": "✗", "-": "-"}


def stage_marks(stages: dict[str, str]) -> str:
    return " ".join(f"{name} {MARKS.get(status, status)}" for name, status in stages.items())


def figure_text(run: dict[str, Any]) -> str:
    """``frechet 0.299 (real data 0.195, n=359)``, or "-" before the final training."""
    if run.get("figure") is None:
        return "-"
    floor = f"real data {fmt(run['floor'])}, " if run.get("floor") is not None else ""
    return f"{run['metric']} {fmt(run['figure'])} ({floor}n={run['scored_examples']})"


def _seconds(run: dict[str, Any]) -> str:
    budget: Optional[float] = run.get("time_budget")
    return f"{run['seconds']:.0f} s" + (f" of {budget:.0f}" if budget else "")


def show_runs(view: ConsoleView, runs: list[dict[str, Any]], folder: Path) -> None:
    rows = [(run["name"], run.get("modality") or "-", run["status"], stage_marks(run["stages"]),
             " on ".join(p for p in (run.get("family"), run.get("representation")) if p) or "-",
             figure_text(run), _seconds(run) if run["status"] != "damaged" else run.get("error"), run["path"])
            for run in runs]
    view.table(f"{count(len(runs), 'run')} in {folder}, newest first",
               ["name", "modality", "status", "stages", "chosen", "test figure", "seconds", "path"], rows)


def show_run(view: ConsoleView, run: dict[str, Any]) -> None:
    view.table(f"{run['name']} ({run.get('modality') or '-'}): {run['status']}", ["stage", "status", "budget s", "seconds"],
               [(name, status, run["stage_budgets"].get(name), run["stage_seconds"].get(name))
                for name, status in run["stages"].items()])
    if run.get("error"):
        view.note(f"failed: {run['error']}")
    view.note(f"chosen: {' on '.join(p for p in (run.get('family'), run.get('representation')) if p) or '-'}; "
              f"{figure_text(run)}; {_seconds(run)}; {run['path']}")
    if run.get("test"):
        show_metrics(view, run["test"])
