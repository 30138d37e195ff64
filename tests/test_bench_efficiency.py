"""The efficiency benchmark's verdict: ratios per seed against random search, goal per arm."""

from bench.efficiency import PER_FAMILY, RANDOM, TPE, _ratios, markdown


def arm(best, seconds, reached):
    return {"best_holdout": best, "rescored_all_folds": best, "trial_seconds": seconds, "tune_seconds": seconds + 1.0,
            "seconds_to_random_best": reached, "statuses": {"ok": 8}}


def result(seeds):
    return {"trials": 8, "seeds": len(seeds), "config": "configs/digits.yaml", "overrides": [],
            "per_seed": [{"seed": i, "arms": arms} for i, arms in enumerate(seeds)]}


def test_goal_needs_as_good_in_half_the_seeds_and_less_median_time():
    seeds = [
        {TPE: arm(1.0, 5.0, 2.0), RANDOM: arm(1.2, 10.0, 4.0), PER_FAMILY: arm(1.3, 20.0, None)},
        {TPE: arm(1.1, 8.0, 3.0), RANDOM: arm(1.1, 10.0, 6.0), PER_FAMILY: arm(1.2, 30.0, None)},
    ]
    time_ratio, stage_ratio, reach_ratio, better = _ratios(result(seeds), TPE)
    assert time_ratio == [0.5, 0.8] and stage_ratio == [6 / 11, 9 / 11] and reach_ratio == [0.5, 0.5] and better == 2
    text = markdown(result(seeds))
    tpe_line, per_family_line = (line for line in text.splitlines() if line.startswith((TPE + ":", PER_FAMILY + ":")))
    assert "whole budget in less time: met;" in tpe_line and "random's best in at most 0.5x its time: met." in tpe_line
    assert "whole budget (trial seconds) 2.5" in per_family_line
    assert per_family_line.count("NOT met") == 2  # never as good, slower, and never reached random's best


def test_the_two_readings_of_less_time_can_disagree():
    # as good in every seed and reaching random's best in half its time, but spending more over the whole budget
    seeds = [{TPE: arm(1.0, 12.0, 2.0), RANDOM: arm(1.1, 10.0, 4.0)} for _ in range(3)]
    line = next(line for line in markdown(result(seeds)).splitlines() if line.startswith(TPE + ":"))
    assert "whole budget in less time: NOT met" in line and "random's best in at most 0.5x its time: met." in line


def test_sooner_but_not_twice_as_fast_is_not_the_goal():
    seeds = [{TPE: arm(1.0, 8.0, 3.0), RANDOM: arm(1.1, 10.0, 4.0)} for _ in range(3)]  # 0.75x
    line = next(line for line in markdown(result(seeds)).splitlines() if line.startswith(TPE + ":"))
    assert "random's best in at most 0.5x its time: NOT met" in line


def test_results_without_the_third_arm_still_render():
    seeds = [{TPE: arm(1.0, 12.0, 2.0), RANDOM: arm(1.0, 10.0, 4.0)}]
    text = markdown(result(seeds))
    assert PER_FAMILY not in text and "NOT met" in text
