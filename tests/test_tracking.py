"""MLflow tracking: a finished search logged as a parent run with a nested run per cv
candidate and tune trial, to a local store and to an `mlflow server` on localhost."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import urllib.request

import pytest

from genautoml.config import MlflowTracking
from genautoml.errors import ConfigError
from genautoml.tracking import RECORD, track
from tests.helpers import invoke

mlflow = pytest.importorskip("mlflow", reason="the optional extra genautoml[mlflow] is not installed")


@pytest.fixture
def run_copy(finished_run, tmp_path, monkeypatch):
    """A copy of the finished tiny run; the working directory is the test's (MLflow puts a
    sqlite store's artifacts in ./mlruns)."""
    _, run_dir, _ = finished_run
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    monkeypatch.chdir(tmp_path)
    return copy


def logged_runs(uri: str, experiment: str = "genautoml"):
    client = mlflow.tracking.MlflowClient(uri)
    found = client.get_experiment_by_name(experiment)
    return client, client.search_runs([found.experiment_id]) if found else []


def check_logged(client, runs, run_dir) -> None:
    """One parent with the test figures, floors and artifacts; one nested run per cv
    candidate and tune trial, each with its parameters, status and learning curve."""
    parents = [r for r in runs if r.data.tags.get("genautoml.kind") == "search"]
    assert len(parents) == 1
    parent = parents[0]
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert parent.data.metrics["test_frechet"] == pytest.approx(metrics["metrics"]["frechet"])
    assert parent.data.metrics["floor_frechet"] == pytest.approx(metrics["floor"]["frechet"])
    assert parent.data.params["chosen_family"] == metrics["family"]
    artifacts = {a.path for a in client.list_artifacts(parent.info.run_id)}
    assert {"report.html", "metrics.json", "samples"} <= artifacts
    children = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parent.info.run_id]
    cv = json.loads((run_dir / "cv.json").read_text())
    tune = [json.loads(line) for line in (run_dir / "trials.jsonl").read_text().splitlines()]
    assert len(children) == len(cv["records"]) + len([t for t in tune if t["stage"] == "tune"])
    trial = next(t for t in tune if t["status"] == "ok")
    child = next(r for r in children if r.info.run_name == f"tune-{trial['id']}-{trial['family']}")
    assert child.data.params["family"] == trial["family"] and child.info.status == "FINISHED"
    history = client.get_metric_history(child.info.run_id, cv["metric"])
    assert [(m.step, m.value) for m in history] == [tuple(p) for p in trial["folds"][0]["curve"]]


def test_a_finished_search_is_logged_to_a_local_store_once(run_copy, tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    result = invoke("search", run_copy / "config.yaml", "--run-dir", run_copy, "--set", f"tracking.mlflow.uri={uri}")
    assert result.exit_code == 0, result.output
    assert "logged to MLflow" in result.output
    client, runs = logged_runs(uri)
    check_logged(client, runs, run_copy)
    assert json.loads((run_copy / RECORD).read_text())["mlflow"]["uri"] == uri
    again = invoke("search", run_copy / "config.yaml", "--run-dir", run_copy, "--set", f"tracking.mlflow.uri={uri}")
    assert again.exit_code == 0 and len(logged_runs(uri)[1]) == len(runs)  # not logged twice


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def mlflow_server(tmp_path):
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
         "--backend-store-uri", f"sqlite:///{tmp_path / 'server.db'}", "--artifacts-destination", str(tmp_path / "art")],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    uri = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(server, uri)
        yield uri
    finally:
        server.terminate()
        server.wait(timeout=30)


def _wait_until_up(server: subprocess.Popen, uri: str) -> None:
    """Poll the server's health endpoint until it answers or the process ends."""
    while server.poll() is None:
        try:
            with urllib.request.urlopen(f"{uri}/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        try:
            server.wait(timeout=0.5)  # a pause that ends early if the server dies
        except subprocess.TimeoutExpired:
            pass
    raise RuntimeError(f"mlflow server exited ({server.returncode}): {server.stderr.read()[-2000:]}")


def test_a_finished_search_is_logged_to_an_mlflow_server(run_copy, mlflow_server):
    record = track(run_copy, MlflowTracking(uri=mlflow_server, experiment="from-test"))
    client, runs = logged_runs(mlflow_server, "from-test")
    assert record["mlflow"]["run_id"] in {r.info.run_id for r in runs}
    check_logged(client, runs, run_copy)


def test_tracking_problems_are_one_line_config_errors(run_copy, monkeypatch):
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "5")
    with pytest.raises(ConfigError, match=r"tracking.mlflow.uri: logging to http://127.0.0.1:9 failed"):
        track(run_copy, MlflowTracking(uri="http://127.0.0.1:9"))
    assert not (run_copy / RECORD).exists()
    monkeypatch.setitem(sys.modules, "mlflow", None)  # as if the extra were not installed
    monkeypatch.setitem(sys.modules, "mlflow.tracking", None)
    with pytest.raises(ConfigError, match=r"pip install 'genautoml\[mlflow\]'"):
        track(run_copy, MlflowTracking(uri="sqlite:///x.db"))


def test_tracking_changes_no_result(write_yaml):
    # Turning tracking on for a finished run must not ask for --force: it is a neutral key.
    from genautoml.pipeline.context import identity

    base = {"name": "a", "data": {}, "search": {}, "tracking": {"mlflow": None}}
    assert identity(base) == identity({**base, "tracking": {"mlflow": {"uri": "sqlite:///m.db"}}})
