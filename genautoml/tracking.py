"""MLflow tracking (the optional extra ``genautoml[mlflow]``): a finished search logged from
its run directory, which stays the one source of truth.

The search becomes a parent run (the config's facts as parameters, the chosen model's test
figures and their floors as metrics, report.html, metrics.json and the samples as
artifacts); every cv candidate and tune trial becomes a nested run (family, parameters and
representation as parameters, its learning curve as step metrics, its figure, its status).
Logged when the search ends (not live: a crash leaves the run directory, from which the
next ``search`` logs it), once per tracking URI and experiment: ``tracking.json`` in the run
directory records where it went, so running ``search`` again on a finished run does not log
it twice.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any, Optional

from genautoml import atomic
from genautoml.config import MlflowTracking
from genautoml.errors import ConfigError

RECORD = "tracking.json"
#: MLflow's batch limits (metrics and parameters per call)
_BATCH_METRICS, _BATCH_PARAMS = 1000, 100
#: trial statuses as MLflow's run statuses
_STATUS = {"ok": "FINISHED", "pruned": "KILLED", "timed_out": "KILLED", "failed": "FAILED"}


def track_run(run_dir: Path) -> Optional[dict[str, Any]]:
    """Log ``run_dir`` where its config's ``tracking`` says (nowhere: None)."""
    import yaml

    config = yaml.safe_load((Path(run_dir) / "config.yaml").read_text(encoding="utf-8")) or {}
    settings = ((config.get("tracking") or {}).get("mlflow"))
    return track(Path(run_dir), MlflowTracking.model_validate(settings) if settings else None)


def track(run_dir: Path, settings: Optional[MlflowTracking]) -> Optional[dict[str, Any]]:
    """Log ``run_dir`` to MLflow as ``settings`` say (None: nothing to do); where it went."""
    if settings is None:
        return None
    run_dir = Path(run_dir)
    done = _already(run_dir, settings)
    if done is not None:
        return done
    try:
        client = _client(settings)
        experiment = _experiment(client, settings.experiment)
        parent = _log_search(client, experiment, run_dir)
    except Exception as exc:  # MLflow raises its own and the HTTP client's errors
        if isinstance(exc, ConfigError):
            raise
        raise ConfigError(f"tracking.mlflow.uri: logging to {settings.uri} failed: {_first_line(exc)}") from None
    record = {"mlflow": {"uri": settings.uri, "experiment": settings.experiment, "experiment_id": experiment,
                         "run_id": parent, "logged": time.strftime("%Y-%m-%dT%H:%M:%S%z")}}
    atomic.write_json(run_dir / RECORD, record)
    return record


def _already(run_dir: Path, settings: MlflowTracking) -> Optional[dict[str, Any]]:
    path = run_dir / RECORD
    if not path.exists():
        return None
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None  # damaged: log again and rewrite it
    logged = (record or {}).get("mlflow") or {}
    same = logged.get("uri") == settings.uri and logged.get("experiment") == settings.experiment
    return record if same else None


def _client(settings: MlflowTracking):
    import logging

    # MLflow's INFO lines (creating database tables, ...) are not ours to print
    logging.getLogger("mlflow").setLevel(logging.WARNING)
    try:
        from mlflow.tracking import MlflowClient
    except ImportError:
        raise ConfigError("tracking.mlflow: MLflow is not installed; install it with "
                          "pip install 'genautoml[mlflow]', or remove tracking from the config") from None
    return MlflowClient(tracking_uri=settings.uri)


def _experiment(client, name: str) -> str:
    found = client.get_experiment_by_name(name)
    return found.experiment_id if found is not None else client.create_experiment(name)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__


