"""The tune loop with a synthetic trial function: statuses, budgets, resume, stopping."""

import json
import math
import time

import pytest

from genautoml.config import validate
from genautoml.direction import Direction
from genautoml.errors import TrialPruned
from genautoml.records import TrialRecord
from genautoml.search.executors import sequential
from genautoml.search.space import ParamSpace
from genautoml.search.stopping import MedianStopper
from genautoml.search.store import TrialStore
from genautoml.search.tuner import Budget, run_search

MINIMIZE, MAXIMIZE = Direction.MINIMIZE, Direction.MAXIMIZE

SPACE = {
    "vae": {"lr": ParamSpace.model_validate({"loguniform": [1e-4, 1e-1]}),
            "depth": ParamSpace.model_validate({"int": [1, 3]})},
    "gan": {"lr": ParamSpace.model_validate({"loguniform": [1e-4, 1e-1]})},
}
#: the representation of each family's trials (these tests never build one)
NO_FEATURES = {family: {} for family in SPACE}


def make_config(**search):
    raw = {"name": "t", "data": {"modality": "image"}, "models": [{"family": "vae"}, {"family": "gan"}],
           "search": {"max_trials": 12, "time_budget": None, **search}}
    return validate(raw)


def synthetic(request, deadline):
    """A trial whose figure depends on its parameters; gan fails at high lr, some NaN."""
    lr = request.params["lr"]
    base = {"id": request.trial_id, "family": request.family, "params": request.params,
            "stage": "tune", "folds": [], "seconds": 0.01, "error": None}
    if request.family == "gan" and lr > 0.01:
        return record({**base, "status": "failed", "error": "RuntimeError: boom", "figure": None, "loss": None})
    if request.family == "vae" and request.params["depth"] == 3 and lr > 0.03:
        return record({**base, "status": "failed", "error": "diverged: loss became nan", "figure": None, "loss": None})
    figure = abs(math.log10(lr) + 2.5) + (0.5 if request.family == "gan" else 0.0)
    return record({**base, "status": "ok", "figure": figure, "loss": figure})


def record(data):
    """A typed record from its JSON form (fields left out take their defaults)."""
    return TrialRecord.from_json({"id": 0, "family": "vae", **data})


def search(config, records, store=None, stop_after=None, run_one=synthetic, budget=None):
    def on_record(record):
        if store is not None:
            store.append(record)
        if stop_after is not None and len(records) >= stop_after:
            raise KeyboardInterrupt

    budget = budget or Budget(config.search.max_trials, config.search.time_budget, None)
    try:
        trial = sequential(lambda request, deadline, history: run_one(request, deadline))
        return run_search(config, SPACE, NO_FEATURES, records, trial, on_record, budget, MINIMIZE)
    except KeyboardInterrupt:
        return "interrupted"


def test_statuses_and_max_trials():
    config = make_config()
    records = []
    assert search(config, records) == "max_trials"
    assert len(records) == 12
    assert {r.status for r in records} <= {"ok", "failed"}
    assert [r.id for r in records] == list(range(12))
    assert all(r.vals is not None and "family" in r.vals for r in records)


def test_resume_equals_uninterrupted(tmp_path):
    config = make_config()
    full = []
    search(config, full)
    store = TrialStore(tmp_path / "trials.jsonl")
    partial = []
    assert search(config, partial, store=store, stop_after=3) == "interrupted"
    resumed = store.load()
    assert len(resumed) == 3
    search(config, resumed, store=store)
    assert [(r.family, r.params, r.status) for r in resumed] == [
        (r.family, r.params, r.status) for r in full
    ]
    assert len(store.load()) == 12


def test_same_seed_same_trials_other_seed_differs():
    a, b, c = [], [], []
    search(make_config(), a)
    search(make_config(), b)
    config = validate({**make_config().model_dump(mode="json"), "seed": 1, "features": None})
    search(config, c)
    assert [r.params for r in a] == [r.params for r in b]
    assert [r.params for r in a] != [r.params for r in c]


def test_random_algo_runs():
    records = []
    search(make_config(algo="random"), records)
    assert len(records) == 12


