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
