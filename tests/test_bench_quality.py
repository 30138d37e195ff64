"""bench/quality.py: a family trained alone that diverges is scored at its last copy."""

from __future__ import annotations

import pytest
import torch

from bench.quality import Snapshots, compared, markdown


class Weights:
    """A stand-in with the family contract's state()/load_state()."""

    def __init__(self):
        self.w = torch.zeros(3)

    def state(self):
        return {"w": self.w}  # the live tensor, as families return it

    def load_state(self, state):
        self.w = state["w"].clone()


def test_the_last_copy_is_put_back_and_its_epoch_told():
    model = Weights()
    kept = Snapshots(model, every=3600.0)
    model.w += 1
    kept.offer(1)  # the first epoch is always copied
    model.w += 5  # later epochs, not copied (within the interval), then a divergence
    kept.offer(2)
    model.w.fill_(float("inf"))
    assert kept.restore() == 1
    assert torch.equal(model.w, torch.ones(3))


def test_no_copy_before_the_first_epoch_is_an_error():
    with pytest.raises(RuntimeError, match="first epoch"):
        Snapshots(Weights()).restore()


def _entry(chosen: float, alone: float, floor: float) -> dict:
    def row(model, mean):
        return {"model": model, "figure": mean + 0.01, "seconds": 1.0, "epochs": 5,
                "draws": {"mean": mean, "sd": 0.01, "draws": 8}}

    rows = [row("genautoml: diffusion", chosen), row("diffusion at defaults, 99 s budget", alone)]
    for r in rows:
        r["ratio_to_chosen"] = compared(r) / compared(rows[0])
    return {"label": "images", "config": "configs/digits.yaml", "overrides": [], "metric": "frechet",
            "direction": "minimize", "rows": rows,
            "floor": {"model": "real training data", "figure": floor, "seconds": 0.0, "epochs": "-",
                      "draws": {"mean": floor, "sd": 0.02, "draws": 8}}}


def test_rows_are_compared_by_their_mean_over_draws_and_read_against_the_floor():
    text = markdown({"configs": [_entry(chosen=0.50, alone=0.46, floor=0.44)]})
    assert "0.5 ± 0.01" in text and "+0.06" in text  # the chosen row's mean and its distance to the floor
    assert "| 0.92 |" in text  # the alone row's ratio: 0.46 / 0.50, from the means, not the job's draws
    assert "beats 0 of 1" in text
    # 0.9 x 0.46 = 0.414 lies below what real data scores: the goal cannot be met at this size
    assert "0.414, below the mean real-data floor 0.44: no model can be expected" in text


def test_a_goal_above_the_floor_is_not_called_unreachable():
    text = markdown({"configs": [_entry(chosen=0.30, alone=0.40, floor=0.20)]})
    assert "beats 1 of 1 hand-picked alternatives." in text
    assert "0.36, above the mean real-data floor 0.2." in text and "no model" not in text


def test_the_seeds_table_gives_each_rows_median_and_the_median_ratio():
    from bench.quality_seeds import median_table

    seeds = [_entry(0.50, 0.46, 0.44), _entry(0.40, 0.50, 0.40), _entry(0.60, 0.50, 0.45)]
    for i, entry in enumerate(seeds):
        entry["label"] = f"seed{i}"
        entry["rows"][1]["model"] = f"diffusion at defaults, {90 + i} s budget"  # seconds differ by seed
    lines = median_table({"configs": seeds}).splitlines()
    assert lines[2].startswith("| chosen | 0.5 | 0.4 | 0.6 | 0.5 |")
    # chosen / alone per seed: 1.087, 0.8, 1.2: median 1.09
    assert lines[3] == "| diffusion at defaults | 0.46 | 0.5 | 0.5 | 0.5 | 1.09 |"
    assert lines[4] == "| real-data floor | 0.44 | 0.4 | 0.45 | 0.44 |  |"


def test_rows_are_matched_across_seeds_without_what_differs_by_seed():
    from bench.quality_seeds import _key

    assert _key(0, {"model": "genautoml: diffusion (cv defaults, levels 8)"}) == "chosen"
    assert _key(2, {"model": "vae at defaults, 99 s budget"}) == "vae at defaults"
    assert _key(1, {"model": "ngram tuned by grid (order 5, best of 9, tokenizer=char; 3 features, cv)"}) \
        == "ngram tuned by grid"
