"""The Ray executor on a local Ray (2 CPUs): same trials.jsonl, statuses and resume as local."""

import json
import textwrap

import pytest
from typer.testing import CliRunner

from genautoml.cli import app

ray = pytest.importorskip("ray")

CONFIG = """
name: ray
seed: 2
device: cpu
data: {modality: image, source: builtin:digits, max_examples: 120}
models:
  - {family: vae, params: {epochs: 2, hidden: 32, depth: 1}}
  - {family: gan, params: {epochs: 2, hidden: 32, depth: 1}}
search: {cv_folds: 2, top_k: 2, max_trials: 4, parallel: 2, executor: ray, time_budget: null,
         max_eval_examples: 40, grace_epochs: 0}
"""


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def trials(run_dir):
    return sorted((json.loads(l) for l in (run_dir / "trials.jsonl").read_text().splitlines()), key=lambda r: r["id"])


def strip(records):
    return [(r["id"], r["family"], r["params"], r["status"], r["figure"]) for r in records]


def test_ray_search_then_resume_repeats_nothing(local_ray, tmp_path):
    config = tmp_path / "ray.yaml"
    config.write_text(textwrap.dedent(CONFIG))
    run_dir = tmp_path / "run"
    result = CliRunner().invoke(app, ["tune", str(config), "--run-dir", str(run_dir)])
    assert result.exit_code == 0, result.output
    first = trials(run_dir)
    assert [r["id"] for r in first] == [0, 1, 2, 3]
    assert {r["status"] for r in first} <= {"ok", "pruned"}
    tune = json.loads((run_dir / "tune.json").read_text())
    ok = [r for r in first if r["status"] == "ok"]
    assert tune["best"]["id"] == min(ok, key=lambda r: r["loss"])["id"]
    # Lose the last block, as if the driver was killed: only those two trials run again.
    lines = (run_dir / "trials.jsonl").read_text().splitlines()
    (run_dir / "trials.jsonl").write_text("\n".join(l for l in lines if json.loads(l)["id"] < 2) + "\n")
    (run_dir / "tune.json").unlink()
    result = CliRunner().invoke(app, ["tune", str(config), "--run-dir", str(run_dir)])
    assert result.exit_code == 0, result.output
    assert strip(trials(run_dir)) == strip(first)
    assert len((run_dir / "trials.jsonl").read_text().splitlines()) == 4


def test_ray_timeouts_become_statuses(local_ray, tmp_path):
    config = tmp_path / "ray.yaml"
    config.write_text(textwrap.dedent(CONFIG).replace("grace_epochs: 0", "grace_epochs: 0, trial_timeout: 0.001"))
    run_dir = tmp_path / "run"
    result = CliRunner().invoke(app, ["tune", str(config), "--run-dir", str(run_dir)])
    assert result.exit_code == 1  # every trial timed out: the stage fails with the reasons
    assert "timed_out" in result.output
    assert {r["status"] for r in trials(run_dir)} == {"timed_out"}
