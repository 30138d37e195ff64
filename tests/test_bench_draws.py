"""bench.draws: a run's final model scored with several scoring seeds."""

import json
import math


def test_draws_score_the_final_model_with_each_seed(finished_run):
    from bench.draws import run

    _, run_dir, _ = finished_run
    result = run(run_dir, 3)
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert result["metric"] == metrics["metric"] == "frechet" and len(result["figures"]) == 3
    assert all(math.isfinite(f) for f in result["figures"]) and len(set(result["figures"])) == 3  # draws differ
    assert min(result["figures"]) <= result["mean"] <= max(result["figures"]) and result["sd"] > 0


def test_floors_differ_by_draw_and_a_curve_scores_at_each_stop(tmp_path):
    from pathlib import Path

    from bench.curve import run

    config = Path(__file__).parents[1] / "configs" / "smoke-image.yaml"
    result = run(config, "vae", [1, 3], ["data.max_examples=120"], None, count=2)
    assert [row["epoch"] for row in result["rows"]] == [1, 3] and result["metric"] == "frechet"
    assert all(row["draws"] == 2 and math.isfinite(row["mean"]) and row["sd"] > 0 for row in result["rows"])
    assert result["floor"]["draws"] == 2 and result["floor"]["sd"] > 0  # real examples drawn anew at each seed
