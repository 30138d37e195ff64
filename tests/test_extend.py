"""Extended final training: past the tuned epochs while validation improves, best state kept."""

import math

import numpy as np
import pytest
import torch

from genautoml.config import validate
from genautoml.errors import TrialDiverged
from genautoml.models.base import Family
from genautoml.models.registry import get_family, registered
from genautoml.pipeline.dataset import load_dataset
from genautoml.pipeline.extend import can_extend, check_interval, train_extended, validation_split

FEATURE = {"pixels": "all", "intensity": "continuous", "levels": None}


class Drifting(Family):
    """A per-pixel Gaussian whose noise is scaled by 1 + |epoch - best| / 2: its samples are
    closest to the data at epoch ``best`` and worse on either side, so the validation curve
    has a known minimum. ``diverge_at`` makes the loss infinite from that epoch on."""

    name = "drifting"
    modalities = ("image",)
    default_space = {"epochs": 2}
    extends_epochs = True

    def __init__(self, spec, *, epochs: int = 2, best: int = 6, diverge_at: int = 0):
        super().__init__(spec)
        self.epochs = epochs
        self.best = best
        self.diverge_at = diverge_at

    def _fit(self, train, report):
        self.mean_ = train.float().mean(0)
        self.std_ = train.float().std(0) + 1e-3
        for epoch in range(1, self.epochs + 1):
            if self.diverge_at and epoch >= self.diverge_at:
                self.check_finite(torch.tensor(math.inf))
            self.scale_ = torch.tensor(1.0 + abs(epoch - self.best) / 2)
            self.epoch_ = torch.tensor(epoch)
            report(epoch)

    def sample(self, n, generator):
        noise = torch.randn(n, self.spec.dim, generator=generator)
        return (self.mean_ + noise * self.std_ * self.scale_).clamp(0, 1)

    def state(self):
        return {"mean": self.mean_, "std": self.std_, "scale": self.scale_, "epoch": self.epoch_}

    def load_state(self, state):
        self.mean_, self.std_, self.scale_, self.epoch_ = (state[k] for k in ("mean", "std", "scale", "epoch"))


@pytest.fixture
def drifting():
    with registered(Drifting):
        yield Drifting


def setup(**train):
    config = validate({"name": "x", "device": "cpu", "data": {"modality": "image", "max_examples": 300},
                       "models": [{"family": "vae"}], "search": {"cv_folds": 2, "max_eval_examples": 100},
                       "train": train})
    dataset = load_dataset(config, None)
    modality = dataset.modality
    representation = modality.representation(modality.feature_model.model_validate(FEATURE))
    return config, modality, representation, dataset.train_raw()


def extend(family_cls, params, **train):
    config, modality, representation, train_raw = setup(**train)
    return train_extended(config, modality, family_cls, params, representation, train_raw, seed=3, device="cpu")


def test_stops_after_patience_and_restores_the_best_state(drifting):
    model, log = extend(drifting, {"epochs": 2, "best": 6}, patience=3)
    assert log.check_every == 1 and [int(e) for e, _ in log.checks] == list(range(2, 10))
    assert log.best_epoch == 6 and log.epochs_run == 9 and log.stopped_by == "patience"
    assert int(model.epoch_) == 6  # the state of the best check, not of the last epoch
    figures = [f for _, f in log.checks]
    assert min(figures) == figures[4]


def test_never_fewer_than_the_tuned_epochs_and_at_most_max_epochs(drifting):
    _, log = extend(drifting, {"epochs": 8, "best": 20}, max_epochs=12, patience=10)
    assert log.check_every == 2 and [int(e) for e, _ in log.checks] == [8, 10, 12]
    assert log.epochs_run == 12 and log.stopped_by == "max_epochs" and log.best_epoch == 12
    _, log = extend(drifting, {"epochs": 8, "best": 1000}, max_epochs=3)
    assert log.max_epochs == 8 and log.epochs_run == 8 and log.best_epoch == 8


def test_time_budget_bounds_only_the_extension(drifting):
    _, log = extend(drifting, {"epochs": 5, "best": 1000}, time_budget=1e-6)
    assert log.epochs_run == 5 and log.stopped_by == "time_budget" and len(log.checks) == 1


