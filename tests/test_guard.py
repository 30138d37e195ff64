"""The separability guard (genautoml/pipeline/guard.py) in every choice: cv's ranking, tuned
against defaults (tune._choose), and the representation (features._ranked)."""

from __future__ import annotations

from types import SimpleNamespace

from genautoml.config import validate
from genautoml.data.registry import get_modality
from genautoml.pipeline import features, tune
from genautoml.pipeline.cv import Race
from genautoml.pipeline.guard import copying, ruled_out, separable
from genautoml.records import FoldRecord, TrialRecord

FRECHET = get_modality("image").metrics()["frechet"]


def _ctx(c2st_max=0.9):
    config = validate({"name": "t", "data": {"modality": "image", "source": "builtin:digits"},
                       "models": [{"family": "vae"}], "search": {"c2st_max": c2st_max}})
    return SimpleNamespace(config=config)


def _record(id, family, figure, c2st, stage="cv"):
    folds = [FoldRecord(fold=f, seed=f, metrics={"frechet": figure, "c2st": c2st}, figure=figure) for f in (0, 1)]
    return TrialRecord(id=id, stage=stage, family=family, params={"epochs": 3}, feature={}, folds=folds,
                       figure=figure, loss=figure)


def test_separable_means_at_or_above_the_limit():
    assert separable(_ctx().config, {"c2st": 0.95}) and separable(_ctx().config, {"c2st": 0.9})
    assert not separable(_ctx().config, {"c2st": 0.3})
    assert not separable(_ctx().config, {"frechet": 1.0})  # a modality without the test
    assert not separable(_ctx(None).config, {"c2st": 1.0})  # the guard switched off


def _table_ctx(dcr_min=0.9):
    config = validate({"name": "t", "data": {"modality": "tabular", "source": "builtin:wine"},
                       "models": [{"family": "copula"}], "search": {"dcr_min": dcr_min}})
    return SimpleNamespace(config=config)


def test_copying_means_samples_nearer_the_training_rows_than_real_unseen_rows():
    config = _table_ctx().config
    assert copying(config, {"dcr_ratio": 0.6}) and ruled_out(config, {"dcr_ratio": 0.6, "c2st": 0.1})
    assert not copying(config, {"dcr_ratio": 0.95}) and not copying(config, {"dcr_ratio": 1.4})
    assert not copying(config, {"c2st_auc": 0.6})  # a modality without the ratio
    assert not copying(config, {"dcr_ratio": float("nan")})
    assert not copying(_table_ctx(None).config, {"dcr_ratio": 0.1})  # the guard switched off
    assert ruled_out(config, {"dcr_ratio": 1.0, "c2st": 0.95})  # separable is ruled out too


def test_cv_ranks_a_copying_candidate_after_one_that_does_not_copy():
    config = _table_ctx().config
    race = Race(order=["copier", "novel"], ruled_out=lambda r: ruled_out(config, r.mean_metrics()))
    folds = [FoldRecord(fold=f, seed=f, metrics={"c2st_auc": 0.55, "c2st": 0.1, "dcr_ratio": 0.5}, figure=0.55)
             for f in (0, 1)]
    copier = TrialRecord(id=0, stage="cv", family="copier", params={}, feature={}, folds=folds, figure=0.55, loss=0.55)
    novel = TrialRecord(id=1, stage="cv", family="novel", params={}, feature={}, figure=0.7, loss=0.7, folds=[
        FoldRecord(fold=f, seed=f, metrics={"c2st_auc": 0.7, "c2st": 0.4, "dcr_ratio": 1.1}, figure=0.7) for f in (0, 1)])
    race.latest = {"copier": (0, copier), "novel": (0, novel)}
    assert [r.family for r in race.leaders()] == ["novel", "copier"]


def test_cv_ranks_separable_samples_last_whatever_their_figure():
    config = _ctx().config
    race = Race(order=["fake", "real"], ruled_out=lambda r: ruled_out(config, r.mean_metrics()))
    fake, real = _record(0, "fake", 0.5, 0.99), _record(1, "real", 0.8, 0.2)
    race.latest = {"fake": (1, fake), "real": (0, real)}  # fake even reached a higher rung
    assert [r.family for r in race.leaders()] == ["real", "fake"]
    race.ruled_out = lambda r: False  # unguarded: rung, then figure
    assert [r.family for r in race.leaders()] == ["fake", "real"]


def _cv(default):
    return {"leaderboard": [{"trial": default.id}], "records": [default.to_json()]}


def test_tuned_against_defaults():
    ctx = _ctx()
    clean_default, fake_default = _record(0, "vae", 1.0, 0.2), _record(0, "vae", 1.0, 0.99)
    better_fake, worse_clean = _record(7, "vae", 0.5, 0.99, "rescore"), _record(7, "vae", 1.5, 0.3, "rescore")
    better_clean = _record(7, "vae", 0.5, 0.3, "rescore")
    # A better figure wins between equals, ties go to the tuned model...
    assert tune._choose(ctx, _cv(clean_default), better_clean, FRECHET)["source"] == "tuned"
    assert tune._choose(ctx, _cv(clean_default), _record(7, "vae", 1.0, 0.2, "rescore"), FRECHET)["source"] == "tuned"
    assert tune._choose(ctx, _cv(clean_default), worse_clean, FRECHET)["source"] == "cv defaults"
    # ...but samples a classifier separates never beat samples it does not.
    assert tune._choose(ctx, _cv(clean_default), better_fake, FRECHET)["source"] == "cv defaults"
    assert tune._choose(ctx, _cv(fake_default), worse_clean, FRECHET)["source"] == "tuned"
    chosen = tune._choose(ctx, _cv(fake_default), worse_clean, FRECHET)
    assert chosen["metrics"]["c2st"] == 0.3 and chosen["params"] == {"epochs": 3}


def test_features_rank_the_reused_choice_by_tune_s_metrics():
    ctx = _ctx()
    reused = TrialRecord(id=0, stage="features", family="vae", params={}, feature={}, figure=0.5, loss=0.5, reused=True)
    other = _record(1, "vae", 0.9, 0.2, "features")
    assert features._ranked(ctx, [reused, other], {"metrics": {"c2st": 0.99}})[0] is other
    assert features._ranked(ctx, [reused, other], {"metrics": {"c2st": 0.1}})[0] is reused
