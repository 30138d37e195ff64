"""Atomic writes and the one-writer lock."""

import os
import subprocess
import sys

import pytest

from genautoml import atomic
from genautoml.errors import RunDirError
from genautoml.pipeline.stages import all_outputs
from genautoml.rundir import RunDir


def test_failed_write_keeps_previous_file_and_no_temporary(tmp_path):
    target = tmp_path / "metrics.json"
    atomic.write_json(target, {"v": 1})

    def half_then_fail(handle):
        handle.write(b'{"v": 2, "trunc')
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        atomic.write_with(target, half_then_fail)
    assert target.read_text().strip() == '{\n  "v": 1\n}'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metrics.json"]


def test_interrupt_during_write_keeps_previous_file(tmp_path):
    target = tmp_path / "a.txt"
    atomic.write_text(target, "old")

    def interrupted(handle):
        handle.write(b"new")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic.write_with(target, interrupted)
    assert target.read_text() == "old" and len(list(tmp_path.iterdir())) == 1


def test_lock_refuses_a_live_holder(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        (tmp_path / ".lock").write_text(str(holder.pid))
        with pytest.raises(RunDirError, match=f"in use by process {holder.pid}"):
            with RunDir(tmp_path).locked():
                pass
    finally:
        holder.kill()
        holder.wait()


def test_lock_left_by_dead_process_is_taken_over(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / ".lock").write_text(str(dead.pid))
    with RunDir(tmp_path).locked():
        assert (tmp_path / ".lock").read_text() == str(os.getpid())
    assert not (tmp_path / ".lock").exists()


def test_lock_released_on_error(tmp_path):
    with pytest.raises(ValueError):
        with RunDir(tmp_path).locked():
            raise ValueError
    assert not (tmp_path / ".lock").exists()


def test_supersede_moves_artifacts_aside(tmp_path):
    run = RunDir(tmp_path)
    run.write_json("cv.json", {"a": 1})
    (tmp_path / "model").mkdir()
    (tmp_path / "notes.txt").write_text("the user's own file")
    moved = run.supersede(all_outputs())
    assert (moved / "cv.json").exists() and (moved / "model").is_dir()
    assert not (tmp_path / "cv.json").exists()
    assert (tmp_path / "notes.txt").exists()  # only what the stages write is moved


def test_damaged_artifact_is_a_clear_error(tmp_path):
    (tmp_path / "cv.json").write_text("{not json")
    with pytest.raises(RunDirError, match="cv.json: not valid JSON"):
        RunDir(tmp_path).read_json("cv.json")
