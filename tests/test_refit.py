"""Refit: the winner trained again on all non-test data for the epochs of its best check,
when the train share holds the time, and dropped when it cannot finish."""

import dataclasses

import pytest
import torch

from genautoml.models.registry import registered
from genautoml.pipeline.refit import predicted_seconds, refit
from tests.test_extend import Drifting, extend, setup


@pytest.fixture(name="drifting")
def registered_drifting():
    with registered(Drifting):
        yield Drifting


def fresh_representation():
    _, modality, representation, train_raw = setup()
    return modality, representation, train_raw


def extended(drifting, **train):
    return extend(drifting, {"epochs": 2, "best": 6}, patience=3, **train)[1]


def test_refit_trains_the_best_check_s_epochs_on_every_non_test_example(drifting):
    log = extended(drifting)
    assert log.best_epoch == 6 and log.epochs_run == 9
    modality, representation, train_raw = fresh_representation()
    model, fitted, refit_log = refit(drifting, {"epochs": 2, "best": 6}, representation, train_raw, log, seed=3,
                                     device="cpu", time_left=None)
    assert refit_log.done and refit_log.epochs == 6 and refit_log.examples == log.fit_examples + log.valid_examples
    assert int(model.epoch_) == 6  # the best check's count, not the extension's 9 nor the tuned 2
    every = fitted.encode(train_raw).float()
    assert len(every) == refit_log.examples
    torch.testing.assert_close(model.mean_, every.mean(0))  # it saw every example, the validation share too


def test_no_refit_when_it_is_switched_off_or_cannot_fit_in_the_share(drifting):
    log = extended(drifting)
    _, representation, train_raw = fresh_representation()
    common = dict(seed=3, device="cpu")
    model, _, off = refit(drifting, {"epochs": 2}, representation, train_raw, log, time_left=None, enabled=False,
                          **common)
    assert model is None and not off.done and off.reason == "train.refit is false"
    slow = dataclasses.replace(log, seconds=90.0)  # 10 s an epoch: 6 epochs on 10/9 of the examples, about 67 s
    assert abs(predicted_seconds(slow) - 90 / 9 * 6 * (slow.fit_examples + slow.valid_examples) / slow.fit_examples) < 1e-9
    model, _, short = refit(drifting, {"epochs": 2}, representation, train_raw, slow, time_left=60.0, **common)
    assert model is None and not short.done and short.reason.startswith("predicted 67 s, 60 s left")
    diverged = dataclasses.replace(log, stopped_by="diverged (loss is inf)")
    model, _, after = refit(drifting, {"epochs": 2}, representation, train_raw, diverged, time_left=None, **common)
    assert model is None and "diverged" in after.reason


def test_a_refit_that_runs_out_of_time_is_dropped_not_kept_half_trained(drifting):
    log = dataclasses.replace(extended(drifting), seconds=0.0)  # predicted to take no time at all
    _, representation, train_raw = fresh_representation()
    model, fitted, late = refit(drifting, {"epochs": 2}, representation, train_raw, log, seed=3, device="cpu",
                                time_left=1e-9)
    assert model is None and fitted is None and not late.done and late.reason.startswith("ran out of the train share")
