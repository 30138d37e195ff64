"""`runs` and `show`: every kind of run directory is listed as what it is, newest first."""

import json
import shutil

from genautoml.rundir import RunDir
from tests.helpers import invoke

ARTIFACTS = {"tune": "tune.json", "features": "features.json", "train": "metrics.json"}


def copy_stopped(original, folder, name, stage, status, **extra):
    """A copy of a finished run as it is left when ``stage`` ends with ``status`` (the write
    the runner makes), without the results of that stage and the ones after it."""
    run_dir = folder / name
    shutil.copytree(original, run_dir)
    manifest = json.loads((run_dir / "manifest.json").read_text())
    for gone in list(ARTIFACTS)[list(ARTIFACTS).index(stage):]:
        manifest["stages"].pop(gone, None)
        (run_dir / ARTIFACTS[gone]).unlink()
    (run_dir / "manifest.json").write_text(json.dumps(manifest))
    RunDir(run_dir).stage_status(stage, status, 1.0, **extra)
    return run_dir


def test_runs_lists_finished_interrupted_failed_and_killed_runs(finished_run, tmp_path):
    _, original, _ = finished_run
    folder = tmp_path / "runs"
    shutil.copytree(original, folder / "finished")
    copy_stopped(original, folder, "interrupted", "tune", "interrupted")
    copy_stopped(original, folder, "failed", "tune", "failed", error="tune: all 3 trials failed")
    copy_stopped(original, folder, "killed", "features", "running")  # kill -9: no lock, stage left running
    (folder / "damaged").mkdir()
    (folder / "damaged" / "manifest.json").write_text("{not json")
    (folder / "not-a-run").mkdir()
    listed = invoke("runs", folder, "--json")
    assert listed.exit_code == 0, listed.output
    runs = {run["path"].rsplit("/", 1)[1]: run for run in json.loads(listed.stdout)}
    assert set(runs) == {"finished", "interrupted", "failed", "killed", "damaged"}
    assert {name: run["status"] for name, run in runs.items()} == {
        "finished": "done", "interrupted": "interrupted", "failed": "failed", "killed": "stopped", "damaged": "damaged"}
    finished = runs["finished"]
    metrics = json.loads((original / "metrics.json").read_text())
    assert finished["figure"] == metrics["figure"] and finished["floor"] == metrics["floor"][metrics["metric"]]
    assert finished["family"] == metrics["family"] and finished["modality"] == "image"
    assert runs["failed"]["error"] == "tune: all 3 trials failed" and runs["interrupted"]["figure"] is None
    assert runs["interrupted"]["stages"]["tune"] == "interrupted" and runs["interrupted"]["stages"]["train"] == "-"
    assert json.loads(listed.stdout)[-1]["status"] == "damaged"  # no time to sort it by: last
    table = invoke("runs", folder)
    assert table.exit_code == 0 and "interrupted" in table.output and "real data" in table.output


def test_show_one_run_and_bad_paths(finished_run, tmp_path):
    _, run_dir, _ = finished_run
    shown = invoke("show", run_dir)
    assert shown.exit_code == 0 and "test metrics" in shown.output and "train" in shown.output
    whole = json.loads(invoke("show", run_dir, "--json").stdout)
    assert whole["status"] == "done" and whole["test"] == json.loads((run_dir / "metrics.json").read_text())
    missing = invoke("runs", tmp_path / "nowhere")
    assert missing.exit_code == 2 and "not a folder" in missing.output
    not_run = invoke("show", tmp_path)
    assert not_run.exit_code == 2 and "not a genautoml run directory" in not_run.output
    running = tmp_path / "running"
    shutil.copytree(run_dir, running)
    with RunDir(running).locked():  # this process writes it
        assert json.loads(invoke("runs", running, "--json").stdout)[0]["status"] == "done"
        RunDir(running).stage_status("train", "running")
        assert json.loads(invoke("runs", running, "--json").stdout)[0]["status"] == "running"
