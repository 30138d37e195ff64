"""The Ray executor on a local Ray (2 CPUs): same trials.jsonl, statuses and resume as local."""

import json

import pytest

from tests.helpers import comparable, invoke, read_trials, small_digits_config

ray = pytest.importorskip("ray")

SEARCH = {"max_trials": 4, "parallel": 2, "executor": "ray", "grace_epochs": 0}


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def test_ray_search_then_resume_repeats_nothing(local_ray, tmp_path):
    config = small_digits_config(tmp_path, "ray", seed=2, search=SEARCH)
    run_dir = tmp_path / "run"
    result = invoke("tune", config, "--run-dir", run_dir)
    assert result.exit_code == 0, result.output
    first = read_trials(run_dir)
    assert [r["id"] for r in first] == [0, 1, 2, 3]
    assert {r["status"] for r in first} <= {"ok", "pruned"}
    tune = json.loads((run_dir / "tune.json").read_text())
    ok = [r for r in first if r["status"] == "ok"]
    assert tune["best"]["id"] == min(ok, key=lambda r: r["loss"])["id"]
    # Lose the last block, as if the driver was killed: only those two trials run again.
    lines = (run_dir / "trials.jsonl").read_text().splitlines()
    (run_dir / "trials.jsonl").write_text("\n".join(line for line in lines if json.loads(line)["id"] < 2) + "\n")
    (run_dir / "tune.json").unlink()
    result = invoke("tune", config, "--run-dir", run_dir)
    assert result.exit_code == 0, result.output
    assert comparable(read_trials(run_dir)) == comparable(first)
    assert len((run_dir / "trials.jsonl").read_text().splitlines()) == 4


def test_ray_timeouts_become_statuses(local_ray, tmp_path):
    config = small_digits_config(tmp_path, "ray", seed=2, search={**SEARCH, "trial_timeout": 0.001})
    run_dir = tmp_path / "run"
    result = invoke("tune", config, "--run-dir", run_dir)
    # every trial timed out on its Ray worker: recorded as such, and cv's winner stands
    assert result.exit_code == 0, result.output
    assert {r["status"] for r in read_trials(run_dir)} == {"timed_out"}
    tune = json.loads((run_dir / "tune.json").read_text())
    assert tune["chosen"]["source"] == "cv defaults" and tune["rescored"] is None
