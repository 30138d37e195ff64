"""cv's trainings kept between rungs (genautoml/pipeline/continued.py): a later rung continues
them, with the records a rung trained from scratch gives, and a resumed cv decides the same."""

from __future__ import annotations

import json
import shutil

import pytest
import torch

from genautoml.errors import CutShort, TrialTimeout
from genautoml.pipeline.continued import KeptTraining, KeptTrainings
from tests.helpers import invoke, write_config

pytestmark = pytest.mark.usefixtures("one_thread_per_module")


class Counting:
    """A stand-in for a family's fit: ``epochs`` epochs, each reported, with a draw from the
    global generator in every epoch (so a pause that let the caller's draws in would show)."""

    def __init__(self, epochs: int):
        self.epochs, self.draws = epochs, []

    def fit(self, report):
        for epoch in range(1, self.epochs + 1):
            self.draws.append(float(torch.rand(())))
            report(epoch)


def seeded_fit(model: Counting, seed: int):
    def fit(report):
        torch.manual_seed(seed)  # as Family.fit does
        model.fit(report)
    return fit


def test_run_to_pauses_continues_and_finishes_with_the_draws_of_a_straight_run():
    model = Counting(5)
    kept = KeptTraining(seeded_fit(model, 1), model, None)
    stop = kept.run_to(2, lambda e: None)
    assert (stop.epochs, stop.finished, len(model.draws)) == (2, False, 2)
    torch.rand(50)  # the caller draws from the same generator in between (cv's scoring)
    stop = kept.run_to(4, lambda e: None)
    assert (stop.epochs, stop.finished, kept.alive) == (4, False, True)
    stop = kept.run_to(6, lambda e: None)  # past the planned epochs: the fit ends
    assert (stop.epochs, stop.finished, kept.alive) == (5, True, False)
    straight = Counting(5)
    seeded_fit(straight, 1)(lambda e: None)
    assert model.draws == straight.draws


def test_a_cut_pauses_where_it_is_and_the_training_goes_on_later():
    model = Counting(10)
    kept = KeptTraining(model.fit, model, None)

    def cut_at_three(epoch):
        if epoch == 3:
            raise CutShort

    assert kept.run_to(8, cut_at_three).epochs == 3
    assert kept.run_to(6, lambda e: None).epochs == 6 and kept.alive
    kept.end()
    assert not kept.alive and not kept._thread.is_alive()


def test_an_error_in_a_rung_is_raised_to_the_caller_and_ends_the_training():
    model = Counting(10)
    kept = KeptTraining(model.fit, model, None)
    kept.run_to(2, lambda e: None)

    def late(epoch):
        if epoch == 4:
            raise TrialTimeout("past the limit")

    with pytest.raises(TrialTimeout, match="past the limit"):
        kept.run_to(6, late)
    assert not kept.alive
    kept._thread.join(timeout=30)
    assert not kept._thread.is_alive()


def test_families_that_leave_the_race_free_their_trainings():
    trainings = KeptTrainings({"a": 10, "b": 10})
    for family in ("a", "b"):
        for fold in (0, 1):
            model = Counting(10)
            training = KeptTraining(model.fit, model, None)
            training.run_to(2, lambda e: None)
            trainings.put(family, fold, training)
    assert trainings.epochs("a") == 2
    trainings.keep_only(["b"])
    assert trainings.get("a", 0) is None and trainings.epochs("a") is None
    assert trainings.get("b", 1) is not None
    trainings.close()
    assert trainings.get("b", 1) is None


def cv_config(folder, continue_rungs: bool):
    small = {"hidden": 16, "depth": 1}  # epochs stay the families' defaults: the fidelity scales them
    return write_config(folder, f"cv-{continue_rungs}", {
        "name": "continued", "seed": 3, "device": "cpu",
        "data": {"modality": "image", "source": "builtin:digits", "max_examples": 80},
        "models": [{"family": "vae", "params": small}, {"family": "gan", "params": small}],
        "search": {"cv_folds": 2, "time_budget": None, "max_eval_examples": 40,
                   "fidelity": {"eta": 2, "max_factor": 4, "continue_rungs": continue_rungs}},
    })


