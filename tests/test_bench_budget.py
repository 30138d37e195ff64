"""The budget benchmark's accounting: what the plan paid for, and the verdict per run."""

import json

from bench.budget import in_plan_seconds, markdown


def fake_run(tmp_path, extended: bool):
    stages = {name: {"seconds": seconds} for name, seconds in (("cv", 20.0), ("tune", 15.0), ("features", 5.0))}
    stages["train"] = {"seconds": 30.0}  # the whole stage: training, sample writing, test scoring
    (tmp_path / "manifest.json").write_text(json.dumps({"stages": stages}))
    training = {"extended": True, "seconds": 18.0} if extended else {"extended": False, "reason": "no epochs"}
    (tmp_path / "metrics.json").write_text(json.dumps({"seconds": 22.0, "training": training}))
    return tmp_path


def test_the_plan_pays_for_training_not_for_the_test_scoring(tmp_path):
    assert in_plan_seconds(fake_run(tmp_path, extended=True)) == {"cv": 20.0, "tune": 15.0, "features": 5.0,
                                                                   "train": 18.0}
    assert in_plan_seconds(fake_run(tmp_path, extended=False))["train"] == 22.0


def test_a_run_over_its_tolerance_is_counted_as_missed():
    rows = [
        {"config": "a.yaml", "budget": 60, "wall": 66.0, "in_plan": 62.0, "over": 62 / 60 - 1, "within": True,
         "stages": {"cv": 30.0, "tune": 32.0}, "family": "vae", "metric": "frechet", "figure": 1.5},
        {"config": "b.yaml", "budget": 60, "wall": 80.0, "in_plan": 70.0, "over": 70 / 60 - 1, "within": False,
         "stages": {"cv": 70.0}, "family": "gan", "metric": "frechet", "figure": 2.0},
        {"config": "c.yaml", "budget": 60, "wall": 3.0, "error": ["config.yaml: bad"]},
    ]
    text = markdown({"budgets": [60], "tolerance": 0.05, "rows": rows})
    assert "| a.yaml | 60 | 66.0 | 62.0 | +3.3% |" in text and "| b.yaml | 60 | 80.0 | 70.0 | +16.7% |" in text
    assert "failed: config.yaml: bad" in text
    assert "Within 5% of the budget: 1 of 3 runs" in text
