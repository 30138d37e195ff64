"""Local parallel trials: a process pool runs blocks of trials; results match a resumed run."""

import json

from tests.helpers import comparable, invoke, read_trials, small_digits_config


def test_parallel_tune_and_resume(tmp_path):
    config = small_digits_config(tmp_path, "par", seed=1, search={"max_trials": 4, "parallel": 2})
    run_dir = tmp_path / "run"
    result = invoke("tune", config, "--run-dir", run_dir)
    assert result.exit_code == 0, result.output
    first = read_trials(run_dir)
    assert [r["id"] for r in first] == [0, 1, 2, 3]
    # Lose the last block's trials, as if killed: the resume re-suggests exactly them.
    lines = (run_dir / "trials.jsonl").read_text().splitlines()
    kept = [line for line in lines if json.loads(line)["id"] < 2]
    (run_dir / "trials.jsonl").write_text("\n".join(kept) + "\n")
    (run_dir / "tune.json").unlink()
    result = invoke("tune", config, "--run-dir", run_dir)
    assert result.exit_code == 0, result.output
    again = read_trials(run_dir)
    assert comparable(again) == comparable(first)
