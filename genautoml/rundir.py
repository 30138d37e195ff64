"""The run directory: where a run's artifacts live, its lock and its manifest.

One process writes a run directory at a time (``.lock`` holds its pid); a lock left by a
dead process is taken over. Every file is written through ``genautoml.atomic``.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import sys
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional

from genautoml import __version__, atomic
from genautoml.errors import RunDirError


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _read_pid(lock: Path) -> Optional[int]:
    try:
        return int(lock.read_text().strip())
    except FileNotFoundError:
        return 0  # released meanwhile: free
    except (OSError, ValueError):
        return None  # unreadable: assume someone holds it


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


class RunDir:
    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    def __truediv__(self, name: str) -> Path:
        return self.path / name

    def __str__(self) -> str:
        return str(self.path)

    # ---- artifacts ----------------------------------------------------------------------
    def read_json(self, name: str) -> Optional[dict[str, Any]]:
        path = self.path / name
        if not path.exists():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise RunDirError(f"{path}: not valid JSON ({exc}); delete it to redo that stage") from None
        if not isinstance(data, dict):
            raise RunDirError(f"{path}: expected a JSON object; delete it to redo that stage")
        return data

    def write_json(self, name: str, data: dict[str, Any]) -> Path:
        return atomic.write_json(self.path / name, data)

    def supersede(self, names: Iterable[str]) -> Optional[Path]:
        """Move the named stage outputs aside (for ``--force``) instead of deleting finished work."""
        present = [name for name in names if (self.path / name).exists()]
        if not present:
            return None
        target = self.path / "superseded" / datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        target.mkdir(parents=True)
        for name in present:
            shutil.move(str(self.path / name), str(target / name))
        return target

    # ---- lock ---------------------------------------------------------------------------
    @contextmanager
    def locked(self) -> Iterator["RunDir"]:
        self._check_usable()
        lock = self.path / ".lock"
        me = os.getpid()
        for _ in range(3):
            # The lock appears with the pid already in it (written aside, then hard-linked
            # into place, which fails if a lock exists): no reader ever sees an empty lock.
            staged = self.path / f".lock.{me}"
            staged.write_text(str(me))
            try:
                os.link(staged, lock)
            except FileExistsError:
                holder = _read_pid(lock)
                if holder == me:
                    staged.unlink(missing_ok=True)
                    yield self  # re-entrant within one process (search runs the other stages)
                    return
                if holder is None or _pid_alive(holder):
                    staged.unlink(missing_ok=True)
                    raise RunDirError(
                        f"{self.path}: in use by process {holder if holder else '(unknown)'} (lock {lock}); "
                        "wait for it, or use another --run-dir"
                    ) from None
                lock.unlink(missing_ok=True)  # left by a dead process: take it over
                continue
            finally:
                staged.unlink(missing_ok=True)
            try:
                yield self
            finally:
                lock.unlink(missing_ok=True)
            return
        raise RunDirError(f"{self.path}: could not take the lock {lock}")

    def _check_usable(self) -> None:
        """Make the folder; a path that is a file, or a folder this user cannot write, is bad
        input (exit 2, one line), found before anything is written."""
        for parent in [self.path, *self.path.parents]:
            if parent.exists():
                if not parent.is_dir():
                    raise RunDirError(f"--run-dir: {parent} is a file; expected a folder")
                break
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except PermissionError:
            raise RunDirError(f"--run-dir: {self.path} cannot be made here (permission denied)") from None
        if not os.access(self.path, os.W_OK | os.X_OK):
            raise RunDirError(f"--run-dir: {self.path} is not writable; choose another --run-dir")

    def writer(self) -> Optional[int]:
        """The pid of a live process holding the run directory's lock, or None."""
        holder = _read_pid(self.path / ".lock")
        return holder if holder and _pid_alive(holder) else None

    # ---- manifest -----------------------------------------------------------------------
    def manifest(self) -> dict[str, Any]:
        return self.read_json("manifest.json") or {}

    def start_command(self, argv: list[str], seed: int, device: str, plan: dict[str, Any] | None = None) -> None:
        """Record a command starting; ``plan``: how the search's budget is to be spent."""
        manifest = self.manifest()
        manifest.setdefault("created", _now())
        manifest["versions"] = versions()
        manifest["seed"] = seed
        manifest["device"] = device
        manifest.setdefault("commands", []).append({"argv": argv, "started": _now(), "pid": os.getpid()})
        manifest.setdefault("stages", {})
        if plan is not None:
            manifest["plan"] = plan
        self.write_json("manifest.json", manifest)

    def stage_status(self, stage: str, status: str, seconds: float | None = None, **extra: Any) -> None:
        manifest = self.manifest()
        entry = manifest.setdefault("stages", {}).setdefault(stage, {})
        entry["status"] = status
        entry["updated"] = _now()
        if seconds is not None:
            entry["seconds"] = round(seconds, 2)
        entry.update(extra)
        self.write_json("manifest.json", manifest)


def versions() -> dict[str, str]:
    found = {"genautoml": __version__, "python": platform.python_version()}
    for module in ("torch", "numpy", "sklearn", "hyperopt", "pydantic"):
        imported = sys.modules.get(module)
        if imported is not None:
            found[module] = getattr(imported, "__version__", "?")
    return found
