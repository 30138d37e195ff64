"""A trial that raises, returns NaN, diverges or runs out of memory is recorded and the search goes on."""

import json
import math
import textwrap
import time

import pytest
import torch

from genautoml.config import validate
from genautoml.models.base import Family
from genautoml.models.registry import registered
from genautoml.pipeline.dataset import load_dataset
from genautoml.pipeline.trial import run_trial
from genautoml.records import TrialRequest
from tests.helpers import invoke


class Flaky(Family):
    """A per-pixel Gaussian (a real, if weak, generative model) that misbehaves on request."""

    name = "flaky"
    modalities = ("image",)
    default_space = {"mode": {"choice": ["ok", "nan", "raise", "oom", "diverge"]}, "epochs": 2}
    has_likelihood = False

    def __init__(self, spec, *, mode: str = "ok", epochs: int = 2):
        super().__init__(spec)
        self.mode = mode
        self.epochs = epochs

    def _fit(self, train, report):
        for epoch in range(1, self.epochs + 1):
            if self.mode == "raise":
                raise RuntimeError("something broke inside the model")
            if self.mode == "slow":
                time.sleep(0.3)
            if self.mode == "oom":
                raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")
            loss = torch.tensor(float("inf")) if self.mode == "diverge" else torch.tensor(1.0)
            self.check_finite(loss)
            self.mean_ = train.float().mean(0)
            self.std_ = train.float().std(0) + 1e-3
            report(epoch)

    def sample(self, n, generator):
        noise = torch.randn(n, self.spec.dim, generator=generator)
        out = (self.mean_ + noise * self.std_).clamp(0, 1)
        return out * math.nan if self.mode == "nan" else out

    def state(self):
        return {"mean": self.mean_, "std": self.std_}

    def load_state(self, state):
        self.mean_, self.std_ = state["mean"], state["std"]


def run_flaky(tmp_path, command: str, *, model: str, search: str, train: str = ""):
    """``genautoml COMMAND`` on 100 digits with one ``flaky`` entry (``model``, inline YAML)
    and the inline ``search`` settings, into tmp_path/run."""
    path = tmp_path / "f.yaml"
    path.write_text(textwrap.dedent(f"""
        name: f
        device: cpu
        data: {{modality: image, max_examples: 100}}
        models: [{model}]
        search: {{{search}}}
        train: {{{train}}}
    """))
    return invoke(command, path, "--run-dir", tmp_path / "run")


@pytest.fixture
def flaky():
    with registered(Flaky):
        yield Flaky


def config(**search):
    return validate({"name": "f", "device": "cpu",
                     "data": {"modality": "image", "max_examples": 100},
                     "models": [{"family": "flaky"}],
                     "search": {"cv_folds": 2, "max_eval_examples": 30, **search}})


@pytest.mark.parametrize("mode, status, reason", [
    ("ok", "ok", None),
    ("raise", "failed", "RuntimeError: something broke"),
    ("oom", "failed", "out of memory"),
    ("diverge", "failed", "diverged: loss became inf"),
    ("nan", "failed", "NaN"),
])
def test_each_failure_becomes_a_status(flaky, mode, status, reason):
    cfg = config()
    dataset = load_dataset(cfg, None)
    request = TrialRequest(0, "tune", "flaky", {"mode": mode, "epochs": 2},
                           {"pixels": "all", "intensity": "continuous", "levels": None}, (0,))
    record = run_trial(cfg, dataset, request)
    assert record.status == status
    if reason:
        assert reason in record.error
        assert record.loss is None
    else:
        assert math.isfinite(record.figure)


def test_search_goes_on_and_counts_statuses(flaky, tmp_path):
    result = run_flaky(tmp_path, "search", model="{family: flaky, space: {mode: {choice: [ok, raise, nan, diverge]}}}",
                       search="cv_folds: 2, max_trials: 8, algo: random, max_eval_examples: 30, early_stopping: none",
                       train="samples: 4")
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in (tmp_path / "run" / "trials.jsonl").read_text().splitlines()]
    assert len(records) == 8
    assert {r["status"] for r in records} == {"ok", "failed"}
    tune = json.loads((tmp_path / "run" / "tune.json").read_text())
    assert tune["counts"]["ok"] + tune["counts"]["failed"] == 8
    assert tune["best"]["params"]["mode"] == "ok"