def test_time_budget_counts_earlier_sessions():
    config = make_config(time_budget=9.5)
    records = []
    search(config, records, budget=Budget(2, None, None))
    for record in records:
        record.seconds = 4.5  # an earlier session spent 9 s of the 9.5 s budget

    def slow(request, deadline):
        time.sleep(0.2)
        return synthetic(request, deadline)

    reason = search(config, records, run_one=slow, budget=Budget(12, 9.5, None))
    assert reason == "time_budget"
    assert 3 <= len(records) <= 5


def test_tpe_beats_random_late_in_the_search():
    def late_mean(algo, seed):
        config = validate({**make_config(max_trials=40, algo=algo).model_dump(mode="json"), "seed": seed, "features": None})
        records = []
        search(config, records)
        late = [r.figure for r in records[20:] if r.status == "ok"]
        return sum(late) / len(late)

    tpe = sum(late_mean("tpe", seed) for seed in range(3))
    rand = sum(late_mean("random", seed) for seed in range(3))
    assert tpe < rand


def test_truncated_last_line_is_ignored_with_warning(tmp_path):
    store_path = tmp_path / "trials.jsonl"
    first = record({"id": 0, "status": "ok"})
    store_path.write_text(json.dumps(first.to_json()) + "\n" + '{"id": 1, "stat')
    warnings = []
    records = TrialStore(store_path, warn=warnings.append).load()
    assert records == [first]
    assert warnings and "cut short" in warnings[0]
    second = record({"id": 1, "status": "pruned", "figure": 2.0, "loss": 2.0})
    TrialStore(store_path).append(second)
    assert TrialStore(store_path).load() == [first, second]


def test_old_records_load_and_keep_their_format(tmp_path):
    # a line as written before the typed records existed: no fold figure, no traceback
    line = {"id": 3, "stage": "tune", "family": "gan", "params": {"lr": 0.001}, "feature": {"pixels": "all"},
            "folds": [{"fold": 0, "seed": 7, "curve": [[4, 2.5]], "metrics": {}, "epochs": 4}],
            "status": "pruned", "error": "epoch 4: worse", "seed": 11, "seconds": 1.5, "figure": 2.5,
            "loss": 2.5, "vals": {"family": [1], "gan.lr": [0.001]}}
    (tmp_path / "trials.jsonl").write_text(json.dumps(line) + "\n")
    loaded = TrialStore(tmp_path / "trials.jsonl").load()[0]
    assert loaded.status == "pruned" and loaded.folds[0].figure is None and loaded.vals["gan.lr"] == [0.001]
    assert loaded.to_json() == line


def test_damaged_middle_line_is_an_error(tmp_path):
    from genautoml.errors import RunDirError

    store_path = tmp_path / "trials.jsonl"
    good = json.dumps(record({"id": 0, "status": "ok"}).to_json())
    store_path.write_text(f'{good}\nnot json\n{good}\n')
    with pytest.raises(RunDirError, match="trials.jsonl:2"):
        TrialStore(store_path).load()


def completed(curve, family="vae", **fold):
    """An earlier trial that trained to its end, as the stopping rule reads it."""
    return record({"family": family, "status": "ok", "folds": [{"fold": 0, "curve": curve, **fold}]})


def test_median_stopper_prunes_a_clearly_worse_curve():
    history = [completed([[e, 10.0 - e] for e in range(1, 6)]) for _ in range(3)]
    stopper = MedianStopper(history, grace_epochs=2, direction=MINIMIZE)
    good = [[1, 9.0], [2, 8.0], [3, 6.5]]
    stopper.check(0, good)  # better than the median: goes on
    bad = [[1, 30.0], [2, 29.0]]
    stopper.check(0, bad)  # within the grace period: goes on
    bad.append([3, 28.0])
    with pytest.raises(TrialPruned, match="median"):
        stopper.check(0, bad)


def test_median_stopper_needs_enough_history():
    history = [completed([[1, 1.0], [2, 1.0], [3, 1.0], [4, 1.0]])]
    MedianStopper(history, grace_epochs=0, direction=MINIMIZE).check(0, [[1, 99.0], [2, 99.0], [3, 99.0], [4, 99.0]])


def test_maximize_direction():
    history = [completed([[1, 0.9], [2, 0.9]]) for _ in range(3)]
    stopper = MedianStopper(history, grace_epochs=1, direction=MAXIMIZE)
    stopper.check(0, [[1, 0.95], [2, 0.95]])
    with pytest.raises(TrialPruned):
        stopper.check(0, [[1, 0.1], [2, 0.2]])


