"""Multi-fidelity cv: a family that starts slowly and ends best must be chosen.

Toy families with known learning curves, trained in no time: a per-pixel Gaussian fitted
to the data (a real, if weak, generative model) whose samples are mixed with uniform
noise, the share of noise falling with the epochs trained along a curve each family sets.
The figures are the real Fréchet distance in the image feature space, on real digits.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest
import torch

from genautoml.direction import Direction
from genautoml.models.base import Family
from genautoml.models.registry import registered
from genautoml.search.halving import Rungs, optimistic_loss, promoted
from tests.helpers import invoke, write_config

DEFAULT_EPOCHS = 4


class Curve(Family):
    modalities = ("image",)
    extends_epochs = True
    default_space = {"spread": {"uniform": [0.9, 1.1]}}

    def __init__(self, spec, *, epochs: int = DEFAULT_EPOCHS, spread: float = 1.0):
        super().__init__(spec)
        self.epochs, self.spread = epochs, spread

    @staticmethod
    def noise(factor: float) -> float:
        """The share of uniform noise in the samples after ``factor`` x the default epochs."""
        raise NotImplementedError

    def _fit(self, train, report):
        self.mean_, self.std_ = train.float().mean(0), train.float().std(0) * self.spread
        for epoch in range(1, self.epochs + 1):
            self.reached_ = torch.tensor(epoch)
            report(epoch)

    def sample(self, n, generator):
        gaussian = (self.mean_ + torch.randn(n, self.spec.dim, generator=generator) * self.std_).clamp(0, 1)
        share = self.noise(float(self.reached_) / DEFAULT_EPOCHS)
        return (1 - share) * gaussian + share * torch.rand(n, self.spec.dim, generator=generator)

    def state(self):
        return {"mean": self.mean_, "std": self.std_, "reached": self.reached_}

    def load_state(self, state):
        self.mean_, self.std_, self.reached_ = state["mean"], state["std"], state["reached"]


def toy(name: str, noise, doc: str) -> type[Curve]:
    """A registered-able family named ``name`` whose share of noise after ``factor`` x the
    default epochs is ``noise(factor)``."""
    return type(name.title().replace("_", ""), (Curve,), {"name": name, "noise": staticmethod(noise), "__doc__": doc})


Plateau = toy("plateau", lambda factor: 0.25, "Good early, then no better: a quarter of noise at every length.")
SlowStarter = toy("slow_starter", lambda factor: min(1.0, 1.0 / factor),
                  "All noise at its defaults, equal to plateau at 4x, better after (1/8 at 8x).")
Hopeless = toy("hopeless", lambda factor: 0.8, "Mostly noise, and it stays so: successive halving should drop it.")
AlwaysBest = toy("always_best", lambda factor: 0.05, "The control: better than slow_starter at every length.")


@pytest.fixture
def toys():
    with registered(Plateau), registered(SlowStarter), registered(Hopeless), registered(AlwaysBest):
        yield


def search_config(folder, families, seed):
    return write_config(folder, f"toy-{seed}", {
        "name": f"toy-{seed}", "seed": seed, "device": "cpu",
        "data": {"modality": "image", "source": "builtin:digits", "max_examples": 240},
        "models": [{"family": f} for f in families],
        "search": {"cv_folds": 2, "top_k": 2, "max_trials": 2, "time_budget": None, "max_eval_examples": 80,
                   "early_stopping": "none", "fidelity": {"eta": 2, "max_factor": 8}},
    })


def chosen(tmp_path, families, seed):
    run_dir = tmp_path / f"run-{seed}"
    result = invoke("tune", search_config(tmp_path, families, seed), "--run-dir", run_dir, "-q")
    assert result.exit_code == 0, result.output
    cv = json.loads((run_dir / "cv.json").read_text())
    tune = json.loads((run_dir / "tune.json").read_text())
    return cv, tune["chosen"]["family"]


def test_the_slow_starter_that_ends_best_is_chosen(toys, tmp_path):
    picks = Counter()
    for seed in range(10):
        cv, family = chosen(tmp_path, ["plateau", "slow_starter", "hopeless"], seed)
        picks[family] += 1
        rungs = {row["family"]: row["rung"] for row in cv["leaderboard"]}
        # The two contenders reach the top rung (x8); the hopeless one is dropped at x2.
        assert rungs == {"slow_starter": 3, "plateau": 3, "hopeless": 1}, cv["leaderboard"]
    assert picks["slow_starter"] >= 9, picks


def test_a_family_better_at_every_fidelity_is_chosen(toys, tmp_path):
    picks = Counter(chosen(tmp_path, ["always_best", "slow_starter"], seed)[1] for seed in range(10))
    assert picks["always_best"] >= 9, picks


def test_one_fidelity_chooses_at_the_defaults(toys, tmp_path):
    """``max_factor: 1`` is the old cv: the slow starter, all noise at its defaults, loses."""
    path = search_config(tmp_path, ["plateau", "slow_starter"], 0)
    run_dir = tmp_path / "one"
    result = invoke("cv", path, "--run-dir", run_dir, "--set", "search.fidelity.max_factor=1", "-q")
    assert result.exit_code == 0, result.output
    cv = json.loads((run_dir / "cv.json").read_text())
    assert [row["family"] for row in cv["leaderboard"]] == ["plateau", "slow_starter"]
    assert {row["epochs"] for row in cv["leaderboard"]} == {DEFAULT_EPOCHS}


# ---- the halving rule alone --------------------------------------------------------------

def test_rungs():
    assert Rungs(eta=2, max_factor=8).factors() == [1, 2, 4, 8]
    assert Rungs(eta=3, max_factor=10).factors() == [1, 3, 9]
    assert Rungs(eta=2, max_factor=1).factors() == [1]


def test_optimistic_loss_counts_improvement_not_decline():
    assert optimistic_loss(Direction.MINIMIZE, 2.0, 3.0) == 1.0  # gained 1, may gain 1 more
    assert optimistic_loss(Direction.MINIMIZE, 2.0, 1.5) == 2.0  # got worse: judged as it is
    assert optimistic_loss(Direction.MAXIMIZE, 0.6, 0.5) == pytest.approx(-0.7)
    assert optimistic_loss(Direction.MINIMIZE, 2.0, None) == 2.0


def test_promotion_keeps_the_one_catching_up():
    before = {"leader": 1.0, "climber": 3.0, "flat": 2.0, "failed": 1.0}
    now = {"leader": 1.0, "climber": 1.8, "flat": 2.0, "failed": None}
    kept = promoted(Direction.MINIMIZE, now, before, eta=2, min_keep=2, first_rung=False)
    assert kept == ["leader", "climber"]  # climber: 1.8 now, heading for 0.6
    assert promoted(Direction.MINIMIZE, now, {}, eta=2, min_keep=2, first_rung=True) == ["leader", "climber", "flat"]
    assert promoted(Direction.MINIMIZE, now, before, eta=2, min_keep=3, first_rung=False) == ["leader", "climber", "flat"]


def test_tune_trains_a_family_whose_epochs_are_alike_at_the_length_cv_ranked_it_at():
    """The length of training is the fidelity (cv's rungs, then final training's extension),
    not a hyperparameter TPE proposes, unless the config's own space searches it, or final
    training does not extend (the tuned epochs are then the final ones)."""
    from types import SimpleNamespace

    from genautoml.config import validate
    from genautoml.pipeline.resolve import resolve
    from genautoml.pipeline.tune import tune_space

    def space(**train):
        config = validate({"name": "x", "data": {"modality": "image"}, "train": train,
                           "models": [{"family": "vae"}, {"family": "gan", "space": {"epochs": {"int": [5, 50]}}}]})
        config = resolve(config)  # as stages read it from a run's config.yaml: every default space written out
        cv = {"leaderboard": [{"family": f, "epochs": 30, "fidelity": 1, "status": "ok"} for f in ("vae", "gan")]}
        return tune_space(SimpleNamespace(config=config), cv, ["vae", "gan"])

    extended = space()
    assert extended["vae"]["epochs"].kind == "const" and extended["vae"]["epochs"].const == 30
    assert extended["gan"]["epochs"].kind == "int"  # the config's own space searches it
    assert space(extend=False)["vae"]["epochs"].kind != "const"  # searched where cv stayed at x1
