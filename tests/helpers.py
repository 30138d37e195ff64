"""Plain helpers shared by the tests (fixtures built on them are in conftest.py)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import yaml
from typer.testing import CliRunner

REPO = Path(__file__).resolve().parents[1]
CONFIGS = REPO / "configs"


def invoke(*args: Any):
    """Run the CLI in this process, as a user would type it (every argument a string)."""
    from genautoml.cli import app

    return CliRunner().invoke(app, [str(a) for a in args], prog_name="genautoml")


def run_fresh(code: str) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter at the repository root: what this process has
    imported already (torch, above all) does not count there."""
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=REPO, capture_output=True,
                          text=True, timeout=300)


def small_digits_config(folder: Path, name: str, *, seed: int = 0, epochs: int = 2, search: dict | None = None,
                        train: dict | None = None) -> Path:
    """A config of 120 digits with a small vae and gan, written to ``folder/<name>.yaml``:
    the few-second search that the resume, parallel and Ray tests run."""
    small = {"hidden": 32, "depth": 1, "epochs": epochs}
    config = {
        "name": name,
        "seed": seed,
        "device": "cpu",
        "data": {"modality": "image", "source": "builtin:digits", "max_examples": 120},
        "models": [{"family": "vae", "params": small}, {"family": "gan", "params": small}],
        "search": {"cv_folds": 2, "top_k": 2, "time_budget": None, "max_eval_examples": 40, **(search or {})},
    }
    if train:
        config["train"] = train
    return write_config(folder, name, config)


def write_config(folder: Path, name: str, config: dict[str, Any]) -> Path:
    """``config`` as YAML in ``folder/<name>.yaml``."""
    path = Path(folder) / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def read_trials(run_dir: Path) -> list[dict[str, Any]]:
    """The complete lines of ``trials.jsonl`` as JSON (a line being written is skipped), by id."""
    path = Path(run_dir) / "trials.jsonl"
    if not path.exists():
        return []
    lines = [line for line in path.read_text().splitlines() if line.strip().endswith("}")]
    return sorted((json.loads(line) for line in lines), key=lambda r: r["id"])


def comparable(records: list[dict[str, Any]]) -> list[tuple]:
    """What two searches must agree on, trial by trial."""
    return [(r["id"], r["family"], r["params"], r["status"], r["figure"]) for r in records]