def test_median_stopper_compares_across_families_by_default():
    fast = [completed([[1, 2.0], [2, 1.0], [3, 0.5], [4, 0.4]], family="rnn") for _ in range(3)]
    slow_start = [[1, 12.0], [2, 11.0], [3, 10.0], [4, 9.0]]
    with pytest.raises(TrialPruned, match="of 3 completed trials"):
        MedianStopper(fast, grace_epochs=2, direction=MINIMIZE).check(0, slow_start)
    # median_scope: family -- a gan is compared with earlier gans only, and there are none
    MedianStopper(fast, grace_epochs=2, direction=MINIMIZE, family="gan").check(0, slow_start)
    with pytest.raises(TrialPruned):
        MedianStopper(fast, grace_epochs=2, direction=MINIMIZE, family="rnn").check(0, slow_start)


def test_median_compares_best_so_far_as_of_the_epoch():
    # earlier trials scored at 4 and 8 only (powers of two past the grace period); their
    # best by epoch 8 is 1.0, though their figure at 8 is 5.0
    history = [completed([[4, 1.0], [8, 5.0]], epochs=12, figure=5.0) for _ in range(3)]
    stopper = MedianStopper(history, grace_epochs=3, direction=MINIMIZE)
    assert stopper.others_at(0, 4) == [1.0] * 3 and stopper.others_at(0, 6) == [1.0] * 3
    stopper.check(0, [[4, 0.9], [8, 0.95]])  # best so far 0.9 beats 1.0
    with pytest.raises(TrialPruned, match="median 1 of 3"):
        stopper.check(0, [[4, 2.0], [8, 1.5]])  # its 1.5 at epoch 8 is worse than their 1.0
    # other folds are not compared
    stopper.check(1, [[4, 2.0], [8, 1.5]])


def test_median_counts_only_completed_trials():
    # Vizier's rule: trials that were stopped, failed or timed out do not set the bar
    done = [completed([[4, 3.0], [8, 2.0]], family="rnn", epochs=10, figure=1.5) for _ in range(3)]
    others = [record({"family": "gan", "status": status, "folds": [{"fold": 0, "curve": [[4, 9.0]], "epochs": 4}]})
              for status in ("pruned", "failed", "timed_out")]
    stopper = MedianStopper(done + others, grace_epochs=3, direction=MINIMIZE)
    assert stopper.others_at(0, 4) == [3.0] * 3
    with pytest.raises(TrialPruned):
        stopper.check(0, [[4, 5.0]])  # better than the stopped gans' 9.0, worse than the completed 3.0
    # a completed trial's final figure counts from its last epoch (10) on
    assert stopper.others_at(0, 8) == [2.0] * 3 and stopper.others_at(0, 16) == [1.5] * 3


def test_curves_only_keeps_what_the_rule_reads():
    from genautoml.search.stopping import curves_only

    records = [record({"id": 0, "family": "gan", "status": "pruned", "params": {"x": 1},
                       "folds": [{"fold": 0, "curve": [[4, 9.0]], "epochs": 4, "metrics": {}}]}),
               record({"id": 1, "family": "rnn", "status": "ok", "params": {"x": 2},
                       "folds": [{"fold": 0, "curve": [[4, 1.0]], "epochs": 6, "metrics": {"fd": 0.9}, "figure": 0.9,
                                  "seconds": 1.0}]})]
    light = curves_only(records + [record({"id": 2, "status": "failed"})])
    assert [(r.family, r.status, r.params) for r in light] == [("gan", "pruned", {}), ("rnn", "ok", {})]
    assert [f.to_json() for f in light[1].folds] == [{"fold": 0, "seed": 0, "curve": [[4, 1.0]], "metrics": {},
                                                      "epochs": 6, "figure": 0.9}]
    # the full records and their light copies give the rule the same reference
    full, shipped = (MedianStopper(r, grace_epochs=3, direction=MINIMIZE) for r in (records, light))
    assert full.others_at(0, 8) == shipped.others_at(0, 8) == [0.9]