def _read(run_dir: Path, name: str) -> Optional[dict[str, Any]]:
    path = run_dir / name
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def _log_search(client, experiment: str, run_dir: Path) -> str:
    import yaml

    config = yaml.safe_load((run_dir / "config.yaml").read_text(encoding="utf-8"))
    metrics, cv = _read(run_dir, "metrics.json") or {}, _read(run_dir, "cv.json") or {}
    parent = client.create_run(experiment, run_name=config["name"],
                               tags={"genautoml.run_dir": str(run_dir.resolve()), "genautoml.kind": "search"})
    parent_id = parent.info.run_id
    search = config.get("search") or {}
    facts = {"modality": config["data"]["modality"], "source": config["data"].get("source"), "seed": config.get("seed"),
             "families": ",".join(m["family"] for m in config["models"]), "metric": metrics.get("metric") or cv.get("metric"),
             "time_budget": search.get("time_budget"), "max_trials": search.get("max_trials"),
             "chosen_family": metrics.get("family"), "chosen_feature": json.dumps(metrics.get("feature"))}
    figures = {f"test_{k}": v for k, v in (metrics.get("metrics") or {}).items()}
    figures.update({f"floor_{k}": v for k, v in (metrics.get("floor") or {}).items()})
    _batch(client, parent_id, facts, [(name, value, 0) for name, value in figures.items()])
    for trial in _trials(run_dir, cv):
        _log_trial(client, experiment, parent_id, trial, cv.get("metric", "figure"))
    for name in ("report.html", "metrics.json"):
        if (run_dir / name).exists():
            client.log_artifact(parent_id, str(run_dir / name))
    if (run_dir / "samples").is_dir():
        client.log_artifacts(parent_id, str(run_dir / "samples"), "samples")
    client.set_terminated(parent_id, "FINISHED")
    return parent_id


def _trials(run_dir: Path, cv: dict[str, Any]) -> list[dict[str, Any]]:
    """cv's candidates, then tune's trials from trials.jsonl (a line cut by a crash is skipped)."""
    found = [{**record, "stage": "cv"} for record in cv.get("records", [])]
    path = run_dir / "trials.jsonl"
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if record.get("stage") == "tune":
                found.append(record)
    return found


def _log_trial(client, experiment: str, parent_id: str, trial: dict[str, Any], metric: str) -> None:
    stage, family = trial["stage"], trial.get("family")
    run = client.create_run(experiment, run_name=f"{stage}-{trial.get('id')}-{family}",
                            tags={"mlflow.parentRunId": parent_id, "genautoml.stage": stage,
                                  "genautoml.status": str(trial.get("status"))})
    params = {"family": family, "feature": json.dumps(trial.get("feature")), "stage": stage,
              **{f"param.{k}": v for k, v in (trial.get("params") or {}).items()}}
    if trial.get("fidelity") is not None:
        params["fidelity"] = trial["fidelity"]
    points = [(metric, value, int(epoch)) for fold in (trial.get("folds") or [])[:1] for epoch, value in fold.get("curve") or []]
    if trial.get("figure") is not None:
        points.append((f"final_{metric}", trial["figure"], 0))
    if trial.get("seconds") is not None:
        points.append(("seconds", trial["seconds"], 0))
    _batch(client, run.info.run_id, params, points)
    client.set_terminated(run.info.run_id, _STATUS.get(trial.get("status"), "FINISHED"))


def _batch(client, run_id: str, params: dict[str, Any], points: list[tuple[str, float, int]]) -> None:
    from mlflow.entities import Metric, Param

    stamp = int(time.time() * 1000)
    metrics = [Metric(name, float(value), stamp, step) for name, value, step in points
               if isinstance(value, (int, float)) and math.isfinite(value)]
    param_list = [Param(name, str(value)[:6000]) for name, value in params.items() if value is not None]
    for start in range(0, len(metrics), _BATCH_METRICS):
        client.log_batch(run_id, metrics=metrics[start:start + _BATCH_METRICS])
    for start in range(0, len(param_list), _BATCH_PARAMS):
        client.log_batch(run_id, params=param_list[start:start + _BATCH_PARAMS])
