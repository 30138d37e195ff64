"""The whole pipeline through the CLI on a tiny budget: stages, artifacts, resume rules."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.helpers import invoke


def test_search_writes_every_artifact(finished_run):
    config, run_dir, output = finished_run
    for name in ("config.yaml", "manifest.json", "data.json", "cv.json", "trials.jsonl", "tune.json",
                 "features.json", "model/model.json", "metrics.json", "samples/grid.png"):
        assert (run_dir / name).exists(), name
    assert not (run_dir / ".lock").exists()
    assert "cv leaderboard" in output and "test metrics" in output and "chosen representation" in output
    trials = [json.loads(line) for line in (run_dir / "trials.jsonl").read_text().splitlines()]
    assert len(trials) <= 3 and {t["status"] for t in trials} <= {"ok", "pruned", "failed", "timed_out"}
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["split"] == "test" and np.isfinite(metrics["metrics"]["frechet"])
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert all(manifest["stages"][s]["status"] == "done" for s in ("data", "cv", "tune", "features", "train"))
    data = json.loads((run_dir / "data.json").read_text())
    assert data["split"]["test"] == 30 and len(data["test_index"]) == 30
    cv = json.loads((run_dir / "cv.json").read_text())
    assert {row["family"] for row in cv["leaderboard"]} == {"vae", "gan", "rnn"}
    # Every family here extends: final training judged itself on a part of the non-test data.
    training = metrics["training"]
    assert training["extended"] and training["fit_examples"] + training["valid_examples"] == 120
    assert training["tuned_epochs"] <= training["best_epoch"] <= training["epochs_run"]
    assert [e for e, _ in training["checks"]][0] == training["tuned_epochs"]
    # no refit unless asked for (tests/test_test_split_sentinel.py asks)
    assert not training["refit"]["done"] and training["refit"]["reason"] == "train.refit is false"
    description = json.loads((run_dir / "model" / "model.json").read_text())
    assert description["trained_on"] == training["fit_examples"] and description["epochs_trained"] == training["best_epoch"]
    assert all(set(r["feature"]) == {"pixels", "intensity", "levels"} for r in cv["records"])


def test_weights_load_with_weights_only(finished_run):
    _, run_dir, _ = finished_run
    name = json.loads((run_dir / "model" / "model.json").read_text())["weights"]
    tensors = torch.load(run_dir / "model" / name, weights_only=True)
    assert set(tensors) == {"model", "representation"}


def test_search_again_does_nothing(finished_run):
    config, run_dir, _ = finished_run
    before = (run_dir / "metrics.json").read_bytes()
    result = invoke("search", config, "--run-dir", run_dir)
    assert result.exit_code == 0 and "nothing to do" in result.output
    assert (run_dir / "metrics.json").read_bytes() == before


def test_changed_config_refused_without_force(finished_run):
    config, run_dir, _ = finished_run
    result = invoke("search", config, "--run-dir", run_dir, "--set", "search.cv_folds=3")
    assert result.exit_code == 2
    assert "different config (search.cv_folds: 2 -> 3)" in result.output and "--force" in result.output


def test_sample_and_evaluate(finished_run, tmp_path):
    _, run_dir, _ = finished_run
    out = tmp_path / "s"
    result = invoke("sample", run_dir, "-n", 9, "--out", out, "--seed", 3)
    assert result.exit_code == 0, result.output
    samples = np.load(out / "samples.npy")
    assert samples.shape == (9, 8, 8, 1) and samples.min() >= 0 and samples.max() <= 1
    again = tmp_path / "s2"
    invoke("sample", run_dir, "-n", 9, "--out", again, "--seed", 3)
    assert np.array_equal(samples, np.load(again / "samples.npy"))
    result = invoke("evaluate", run_dir, "--json")
    assert result.exit_code == 0, result.output
    evaluated = json.loads(result.output)
    # By default evaluate samples with the train stage's seed on the same held-out subset:
    # it reproduces metrics.json exactly, floor included.
    recorded = json.loads((run_dir / "metrics.json").read_text())
    assert evaluated["metrics"] == recorded["metrics"] and evaluated["floor"] == recorded["floor"]
    assert evaluated["scored_examples"] == recorded["scored_examples"] == 30
    other = json.loads(invoke("evaluate", run_dir, "--json", "--seed", 5).output)
    assert other["metrics"]["frechet"] != recorded["metrics"]["frechet"]
    result = invoke("evaluate", run_dir, "--samples", out, "--json")
    assert result.exit_code == 0, result.output
    assert "bits_per_dim" not in json.loads(result.output)["metrics"]


def test_figures_are_reported_beside_their_real_data_floor(finished_run):
    _, run_dir, output = finished_run
    metrics = json.loads((run_dir / "metrics.json").read_text())
    floor = metrics["floor"]
    # every sample figure but memorization (training examples are copies of themselves)
    assert set(floor) == {"frechet", "mmd", "kid", "precision", "recall", "density", "coverage", "c2st"}
    # cv's figures have theirs too: real training examples of each fold on the same subset.
    cv = json.loads((run_dir / "cv.json").read_text())
    assert set(cv["floor"]) == set(floor)
    assert cv["floor"]["frechet"] < min(row["figure"] for row in cv["leaderboard"] if row["status"] == "ok")
    assert "real data" in output and "the floor at these sizes" in output
    assert len(cv["floor_per_fold"]) == 2 and cv["floor"]["frechet"] == np.mean([f["frechet"] for f in cv["floor_per_fold"]])
    tune = json.loads((run_dir / "tune.json").read_text())
    assert tune["floor_all_folds"] == cv["floor"]["frechet"]
    assert json.loads((run_dir / "features.json").read_text())["floor"] == cv["floor"]["frechet"]
    # Bootstrap intervals around the figures that resampling does not break.
    intervals = metrics["intervals"]
    assert intervals["level"] == 0.9 and set(intervals["metrics"]) == {"frechet", "mmd", "kid"}
    for name, (low, high) in intervals["metrics"].items():
        assert low < metrics["metrics"][name] < high, name
    assert metrics["generated"] == metrics["scored_examples"] == 30
    assert 0 <= floor["frechet"] < metrics["metrics"]["frechet"]  # a two-epoch model is not at the floor
    assert floor["c2st"] < 0.5  # real against real: a classifier can barely tell them apart
    assert "real data" in output


def test_the_cost_of_sampling_is_reported(finished_run):
    _, run_dir, output = finished_run
    sampling = json.loads((run_dir / "metrics.json").read_text())["sampling"]
    assert sampling["samples"] == 30 and sampling["device"] == "cpu"
    assert sampling["per_second"] == pytest.approx(30 / sampling["seconds"], rel=1e-3)
    assert "samples per second on cpu" in output


def test_stage_commands_reuse_results(finished_run):
    config, run_dir, _ = finished_run
    result = invoke("cv", config, "--run-dir", run_dir)
    assert result.exit_code == 0 and "up to date" in result.output


def test_more_trials_continue_the_search(finished_run, tmp_path):
    config, run_dir, _ = finished_run
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    before = (copy / "trials.jsonl").read_text().splitlines()
    result = invoke("tune", config, "--run-dir", copy, "--set", "search.max_trials=4")
    assert result.exit_code == 0, result.output
    after = (copy / "trials.jsonl").read_text().splitlines()
    assert after[: len(before)] == before and len(after) == len(before) + 1
    assert "resuming" in result.output


def test_sample_without_model_is_a_clear_error(tmp_path):
    result = invoke("sample", tmp_path, "-n", 2)
    assert result.exit_code == 2 and "no trained model" in result.output


def test_models_lists_families():
    result = invoke("models")
    assert result.exit_code == 0
    for name in ("vae", "gan", "rnn"):
        assert name in result.output


def test_failed_checkpoint_write_keeps_previous_model(finished_run, tmp_path, monkeypatch):
    from genautoml import atomic
    from genautoml.pipeline import checkpoint

    _, run_dir, _ = finished_run
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    model, representation, description = checkpoint.load(copy)
    real_write_with = atomic.write_with

    def disk_full(path, write):
        def half(handle):
            handle.write(b"partial")
            raise OSError(28, "No space left on device", str(path))
        return real_write_with(path, half)

    for step in ("weights", "description"):
        calls = []

        def failing(path, write, step=step):
            calls.append(path)
            if (step == "weights" and len(calls) == 1) or (step == "description" and len(calls) == 2):
                return disk_full(path, write)
            return real_write_with(path, write)

        monkeypatch.setattr(atomic, "write_with", failing)
        with pytest.raises(OSError, match="No space left"):
            checkpoint.save(copy / "model", model, representation, description)
        monkeypatch.setattr(atomic, "write_with", real_write_with)
        reloaded, _, _ = checkpoint.load(copy)  # the previous checkpoint still loads
        assert all(torch.equal(a, b) for a, b in zip(reloaded.state().values(), model.state().values()))
        assert len(list((copy / "model").glob("weights*.pt"))) == 1


def test_logs_keep_whole_tables_and_quiet_prints_only_the_result(finished_run):
    config, run_dir, output = finished_run
    # Not a terminal (a pipe, a CI log): no column is cut to "…".
    assert "…" not in output and "memorization" in output
    quiet = invoke("tune", config, "--run-dir", run_dir, "-q")
    assert quiet.exit_code == 0
    assert "tune: best per family" in quiet.output  # the result asked for...
    assert "up to date" not in quiet.output and "cv leaderboard" not in quiet.output  # ...and nothing else


def test_the_resume_hint_is_a_command_to_paste():
    import shlex
    from pathlib import Path

    from genautoml.cli import resume_command

    hint = resume_command("search", Path("my configs/a.yaml"), Path("runs/x y"), ["name=a b", "train.samples=3"], True)
    assert shlex.split(hint) == ["genautoml", "search", "my configs/a.yaml", "--run-dir", "runs/x y",
                                 "--set", "name=a b", "--set", "train.samples=3", "-q"]
    assert shlex.split(resume_command("cv", Path("c.yaml"), None, None, False)) == ["genautoml", "cv", "c.yaml"]


def test_sample_never_replaces_files_it_did_not_write(finished_run, tmp_path):
    _, run_dir, _ = finished_run
    trained = (run_dir / "samples" / "samples.npy").read_bytes()
    result = invoke("sample", run_dir, "-n", 4)  # default folder: RUN_DIR/sampled, not the train stage's
    assert result.exit_code == 0, result.output
    assert (run_dir / "sampled" / "samples.npy").exists()
    assert (run_dir / "samples" / "samples.npy").read_bytes() == trained
    assert invoke("sample", run_dir, "-n", 4).exit_code == 0  # its own folder: written again
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "grid.png").write_bytes(b"my picture")
    refused = invoke("sample", run_dir, "-n", 4, "--out", mine)
    assert refused.exit_code == 2 and "--out" in refused.output and "--overwrite" in refused.output
    assert (mine / "grid.png").read_bytes() == b"my picture" and sorted(p.name for p in mine.iterdir()) == ["grid.png"]
    assert invoke("sample", run_dir, "-n", 4, "--out", mine, "--overwrite").exit_code == 0
    assert (mine / "samples.npy").exists()
    too_many = invoke("sample", run_dir, "-n", 10_001, "--out", tmp_path / "big")
    assert too_many.exit_code == 2 and not (tmp_path / "big").exists()


def test_json_on_stage_commands_and_search(finished_run):
    config, run_dir, _ = finished_run
    tune = invoke("tune", config, "--run-dir", run_dir, "--json")
    assert tune.exit_code == 0, tune.output
    parsed = json.loads(tune.stdout)  # stdout holds the JSON alone
    assert parsed["stage"] == "tune" and parsed["result"]["chosen"]["family"] in {"vae", "gan", "rnn"}
    search = json.loads(invoke("search", config, "--run-dir", run_dir, "--json").stdout)
    assert search["result"] == json.loads((run_dir / "metrics.json").read_text())


def test_validate_json_is_the_resolved_config_and_its_plan():
    from tests.helpers import CONFIGS

    shown = json.loads(invoke("validate", CONFIGS / "digits.yaml", "--json", "--set", "search.max_trials=7").stdout)
    assert shown["valid"] and shown["resolved"]["search"]["max_trials"] == 7
    assert shown["resolved"]["data"]["modality"] == "image" and shown["plan"]


def test_version_help_and_models_filters():
    from genautoml import __version__

    assert invoke("--version").output.strip() == f"genautoml {__version__}"
    assert "Usage:" in invoke("cv", "-h").output and "--run-dir" in invoke("cv", "-h").output
    text = json.loads(invoke("models", "--modality", "text", "--json").output)
    assert text and all("text" in family["modalities"] for family in text)
    assert {f["family"] for f in text} >= {"ngram", "hybrid"} and "gan" not in {f["family"] for f in text}
    unknown = invoke("models", "--modality", "video")
    assert unknown.exit_code == 2 and "--modality: expected one of image, text, audio" in unknown.output


def test_a_changed_setting_reruns_only_the_stages_that_read_it(finished_run, tmp_path):
    config, original, _ = finished_run
    run_dir = tmp_path / "copy"
    shutil.copytree(original, run_dir)
    # Settings that change no result (the name, threads, the executor) change nothing.
    same = invoke("search", config, "--run-dir", run_dir, "--set", "name=renamed", "--set", "search.threads=2")
    assert same.exit_code == 0 and "nothing to do" in same.output, same.output
    kept = {name: (run_dir / name).read_bytes() for name in ("data.json", "cv.json", "tune.json", "trials.jsonl",
                                                            "features.json")}
    # A final-training setting: refused without --force, as any other change...
    refused = invoke("search", config, "--run-dir", run_dir, "--set", "train.max_epochs=5")
    assert refused.exit_code == 2 and "train.max_epochs" in refused.output
    # ...and with it only train starts over: every earlier result stands, byte for byte.
    forced = invoke("search", config, "--run-dir", run_dir, "--set", "train.max_epochs=5", "--force")
    assert forced.exit_code == 0, forced.output
    assert "train start over" in forced.output
    assert {name: (run_dir / name).read_bytes() for name in kept} == kept
    (moved,) = (run_dir / "superseded").iterdir()
    assert sorted(p.name for p in moved.iterdir()) == ["metrics.json", "model", "samples"]
    assert json.loads((run_dir / "metrics.json").read_text())["training"]["max_epochs"] == 5


def test_evaluate_refuses_samples_it_cannot_score_honestly(finished_run, tmp_path):
    _, run_dir, _ = finished_run
    one = tmp_path / "one.npy"
    np.save(one, np.random.default_rng(0).random((1, 8, 8, 1), dtype=np.float32))
    result = invoke("evaluate", run_dir, "--samples", one)
    assert result.exit_code == 2 and "holds 1 sample; the statistics need at least 2" in result.output
    other_size = tmp_path / "big.npy"
    np.save(other_size, np.random.default_rng(0).random((9, 16, 16, 1), dtype=np.float32))
    result = invoke("evaluate", run_dir, "--samples", other_size)
    assert result.exit_code == 2 and "16x16 pixels, the data's 8x8" in result.output


def test_a_run_dir_that_is_a_file_is_bad_input(finished_run, tmp_path):
    config, _, _ = finished_run
    a_file = tmp_path / "notes.txt"
    a_file.write_text("mine")
    for run_dir in (a_file, a_file / "run"):
        result = invoke("cv", config, "--run-dir", run_dir)
        assert result.exit_code == 2 and f"--run-dir: {a_file} is a file; expected a folder" in result.output
    assert a_file.read_text() == "mine"


def test_debug_after_the_command_shows_the_traceback(tmp_path):
    from genautoml.errors import ConfigError

    missing = tmp_path / "missing.yaml"
    for args in (("validate", missing, "--debug"), ("--debug", "validate", missing)):
        shown = invoke(*args)
        assert isinstance(shown.exception, ConfigError), shown.output  # raised, not turned into a line
    plain = invoke("validate", missing)  # --debug given before does not stick to later commands
    assert plain.exit_code == 2 and plain.output.startswith("error: ")


def test_a_file_that_may_not_be_written_is_bad_input(finished_run, tmp_path, monkeypatch):
    from genautoml import atomic

    config, original, _ = finished_run
    run_dir = tmp_path / "copy"
    shutil.copytree(original, run_dir)
    before = {p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file()}

    def refused(path, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(atomic, "write_text", refused)
    result = invoke("cv", config, "--run-dir", run_dir, "--set", "name=other")
    assert result.exit_code == 2 and "config.yaml: permission denied" in result.output, result.output
    assert {p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file()} == before


def test_fewer_trials_than_finished_are_refused_unless_forced(finished_run, tmp_path):
    config, original, _ = finished_run
    run_dir = tmp_path / "copy"
    shutil.copytree(original, run_dir)
    finished = [t for t in map(json.loads, (run_dir / "trials.jsonl").read_text().splitlines()) if t["stage"] == "tune"]
    assert len(finished) >= 2
    lowered = ("--set", f"search.max_trials={len(finished) - 1}")
    refused = invoke("tune", config, "--run-dir", run_dir, *lowered)
    assert refused.exit_code == 2 and f"is below the {len(finished)} tune trials" in refused.output
    forced = invoke("tune", config, "--run-dir", run_dir, *lowered, "--force", "--json")
    assert forced.exit_code == 0, forced.output
    assert json.loads(forced.stdout)["result"]["trials"] == len(finished) - 1
    (moved,) = (run_dir / "superseded").iterdir()
    assert len((moved / "trials.jsonl").read_text().splitlines()) == len(finished)


def test_sample_reports_progress_and_prints_json(finished_run, tmp_path, monkeypatch):
    from genautoml import cli
    from genautoml.pipeline import sample as sampling

    _, run_dir, _ = finished_run
    heard = []

    class Recorder(sampling.Silent):
        def work(self, progress):
            heard.append((progress.done, progress.total))

    n = sampling.CHUNK + 44
    result = sampling.sample(run_dir, n, tmp_path / "a", seed=3, events=Recorder())
    assert heard == [(sampling.CHUNK, n), (n, n)]
    assert np.load(tmp_path / "a" / "samples.npy").shape[0] == n
    again = json.loads(invoke("sample", run_dir, "-n", n, "--seed", 3, "--out", tmp_path / "b", "--json").stdout)
    assert again["n"] == n and sorted(again["files"]) == sorted(str(tmp_path / "b" / Path(f).name) for f in result["files"])
    assert np.array_equal(np.load(tmp_path / "a" / "samples.npy"), np.load(tmp_path / "b" / "samples.npy"))
    monkeypatch.setattr(cli, "PRINTED_PATHS", 1)  # past it, a count instead of every path
    printed = invoke("sample", run_dir, "-n", 2, "--out", tmp_path / "c").stdout.splitlines()
    assert len(printed) == 2 and printed[1].startswith("... and 1 more file in ")