def test_stopper_for_reads_the_config():
    from genautoml.search.stopping import NoStopper, RungStopper, stopper_for

    history = [completed([[4, 1.0]], family="rnn", epochs=4) for _ in range(3)]
    median = make_config(early_stopping="median")
    assert isinstance(stopper_for(make_config(), MINIMIZE, history, "gan"), RungStopper)  # asha: the default
    assert len(stopper_for(median, MINIMIZE, history, "gan").others_at(0, 4)) == 3
    assert stopper_for(make_config(early_stopping="median", median_scope="family"), MINIMIZE, history,
                       "gan").others_at(0, 4) == []
    assert isinstance(stopper_for(make_config(early_stopping="none"), MINIMIZE, history, "gan"), NoStopper)


def test_asha_compares_within_the_family_at_the_same_epoch():
    from genautoml.search.stopping import RungStopper

    def trial(family, curve, status="ok"):
        return record({"family": family, "status": status, "folds": [{"fold": 0, "curve": curve, "epochs": 8}]})

    # finished rnns are far ahead at epoch 4; a gan there is judged against gans only
    history = [trial("rnn", [[4, 1.0], [8, 0.9]]) for _ in range(3)]
    history += [trial("gan", [[4, 8.0], [8, 5.0]]), trial("gan", [[4, 6.0]], "pruned"), trial("gan", [[4, 9.0]], "pruned")]
    stopper = RungStopper(history, family="gan", grace_epochs=3, direction=MINIMIZE, eta=2)
    stopper.check(0, [[4, 6.5]])  # 2nd of 4 gans at epoch 4: in the best half, goes on
    with pytest.raises(TrialPruned, match="best 1/2 of 4 trials"):
        stopper.check(0, [[4, 8.5]])  # 3rd of 4
    stopper.check(0, [[2, 50.0]])  # inside the grace period
    stopper.check(0, [[4, 6.5], [8, 4.0]])  # epoch 8: one earlier gan, too few to judge
    RungStopper(history, family="vae", grace_epochs=3, direction=MINIMIZE, eta=2).check(0, [[4, 99.0]])


def test_hyperband_brackets_start_later_and_the_last_runs_in_full():
    from genautoml.search.stopping import RungStopper, stopper_for

    gans = [record({"family": "gan", "status": "ok", "folds": [{"fold": 0, "curve": [[4, f], [8, f], [16, f]],
                                                                 "epochs": 16}]}) for f in (1.0, 2.0, 3.0)]

    def stopper(bracket, brackets):
        return RungStopper(gans, family="gan", grace_epochs=3, direction=MINIMIZE, eta=2, bracket=bracket,
                           brackets=brackets)

    with pytest.raises(TrialPruned):
        stopper(0, 3).check(0, [[4, 9.0]])
    stopper(1, 3).check(0, [[4, 9.0]])  # bracket 1: judged from epoch 6 on
    with pytest.raises(TrialPruned):
        stopper(1, 3).check(0, [[4, 9.0], [8, 9.0]])
    stopper(2, 3).check(0, [[4, 9.0], [8, 9.0], [16, 9.0]])  # the full-budget bracket is never stopped
    with pytest.raises(TrialPruned):
        stopper(0, 1).check(0, [[4, 9.0]])  # one bracket: plain ASHA
    # the trial id picks the bracket: with 2 brackets, odd ids run in full
    config = make_config(early_stopping="asha", brackets=2)
    assert not stopper_for(config, MINIMIZE, gans, "gan", trial_id=4).full_budget
    assert stopper_for(config, MINIMIZE, gans, "gan", trial_id=5).full_budget


