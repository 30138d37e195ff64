"""The efficiency benchmark's verdict: ratios per seed against random search, goal per arm."""

from bench.efficiency import PER_FAMILY, RANDOM, TPE, _ratios, markdown


def arm(best, seconds, reached):
    return {"best_holdout": best, "rescored_all_folds": best, "trial_seconds": seconds,
            "seconds_to_random_best": reached, "statuses": {"ok": 8}}


def result(seeds):
    return {"trials": 8, "seeds": len(seeds), "config": "configs/digits.yaml", "overrides": [],
            "per_seed": [{"seed": i, "arms": arms} for i, arms in enumerate(seeds)]}


def test_goal_needs_as_good_in_half_the_seeds_and_less_median_time():
    seeds = [
        {TPE: arm(1.0, 5.0, 2.0), RANDOM: arm(1.2, 10.0, 4.0), PER_FAMILY: arm(1.3, 20.0, None)},
        {TPE: arm(1.1, 8.0, 3.0), RANDOM: arm(1.1, 10.0, 6.0), PER_FAMILY: arm(1.2, 30.0, None)},
    ]
    time_ratio, reach_ratio, better = _ratios(result(seeds), TPE)
    assert time_ratio == [0.5, 0.8] and reach_ratio == [0.5, 0.5] and better == 2
    text = markdown(result(seeds))
    assert f"{TPE}: wall-time ratio" in text and "Goal (as good, in less time): met." in text
    assert f"{PER_FAMILY}: wall-time ratio to random (trial seconds) 2.5" in text
    assert text.count("NOT met") == 1  # the per-family arm: never as good, and slower


def test_results_without_the_third_arm_still_render():
    seeds = [{TPE: arm(1.0, 12.0, 2.0), RANDOM: arm(1.0, 10.0, 4.0)}]
    text = markdown(result(seeds))
    assert PER_FAMILY not in text and "NOT met" in text