def comparable(cv: dict) -> list[tuple]:
    return [(r["family"], r["fidelity"], r["params"], r["status"], [f["metrics"] for f in r["folds"]])
            for r in cv["records"]]


def test_continued_rungs_give_the_records_of_rungs_trained_from_scratch(tmp_path):
    """Real families (vae, gan) raced to x4: every figure on every fold is the same to the
    bit whether each rung continues the one below or starts again."""
    runs = {}
    for continue_rungs in (True, False):
        run_dir = tmp_path / f"run-{continue_rungs}"
        result = invoke("cv", cv_config(tmp_path, continue_rungs), "--run-dir", run_dir, "-q")
        assert result.exit_code == 0, result.output
        runs[continue_rungs] = json.loads((run_dir / "cv.json").read_text())
    assert [r["fidelity"] for r in runs[True]["records"]] == [1, 1, 2, 2, 4, 4]
    assert comparable(runs[True]) == comparable(runs[False])
    # the continued run says where each rung went on from; the other trained from scratch
    assert [r.get("continued_from") for r in runs[True]["records"]] == [None, None, 60, 120, 120, 240]
    assert all("continued_from" not in r for r in runs[False]["records"])

    # Resumed after rung x1 (no trainings kept in the new process): the later rungs train
    # from scratch and the race ends where the uninterrupted one did.
    resumed = tmp_path / "resumed"
    shutil.copytree(tmp_path / "run-True", resumed)
    cv = json.loads((resumed / "cv.json").read_text())
    cv["records"] = [r for r in cv["records"] if r["fidelity"] == 1]
    cv["complete"] = False
    (resumed / "cv.json").write_text(json.dumps(cv))
    result = invoke("cv", cv_config(tmp_path, True), "--run-dir", resumed, "-q")
    assert result.exit_code == 0, result.output
    again = json.loads((resumed / "cv.json").read_text())
    assert comparable(again) == comparable(runs[True])
    assert again["leaderboard"] == [{**row, "seconds": again_row["seconds"]}
                                    for row, again_row in zip(runs[True]["leaderboard"], again["leaderboard"])]


def test_trainings_are_let_go_once_the_next_rung_is_out_of_reach(tmp_path, monkeypatch):
    """At the first rung nobody is dropped, so once continuing the families trained so far
    would overrun cv's share, nothing will be continued: the trainings (a model, its
    optimizer and its data per fold) are ended at once, and later families keep none."""
    from genautoml.pipeline import continued, cv

    kept_for: list[tuple[str, int]] = []
    put = continued.KeptTrainings.put
    monkeypatch.setattr(continued.KeptTrainings, "put",
                        lambda self, family, fold, training: (kept_for.append((family, fold)), put(self, family, fold, training)))
    monkeypatch.setattr(cv, "_affordable", lambda *args: False)
    run_dir = tmp_path / "run"
    result = invoke("cv", cv_config(tmp_path, True), "--run-dir", run_dir, "-q")
    assert result.exit_code == 0, result.output
    assert kept_for == [("vae", 0), ("vae", 1)]  # the gan, trained after the cut-off, kept nothing
    records = json.loads((run_dir / "cv.json").read_text())["records"]
    assert [(r["family"], r["fidelity"]) for r in records] == [("vae", 1), ("gan", 1)]
    import threading
    assert not [t for t in threading.enumerate() if t.name == "genautoml-kept-training"]


def test_ending_a_running_training_stops_it_after_its_epoch():
    """What an interrupted cv does (Ctrl-C arrives while a training runs): ``end`` returns
    after the epoch in progress, not after the rung."""
    import threading

    started, release = threading.Event(), threading.Event()
    model = Counting(1000)

    def hook(epoch):
        if epoch == 3:
            started.set()
            release.wait(timeout=60)

    kept = KeptTraining(model.fit, model, None)
    caller = threading.Thread(target=lambda: kept.run_to(1000, hook), daemon=True)
    caller.start()  # stands for cv, which an interrupt takes out of run_to
    assert started.wait(timeout=60)
    ender = threading.Thread(target=kept.end)
    ender.start()
    release.set()
    ender.join(timeout=60)
    assert not ender.is_alive() and not kept._thread.is_alive()
    assert len(model.draws) == 3
