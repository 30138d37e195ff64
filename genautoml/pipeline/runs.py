"""`runs` and `show`: what run directories hold, read from their files (no torch, nothing
written). A run is done when every stage is; otherwise it is running (a live process holds
its lock), or says where it stopped: interrupted, failed (with the error), or stopped (a
stage left "running" by a process that is gone: killed, or the machine went down)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import yaml

from genautoml.errors import GenautomlError, RunDirError
from genautoml.pipeline.stages import STAGE_NAMES
from genautoml.rundir import RunDir


def is_run_dir(path: Path) -> bool:
    return (path / "manifest.json").is_file()


def find_runs(root: Path) -> list[dict[str, Any]]:
    """Every run directory in ``root`` (or ``root`` itself), newest first."""
    root = Path(root)
    if not root.is_dir():
        raise RunDirError(f"{root}: not a folder; expected a folder of run directories (default: runs)")
    found = [root] if is_run_dir(root) else sorted(p for p in root.iterdir() if p.is_dir() and is_run_dir(p))
    return sorted((summarize(path) for path in found), key=lambda run: run["updated"] or "", reverse=True)


def summarize(path: Path) -> dict[str, Any]:
    """One run directory in a few fields; a damaged file makes the run "damaged", never an error."""
    run = RunDir(path)
    try:
        return _summary(run)
    except GenautomlError as exc:
        return {"path": str(path), "name": Path(path).name, "status": "damaged", "error": exc.message,
                "stages": {}, "updated": None}


def _summary(run: RunDir) -> dict[str, Any]:
    if not is_run_dir(run.path):
        raise RunDirError(f"{run.path}: not a genautoml run directory (no manifest.json)")
    manifest = run.manifest()
    config = _config(run)
    stages = {name: manifest.get("stages", {}).get(name, {}) for name in STAGE_NAMES}
    metrics, features, tune = run.read_json("metrics.json"), run.read_json("features.json"), run.read_json("tune.json")
    chosen = (metrics or {}).get("family") or ((tune or {}).get("chosen") or {}).get("family")
    metric = (metrics or {}).get("metric")
    updates = [entry.get("updated") for entry in stages.values() if entry.get("updated")]
    return {
        "path": str(run.path),
        "name": config.get("name", run.path.name),
        "modality": (config.get("data") or {}).get("modality"),
        "status": _status(run, stages),
        "error": next((entry.get("error") for entry in stages.values() if entry.get("status") == "failed"), None),
        "stages": {name: entry.get("status", "-") for name, entry in stages.items()},
        "stage_seconds": {name: entry.get("seconds") for name, entry in stages.items()},
        "stage_budgets": {name: entry.get("budget") for name, entry in stages.items()},
        "family": chosen,
        "representation": (features or {}).get("chosen_label"),
        "metric": metric,
        "figure": (metrics or {}).get("figure"),
        "floor": ((metrics or {}).get("floor") or {}).get(metric),
        "scored_examples": (metrics or {}).get("scored_examples"),
        "time_budget": (manifest.get("plan") or {}).get("time_budget"),
        "seconds": round(sum(entry.get("seconds") or 0.0 for entry in stages.values()), 1),
        "created": manifest.get("created"),
        "updated": max(updates) if updates else manifest.get("created"),
    }


def _config(run: RunDir) -> dict[str, Any]:
    path = run.path / "config.yaml"
    if not path.exists():
        return {}
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError):
        raise RunDirError(f"{path}: damaged") from None
    return loaded if isinstance(loaded, dict) else {}


def _status(run: RunDir, stages: dict[str, dict[str, Any]]) -> str:
    statuses = [entry.get("status") for entry in stages.values()]
    if all(status == "done" for status in statuses):
        return "done"
    if run.writer() is not None:
        return "running"
    for status in ("failed", "interrupted"):
        if status in statuses:
            return status
    return "stopped" if "running" in statuses else "partial"


def one_run(path: Path) -> dict[str, Any]:
    """``show``: one run in full (refused with one line when ``path`` is not a run directory)."""
    path = Path(path)
    if not path.is_dir() or not is_run_dir(path):
        raise RunDirError(f"{path}: not a genautoml run directory (no manifest.json)")
    summary = summarize(path)
    metrics: Optional[dict[str, Any]] = RunDir(path).read_json("metrics.json") if summary["status"] != "damaged" else None
    return {**summary, "test": metrics}


def tune_trials(path: Path) -> list:
    """The tune trials of a run directory, as ``TrialRecord`` objects, in the order they finished."""
    from genautoml.search.store import TrialStore

    return [record for record in TrialStore(Path(path) / "trials.jsonl").load() if record.stage == "tune"]
