"""The one budget: how search.time_budget is divided, and where the plan is shown."""

import json

import pytest
import yaml

from genautoml.pipeline.plan import SHARES, as_comment, planned, stage_budget
from genautoml.records import TrialRecord
from genautoml.search.tuner import Budget
from tests.helpers import CONFIGS, invoke


def test_shares_add_up_to_the_whole_budget():
    assert sum(SHARES.values()) == pytest.approx(1.0)
    assert sum(planned(600).values()) == pytest.approx(600, abs=0.5)
    assert planned(None) is None


def test_each_stage_gets_its_share_of_what_is_left():
    total = 1000.0
    assert stage_budget(total, "cv", {}) == pytest.approx(1000 * SHARES["cv"])
    # cv used less than its share: the rest is shared by the stages after it, in proportion
    later = 1 - SHARES["cv"]
    assert stage_budget(total, "tune", {"cv": 100}) == pytest.approx(900 * SHARES["tune"] / later)
    spent = {"cv": 350, "tune": 300, "features": 100}
    assert stage_budget(total, "train", spent) == pytest.approx(250)  # the last stage gets all that is left
    assert stage_budget(total, "train", {"cv": 2000}) == 0.0  # overspent: nothing, never negative
    assert stage_budget(None, "tune", {"cv": 5}) is None
    # what a stage itself or later ones spent does not change its own share
    assert stage_budget(total, "tune", {"cv": 100, "tune": 50, "train": 9}) == stage_budget(total, "tune", {"cv": 100})


def test_validate_show_prints_the_plan_as_comments():
    result = invoke("validate", CONFIGS / "digits.yaml", "--show", "--set", "search.time_budget=10m")
    assert result.exit_code == 0, result.output
    assert "How search.time_budget (600 s) is spent" in result.output
    assert "#   cv           180 s  (30%)" in result.output
    # the output stays a config: the comments do not change what it loads as
    assert yaml.safe_load(result.output)["search"]["time_budget"] == 600.0
    assert "no plan" in as_comment(None)


def test_manifest_records_the_plan_and_each_stage_budget(tmp_path):
    from tests.helpers import small_digits_config

    config = small_digits_config(tmp_path, "plan", search={"time_budget": 600, "fidelity": {"max_factor": 1}})
    result = invoke("cv", config, "--run-dir", tmp_path / "run", "-q")
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["plan"]["time_budget"] == 600 and manifest["plan"]["shares"] == SHARES
    assert manifest["stages"]["cv"]["budget"] == pytest.approx(600 * SHARES["cv"], abs=0.1)
    cv = json.loads((tmp_path / "run" / "cv.json").read_text())
    assert cv["seconds"] == pytest.approx(sum(r["seconds"] for r in cv["records"]), abs=0.01)


def test_tune_keeps_time_for_rescoring_the_best():
    best = TrialRecord(id=0, stage="tune", family="vae", params={}, feature={}, seconds=20.0, figure=1.0, loss=1.0)
    budget = Budget(10, 100.0, None, reserve=lambda records: 3 * records[0].seconds if records else 0.0)
    assert budget.left(30.0, []) == 70.0
    assert budget.left(30.0, [best]) == 10.0  # 100 - 3 x 20 - 30
    assert Budget(10, None, None).left(30.0, [best]) is None
    # A trial may run no longer than leaves room to re-score it on every fold if it wins:
    # 70 s are left, re-scoring costs 3x the trial, so at most 70 / 4 s.
    rescoring = Budget(10, 100.0, None, rescore_factor=3.0)
    assert rescoring.trial_limit(30.0, []) == 17.5
    assert rescoring.trial_limit(30.0, []) + 3 * 17.5 + 30.0 == 100.0
    assert Budget(10, 100.0, None, reserve=lambda records: 60.0, rescore_factor=3.0).trial_limit(30.0, [best]) == 10.0
    assert Budget(10, None, None, rescore_factor=3.0).trial_limit(30.0, []) is None


def test_tune_is_skipped_when_its_share_cannot_pay_for_three_trials_at_cvs_cost():
    from types import SimpleNamespace

    from genautoml.pipeline.tune import too_short

    ctx = SimpleNamespace(config=SimpleNamespace(search=SimpleNamespace(cv_folds=3, tune_folds=1)))
    # cv's winner took 75 s on its 3 folds: a trial costs 25 s, re-scoring the best 75 s
    cv = {"leaderboard": [{"trial": 2}], "records": [{"id": 1, "seconds": 9.0, "folds": [{}] * 3},
                                                     {"id": 2, "seconds": 75.0, "folds": [{}] * 3}]}
    assert too_short(ctx, cv, None) is None  # no budget: tune runs its max_trials
    assert too_short(ctx, cv, 150.0) is None  # (150 - 75) / 25 = 3 trials
    assert too_short(ctx, cv, 140.0) == ("its 140 s pay for 2.6 trials at cv's winner's 25 s "
                                         "(after 75 s kept to re-score the best), fewer than 3")
    two_folds = SimpleNamespace(config=SimpleNamespace(search=SimpleNamespace(cv_folds=3, tune_folds=2)))
    assert too_short(two_folds, cv, 150.0) is not None  # 50 s a trial: 1.5


def test_a_budget_too_small_for_tune_keeps_cvs_choice(tmp_path):
    """cv always ranks every family (its first rung cut short, never skipped); when that
    spends the whole budget, tune runs no trial, features compares nothing more, and the
    winner trains as cv trained it."""
    from tests.helpers import small_digits_config

    config = small_digits_config(tmp_path, "tiny", search={"time_budget": 0.01, "fidelity": {"max_factor": 1}})
    result = invoke("search", config, "--run-dir", tmp_path / "run", "-q")
    assert result.exit_code == 0, result.output
    run = tmp_path / "run"
    cv, tune = (json.loads((run / f"{name}.json").read_text()) for name in ("cv", "tune"))
    features, metrics = (json.loads((run / f"{name}.json").read_text()) for name in ("features", "metrics"))
    assert tune["trials"] == 0 and tune["stopped_by"].startswith("skipped: its 0 s pay for 0.0 trials")
    assert tune["rescored"] is None and not (run / "trials.jsonl").exists()
    assert tune["chosen"]["source"] == "cv defaults" and tune["chosen"]["family"] == cv["leaderboard"][0]["family"]
    assert features["not_compared"] == [] or len(features["leaderboard"]) == 1
    assert metrics["family"] == tune["chosen"]["family"] and metrics["figure"] is not None


def test_a_budget_too_small_for_the_first_rung_cuts_it_short(tmp_path):
    """With no time for any family's default epochs, cv still ranks every family: each whose
    epochs are alike stops after its first epoch (the budget is spent before its first
    report) and trains every fold that far; the winner's final training starts there."""
    from genautoml.models.registry import get_family
    from tests.helpers import small_digits_config

    config = small_digits_config(tmp_path, "cut", search={"time_budget": 0.01, "fidelity": {"max_factor": 1}})
    result = invoke("search", config, "--run-dir", tmp_path / "run", "-q")
    assert result.exit_code == 0, result.output
    cv = json.loads((tmp_path / "run" / "cv.json").read_text())
    assert all(row["status"] == "ok" for row in cv["leaderboard"])
    cut = [r for r in cv["records"] if get_family(r["family"]).extends_epochs]
    assert cut, "the small config has no family whose epochs are alike"
    for record in cut:
        assert record["params"]["epochs"] == 1 and [f["epochs"] for f in record["folds"]] == [1] * len(record["folds"])