def test_divergence_after_a_good_check_keeps_the_best_state(drifting):
    model, log = extend(drifting, {"epochs": 2, "best": 4, "diverge_at": 6}, patience=5)
    assert log.stopped_by.startswith("diverged") and log.best_epoch == 4 and int(model.epoch_) == 4
    with pytest.raises(TrialDiverged):
        extend(drifting, {"epochs": 2, "diverge_at": 1})


def test_validation_split_is_disjoint_seeded_and_drawn_from_what_it_is_given():
    _, modality, _, train_raw = setup()
    fit, valid = validation_split(modality, train_raw, 0.1, seed=5)
    assert len(fit) + len(valid) == len(train_raw) and len(valid) == round(0.1 * len(train_raw))
    given = {row.tobytes() for row in train_raw}
    fit_rows, valid_rows = [{row.tobytes() for row in part} for part in (fit, valid)]
    assert fit_rows | valid_rows <= given and not fit_rows & valid_rows
    assert np.array_equal(valid, validation_split(modality, train_raw, 0.1, seed=5)[1])
    assert not np.array_equal(valid, validation_split(modality, train_raw, 0.1, seed=6)[1])


def test_a_real_family_extends_the_same_way_twice():
    _, first = extend(get_family("vae"), {"epochs": 2, "hidden": 32, "depth": 1}, patience=2, max_epochs=8)
    _, second = extend(get_family("vae"), {"epochs": 2, "hidden": 32, "depth": 1}, patience=2, max_epochs=8)
    assert first.checks == second.checks and first.best_epoch == second.best_epoch
    assert first.epochs_run > 2


def test_which_families_extend():
    for name in ("vae", "gan", "rnn", "wavegan", "transformer", "hybrid"):
        assert can_extend(get_family(name), {"epochs": 3}) is None, name

    class Scheduled(Family):
        name, modalities, default_space = "scheduled", ("image",), {}

    assert "fixed schedule" in can_extend(Scheduled, {"epochs": 3})
    assert "no epochs" in can_extend(get_family("ngram"), {"order": 5})
    assert check_interval(1) == 1 and check_interval(19) == 5 and check_interval(227) == 57


class Memorizing(Family):
    """Rows of a table: until epoch ``copy_from`` each column drawn on its own from the
    training rows (novel rows, dependencies lost), from then on whole training rows (copies,
    which a two-sample test cannot tell from real ones)."""

    name = "memorizing"
    modalities = ("tabular",)
    default_space = {"epochs": 2}
    extends_epochs = True

    def __init__(self, spec, *, epochs: int = 2, copy_from: int = 4):
        super().__init__(spec)
        self.epochs, self.copy_from = epochs, copy_from

    def _fit(self, train, report):
        self.train_ = train.float()
        for epoch in range(1, self.epochs + 1):
            self.epoch_ = torch.tensor(epoch)
            report(epoch)

    def sample(self, n, generator):
        rows = torch.randint(0, len(self.train_), (n, self.spec.dim), generator=generator)
        if int(self.epoch_) >= self.copy_from:
            rows = rows[:, :1].expand(n, self.spec.dim)
        return torch.gather(self.train_, 0, rows)

    def state(self):
        return {"train": self.train_, "epoch": self.epoch_}

    def load_state(self, state):
        self.train_, self.epoch_ = state["train"], state["epoch"]


def test_a_state_that_copies_training_rows_is_not_kept_over_one_that_does_not():
    with registered(Memorizing):
        for dcr_min in (0.9, None):
            config = validate({"name": "x", "device": "cpu", "data": {"modality": "tabular", "source": "builtin:wine"},
                               "models": [{"family": "copula"}], "search": {"cv_folds": 2, "dcr_min": dcr_min},
                               "train": {"patience": 2}})
            dataset = load_dataset(config, None)
            modality = dataset.modality
            representation = modality.representation(modality.default_features(config.data)[0])
            model, log = train_extended(config, modality, Memorizing, {"epochs": 2, "copy_from": 4}, representation,
                                        dataset.train_raw(), seed=3, device="cpu")
            figures = dict((int(e), f) for e, f in log.checks)
            assert figures[4] < figures[3]  # copies score better by the two-sample test...
            assert int(model.epoch_) == log.best_epoch
            if dcr_min:  # ...and kept only when unguarded
                assert log.best_epoch < 4 and log.copying and min(log.copying) == 4
            else:
                assert log.best_epoch == 4 and log.copying == []
