"""A killed or interrupted search loses at most the trial in flight, and resumes to the same result."""

import json
import shlex
import signal
import subprocess
import sys
import time

import pytest

from tests.helpers import comparable, read_trials, small_digits_config


def command(config, run_dir, stage="tune"):
    return [sys.executable, "-m", "genautoml", stage, str(config), "--run-dir", str(run_dir), "--quiet"]


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    folder = tmp_path_factory.mktemp("faults")
    config = small_digits_config(folder, "faults", seed=3, epochs=3, search={"max_trials": 6, "grace_epochs": 1},
                                 train={"samples": 4})
    run_dir = folder / "reference"
    done = subprocess.run(command(config, run_dir), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return config, comparable(read_trials(run_dir))


def wait_for_trials(run_dir, count, process, timeout=300):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if len(read_trials(run_dir)) >= count:
            return
        if process.poll() is not None:
            raise AssertionError(f"finished before {count} trials: {process.stderr.read()}")
        time.sleep(0.05)
    raise AssertionError("timed out waiting for trials")


@pytest.mark.parametrize("kill_after", [1, 4])
def test_kill_9_then_resume_equals_uninterrupted(uninterrupted, tmp_path, kill_after):
    config, reference = uninterrupted
    run_dir = tmp_path / "run"
    process = subprocess.Popen(command(config, run_dir), stderr=subprocess.PIPE, text=True)
    wait_for_trials(run_dir, kill_after, process)
    time.sleep(0.3 * kill_after)  # somewhere inside the next trial
    process.send_signal(signal.SIGKILL)
    process.wait()
    survived = read_trials(run_dir)
    assert len(survived) >= kill_after
    resumed = subprocess.run(command(config, run_dir), capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    final = comparable(read_trials(run_dir))
    assert final == reference
    assert final[: len(survived)] == comparable(survived)  # finished trials kept, not rerun


def _ctrl_c_as_at_a_terminal() -> None:
    """The child takes SIGINT as a command started at a terminal does, even when the tests
    run in a background job: a shell starts those with SIGINT ignored, and the ignoring is
    inherited (the search then ran to its end and exited 0)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def interrupt(config, run_dir, sent: int, exit_code: int) -> str:
    """Start tune, send ``sent`` after two finished trials; check that the process ended as
    an interrupted run should (``exit_code``, no traceback, lock released, manifest says
    interrupted) and return what it printed on stderr."""
    process = subprocess.Popen(command(config, run_dir), stderr=subprocess.PIPE, text=True,
                               preexec_fn=_ctrl_c_as_at_a_terminal)
    wait_for_trials(run_dir, 2, process)
    process.send_signal(sent)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == exit_code, stderr
    assert "Traceback" not in stderr and not (run_dir / ".lock").exists()
    assert json.loads((run_dir / "manifest.json").read_text())["stages"]["tune"]["status"] == "interrupted"
    return stderr


def test_ctrl_c_exits_130_and_says_how_to_resume(uninterrupted, tmp_path):
    config, reference = uninterrupted
    run_dir = tmp_path / "run"
    stderr = interrupt(config, run_dir, signal.SIGINT, 130)
    assert "interrupted: finished work is saved; resume with: genautoml tune" in stderr
    # The hint is the command to paste: the same run directory (a run elsewhere would start
    # over), quoted for the shell, and no --force.
    hint = shlex.split(stderr.split("resume with: ", 1)[1].strip())
    assert hint[:3] == ["genautoml", "tune", str(config)] and hint[3:5] == ["--run-dir", str(run_dir)]
    assert "--force" not in hint
    resumed = subprocess.run([sys.executable, "-m", *hint], capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0
    assert comparable(read_trials(run_dir)) == reference


def test_sigterm_ends_like_ctrl_c_with_exit_143(uninterrupted, tmp_path):
    config, reference = uninterrupted
    run_dir = tmp_path / "run"
    stderr = interrupt(config, run_dir, signal.SIGTERM, 143)
    assert "terminated (SIGTERM): finished work is saved; resume with: genautoml tune" in stderr
    resumed = subprocess.run(command(config, run_dir), capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0
    assert comparable(read_trials(run_dir)) == reference


def test_second_writer_is_refused(uninterrupted, tmp_path):
    config, _ = uninterrupted
    run_dir = tmp_path / "run"
    # Many trials, so the first still holds the lock while the second starts up.
    first = subprocess.Popen(command(config, run_dir) + ["--set", "search.max_trials=200"],
                             stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 120
        while not (run_dir / ".lock").exists() and time.time() < deadline:
            time.sleep(0.05)
        second = subprocess.run(command(config, run_dir), capture_output=True, text=True, timeout=120)
        assert second.returncode == 2
        assert f"in use by process {first.pid}" in second.stderr
    finally:
        first.kill()
        first.wait()


def read_cv(run_dir):
    """cv.json's records as (family, fidelity, figure), once the file exists."""
    path = run_dir / "cv.json"
    if not path.exists():
        return []
    try:
        records = json.loads(path.read_text())["records"]
    except ValueError:  # written atomically, so this is only a file another writer is replacing
        return []
    return [(r["family"], r.get("fidelity"), r["figure"]) for r in records]


def test_kill_9_inside_the_cv_race_then_resume_equals_uninterrupted(tmp_path):
    """Families raced at x1, x2, x4 of their default epochs: killed after the first records,
    the same command finishes the race with the same records and the same ranking."""
    from tests.helpers import write_config

    config = write_config(tmp_path, "race", {
        "name": "race", "seed": 0, "device": "cpu",
        "data": {"modality": "image", "source": "builtin:digits", "max_examples": 80},
        "models": [{"family": "vae", "params": {"hidden": 16, "depth": 1}},
                   {"family": "gan", "params": {"hidden": 16, "depth": 1}}],
        "search": {"cv_folds": 2, "time_budget": None, "max_eval_examples": 20,
                   "fidelity": {"eta": 2, "max_factor": 4}},
    })
    reference_dir = tmp_path / "reference"
    done = subprocess.run(command(config, reference_dir, "cv"), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    reference = read_cv(reference_dir)
    assert {fidelity for _, fidelity, _ in reference} == {1, 2, 4}

    run_dir = tmp_path / "run"
    process = subprocess.Popen(command(config, run_dir, "cv"), stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 300
    while len(read_cv(run_dir)) < 3:  # past the first rung, inside the second
        assert process.poll() is None, f"finished before it could be killed: {process.stderr.read()}"
        assert time.time() < deadline, "timed out waiting for the race"
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    survived = read_cv(run_dir)
    resumed = subprocess.run(command(config, run_dir, "cv"), capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    assert read_cv(run_dir) == reference
    assert reference[: len(survived)] == survived  # what finished before the kill was kept, not rerun
    ranking = [row["family"] for row in json.loads((run_dir / "cv.json").read_text())["leaderboard"]]
    assert ranking == [row["family"] for row in json.loads((reference_dir / "cv.json").read_text())["leaderboard"]]
