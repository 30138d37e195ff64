"""Local parallel trials: a process pool runs blocks of trials; results match a resumed run."""

import json
import textwrap

from typer.testing import CliRunner

from genautoml.cli import app

CONFIG = """
name: par
seed: 1
device: cpu
data: {modality: image, source: builtin:digits, max_examples: 120}
models:
  - {family: vae, params: {epochs: 2, hidden: 32, depth: 1}}
  - {family: gan, params: {epochs: 2, hidden: 32, depth: 1}}
search: {cv_folds: 2, top_k: 2, max_trials: 4, parallel: 2, time_budget: null, max_eval_examples: 40}
"""


def trials(run_dir):
    return sorted((json.loads(l) for l in (run_dir / "trials.jsonl").read_text().splitlines()), key=lambda r: r["id"])


def test_parallel_tune_and_resume(tmp_path):
    config = tmp_path / "par.yaml"
    config.write_text(textwrap.dedent(CONFIG))
    run_dir = tmp_path / "run"
    result = CliRunner().invoke(app, ["tune", str(config), "--run-dir", str(run_dir)])
    assert result.exit_code == 0, result.output
    first = trials(run_dir)
    assert [r["id"] for r in first] == [0, 1, 2, 3]
    # Lose the last block's trials, as if killed: the resume re-suggests exactly them.
    lines = (run_dir / "trials.jsonl").read_text().splitlines()
    kept = [l for l in lines if json.loads(l)["id"] < 2]
    (run_dir / "trials.jsonl").write_text("\n".join(kept) + "\n")
    (run_dir / "tune.json").unlink()
    result = CliRunner().invoke(app, ["tune", str(config), "--run-dir", str(run_dir)])
    assert result.exit_code == 0, result.output
    again = trials(run_dir)
    strip = lambda rs: [(r["id"], r["family"], r["params"], r["status"], r["figure"]) for r in rs]
    assert strip(again) == strip(first)