def test_every_trial_failing_fails_the_stage_with_reasons(flaky, tmp_path):
    result = run_flaky(tmp_path, "search", model="{family: flaky, params: {mode: raise}}",
                       search="cv_folds: 2, max_trials: 3, max_eval_examples: 30")
    assert result.exit_code == 1
    assert "every family failed" in result.output and "something broke" in result.output
    assert "Traceback" not in result.output


def test_all_tune_trials_failing_is_summarised(flaky, tmp_path):
    result = run_flaky(tmp_path, "tune", model="{family: flaky, space: {mode: {choice: [raise, diverge]}}}",
                       search="cv_folds: 2, max_trials: 4, max_eval_examples: 30")
    assert result.exit_code == 1
    assert "tune: all 4 trials failed" in result.output
    assert "RuntimeError: something broke" in result.output or "diverged" in result.output
    assert len((tmp_path / "run" / "trials.jsonl").read_text().splitlines()) == 4


def test_trial_timeout_records_timed_out(flaky):
    import time as clock

    cfg = config(trial_timeout=0.5)
    dataset = load_dataset(cfg, None)
    request = TrialRequest(0, "tune", "flaky", {"mode": "slow", "epochs": 20},
                           {"pixels": "all", "intensity": "continuous", "levels": None}, (0,))
    record = run_trial(cfg, dataset, request, deadline=clock.time() + cfg.search.trial_timeout)
    assert record.status == "timed_out" and "time limit" in record.error
    assert record.folds[0].epochs < 20


def test_a_trial_that_cannot_finish_in_time_is_stopped_by_its_pace_not_its_deadline(flaky):
    import time as clock

    cfg = config(trial_timeout=20)
    dataset = load_dataset(cfg, None)
    request = TrialRequest(0, "tune", "flaky", {"mode": "slow", "epochs": 200},  # 0.3 s an epoch: 60 s
                           {"pixels": "all", "intensity": "continuous", "levels": None}, (0,))
    record = run_trial(cfg, dataset, request, deadline=clock.time() + cfg.search.trial_timeout)
    assert record.status == "timed_out" and "would end far past its time limit" in record.error, record.error
    assert record.folds[0].epochs == 4  # the first epoch, then three to time


@pytest.mark.parametrize("grace, scored", [(0, [1, 2, 4, 8]), (3, [4, 8])])
def test_curve_is_scored_at_powers_of_two_past_the_grace_period(flaky, grace, scored):
    cfg = config(grace_epochs=grace)
    dataset = load_dataset(cfg, None)
    request = TrialRequest(0, "tune", "flaky", {"mode": "ok", "epochs": 9},
                           {"pixels": "all", "intensity": "continuous", "levels": None}, (0,), track_curve=True)
    record = run_trial(cfg, dataset, request)
    assert record.status == "ok"
    assert [epoch for epoch, _ in record.folds[0].curve] == scored


def test_tune_trials_all_stopped_by_time_keep_cvs_choice(flaky, tmp_path):
    """Trials that ran out of time say nothing against cv's winner: it stands, and the
    search goes on (every trial *failing* still fails the stage, above)."""
    result = run_flaky(tmp_path, "tune", model="{family: flaky, space: {mode: slow}}",
                       search="cv_folds: 2, max_trials: 2, max_eval_examples: 30, trial_timeout: 0.1, early_stopping: none")
    assert result.exit_code == 0, result.output
    tune = json.loads((tmp_path / "run" / "tune.json").read_text())
    assert tune["counts"] == {"timed_out": 2} and tune["rescored"] is None
    assert tune["chosen"]["source"] == "cv defaults" and tune["chosen"]["params"]["mode"] == "ok"