def test_tpe_learns_from_one_budget_per_family():
    """BOHB: pruned figures are results at their epoch, never final losses."""
    from genautoml.search.budgets import model_losses

    def trial(tid, curve, status, figure=None):
        return record({"id": tid, "family": "gan", "status": status, "figure": figure, "loss": figure,
                       "folds": [{"fold": 0, "curve": curve, "epochs": curve[-1][0], "figure": figure}]})

    early = [trial(0, [[4, 9.0]], "pruned", 9.0), trial(1, [[4, 5.0], [8, 3.0]], "ok", 2.0),
             trial(2, [[4, 6.0], [8, 4.0]], "pruned", 4.0), trial(3, [[4, 7.0]], "pruned", 7.0)]
    # no budget above epoch 4 has 3 figures: all four count, each with its figure at epoch 4
    assert model_losses(early, MINIMIZE, {"gan": 3}) == {0: 9.0, 1: 5.0, 2: 6.0, 3: 7.0}
    # with 2 points enough, epoch 8 is the budget: only the two trials that reached it
    assert model_losses(early, MINIMIZE, {"gan": 2}) == {0: None, 1: 3.0, 2: 4.0, 3: None}
    # once enough trials finished, only their final losses count
    done = early + [trial(4, [[4, 5.5], [8, 2.5]], "ok", 2.2), trial(5, [[4, 5.2]], "ok", 2.4)]
    assert model_losses(done, MINIMIZE, {"gan": 3}) == {0: None, 1: 2.0, 2: None, 3: None, 4: 2.2, 5: 2.4}
    # a trial stopped by its time limit is a result at the epochs it reached, as a pruned one is
    slow = [trial(0, [[4, 6.0], [8, 4.5]], "timed_out"), trial(1, [[4, 5.0], [8, 3.0]], "timed_out"),
            trial(2, [[4, 7.0]], "failed")]
    assert model_losses(slow, MINIMIZE, {"gan": 2}) == {0: 4.5, 1: 3.0, 2: None}


def test_scored_at_powers_of_two_by_default():
    from genautoml.pipeline.trial import scored_at

    assert [e for e in range(1, 40) if scored_at(e, None)] == [1, 2, 4, 8, 16, 32]
    assert [e for e in range(1, 10) if scored_at(e, 3)] == [3, 6, 9]


def test_what_hyperopt_is_told_of_each_trial():
    """A loss becomes an ok result TPE models; no loss (failed, stopped, timed out, or a
    figure at a budget BOHB's rule does not model) a failed trial it only counts."""
    from hyperopt import STATUS_FAIL, STATUS_OK

    from genautoml.search.tuner import HyperoptState

    state = HyperoptState({"vae": {"lr": ParamSpace.model_validate({"uniform": [0.0, 1.0]})}})
    for tid, loss in enumerate([0.5, None, 0.25]):
        vals, _ = state.suggest(tid, "random", seed=tid, n_startup=1)
        state.add(TrialRecord(id=tid, stage="tune", family="vae", params={}, feature={}, vals=vals), loss)
    assert [r["status"] for r in state.trials.results] == [STATUS_OK, STATUS_FAIL, STATUS_OK]
    assert [r.get("loss") for r in state.trials.results] == [0.5, None, 0.25]
    _, point = state.suggest(3, "tpe", seed=3, n_startup=1)  # TPE models the two results
    assert point["family"] == "vae" and 0.0 <= point["params"]["lr"] <= 1.0


def test_a_resumed_half_block_is_judged_against_the_same_history():
    """Trials of one parallel block are stopped (or not) against the blocks before it: a
    block resumed with one of its trials already finished must not show that trial to the
    others, or pruning could differ from the uninterrupted run."""
    config = make_config(max_trials=6, parallel=2)
    seen: dict[int, list[int]] = {}

    def run_batch(requests, done, history):
        for request, _ in requests:
            seen[request.trial_id] = sorted(r.id for r in history)
            done(synthetic(request, None))

    finished: list[TrialRecord] = []
    run_search(config, SPACE, NO_FEATURES, finished, run_batch, lambda r: None, Budget(4, None, None), MINIMIZE, parallel=2)
    uninterrupted = dict(seen)
    # Resume with trial 2 of block [2, 3] finished and trial 3 missing.
    seen.clear()
    resumed = [r for r in finished if r.id <= 2]
    run_search(config, SPACE, NO_FEATURES, resumed, run_batch, lambda r: None, Budget(4, None, None), MINIMIZE, parallel=2)
    assert seen == {3: [0, 1]} and uninterrupted[3] == [0, 1]


def test_a_resumed_parallel_search_counts_wall_time_not_the_sum_of_trials():
    from genautoml.search.tuner import wall_seconds

    records = [record({"id": i, "status": "ok", "seconds": s}) for i, s in enumerate([3.0, 5.0, 2.0, 1.0, 4.0])]
    assert wall_seconds(records, parallel=2) == 5.0 + 2.0 + 4.0  # blocks [0, 1], [2, 3], [4]
    assert wall_seconds(records, parallel=1) == 15.0
