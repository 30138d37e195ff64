"""genautoml from Python, without the CLI: a search, samples, an evaluation, typed errors."""

import numpy as np
import pytest

import genautoml.api as gm
from genautoml.errors import ConfigError, RunDirError
from tests.helpers import small_digits_config


def test_search_sample_and_evaluate_from_python(tmp_path, capsys):
    config = small_digits_config(tmp_path, "api", search={"max_trials": 2}, train={"samples": 4})
    run = gm.search(config, run_dir=tmp_path / "run")
    assert capsys.readouterr().out == ""  # nothing printed unless asked
    metrics = run.metrics
    assert metrics["split"] == "test" and run.leaderboard[0]["family"] in {"vae", "gan"}
    assert len(run.trials) == 2 and all(trial.stage == "tune" for trial in run.trials)
    assert run.status["status"] == "done"
    assert (run.path / "report.html").is_file()  # search writes the report, as the CLI's does
    elsewhere = run.report(tmp_path / "copy.html")
    assert elsewhere.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    images = run.sample(12, seed=1)
    assert images.shape[0] == 12 and images.ndim == 4 and np.array_equal(images, run.sample(12, seed=1))
    own = run.evaluate()  # the run's model: reproduces metrics.json
    assert own["metrics"][metrics["metric"]] == pytest.approx(metrics["figure"], rel=1e-9)
    given = run.evaluate(images)
    assert given["source"] == "samples given" and np.isfinite(given["metrics"]["frechet"])
    # A dict config and overrides, run again on the finished directory: nothing to redo.
    import yaml

    again = gm.search(yaml.safe_load(config.read_text()), run_dir=tmp_path / "run", overrides=["name=renamed"])
    assert again.metrics == metrics


def test_errors_are_typed_exceptions(tmp_path):
    with pytest.raises(ConfigError, match="search.max_trials"):
        gm.search({"name": "t", "data": {"modality": "image", "source": "builtin:digits"},
                   "models": [{"family": "vae"}], "search": {"max_trials": 0}}, run_dir=tmp_path / "run")
    with pytest.raises(RunDirError, match="not a genautoml run directory"):
        gm.Run(tmp_path)
    with pytest.raises(ValueError, match="stage: expected one of"):
        gm.run_stage("everything", tmp_path / "c.yaml")
