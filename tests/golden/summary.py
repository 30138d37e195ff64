"""Golden summaries of the three smoke searches: what a refactor must leave unchanged.

A summary keeps every result a search computes (trials, figures, the chosen family,
parameters and representation, test metrics, a hash of every sample file, the sum and
norm of every saved tensor) and drops what depends on the machine or the code's layout
(timings, config hashes, pids).

Figures are compared to a relative tolerance (``REL_TOL``), everything else exactly:
two CPUs with different vector units sum floats in different orders, and training
carries that rounding on. Measured between two machines of this project on the same
code: up to 4e-4 relative (audio's trained GAN), 4e-6 (text), 4e-7 (image); choices,
parameters and sample files were identical.

Regenerate (only when a change is meant to alter results, and say so in the commit):

    .venv/bin/python -m tests.golden.summary --write
"""

from __future__ import annotations

import hashlib
import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parent
MODALITIES = ("image", "text", "audio", "tabular")
# Budgets in seconds would make the result depend on the machine's speed: off here.
OVERRIDES = ("search.time_budget=null", "train.time_budget=null")
# Keys whose values depend on the clock, the machine, the versions or the layout of the code
# ("weights" is a file name with a random part; the tensors themselves are summarized).
VOLATILE = {"seconds", "predicted_seconds", "per_second", "key", "started", "updated", "pid", "traceback", "weights", "torch"}
ARTIFACTS = ("data.json", "cv.json", "tune.json", "features.json", "metrics.json")
REL_TOL, ABS_TOL = 1e-3, 1e-9


def _stable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _stable(v) for k, v in sorted(value.items()) if k not in VOLATILE}
    if isinstance(value, list):
        return [_stable(v) for v in value]
    return value


def summarize(run_dir: Path) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for name in ARTIFACTS:
        summary[name] = _stable(json.loads((run_dir / name).read_text()))
    trials = [json.loads(line) for line in (run_dir / "trials.jsonl").read_text().splitlines() if line.strip()]
    summary["trials.jsonl"] = _stable(trials)
    summary["samples"] = {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted((run_dir / "samples").iterdir())
        if path.suffix != ".png"  # PNG encoders may differ in metadata; the arrays are hashed
    }
    summary["model.json"] = _stable(json.loads((run_dir / "model" / "model.json").read_text()))
    summary["weights"] = _weights_summary(run_dir / "model")
    return summary


def _weights_summary(model_dir: Path) -> dict[str, dict[str, Any]]:
    """Shape, sum and norm of every saved tensor, by name: the trained model itself, not its
    file's bytes, in figures that can be compared to a tolerance."""
    import torch

    summary = {}
    for path in sorted(model_dir.glob("*.pt")):
        state = torch.load(path, map_location="cpu", weights_only=True)
        for name, tensor in sorted(_flatten(state).items()):
            values = tensor.double()
            summary[name] = {"shape": list(tensor.shape), "sum": float(values.sum()), "norm": float(values.norm())}
    return summary


def _flatten(state: Any, prefix: str = "") -> dict[str, Any]:
    import torch

    if isinstance(state, torch.Tensor):
        return {prefix: state}
    if isinstance(state, dict):
        out: dict[str, Any] = {}
        for key, value in state.items():
            out.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(state, (list, tuple)):
        out = {}
        for i, value in enumerate(state):
            out.update(_flatten(value, f"{prefix}.{i}" if prefix else str(i)))
        return out
    return {}


def run_smoke(modality: str, run_dir: Path) -> dict[str, Any]:
    """One smoke search in a fresh process (as a user runs it), summarized."""
    command = [sys.executable, "-m", "genautoml", "search", str(REPO / "configs" / f"smoke-{modality}.yaml"),
               "--run-dir", str(run_dir), "-q"]
    for override in OVERRIDES:
        command += ["--set", override]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"smoke-{modality} search failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return summarize(run_dir)


def differences(expected: Any, actual: Any, path: str = ""):
    """Where ``actual`` departs from ``expected``, one line each: numbers beyond ``REL_TOL``,
    anything else that is not equal."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in sorted(set(expected) | set(actual)):
            yield from differences(expected.get(key), actual.get(key), f"{path}.{key}" if path else key)
    elif isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        for i, (e, a) in enumerate(zip(expected, actual)):
            yield from differences(e, a, f"{path}[{i}]")
    elif _is_number(expected) and _is_number(actual) and float in (type(expected), type(actual)):
        if not math.isclose(expected, actual, rel_tol=REL_TOL, abs_tol=ABS_TOL):
            yield f"{path}: expected {expected!r}, got {actual!r}"
    elif expected != actual:
        yield f"{path}: expected {expected!r}, got {actual!r}"


def _is_number(value: Any) -> bool:
    """An int or a float (counts stay exact: the tolerance is for figures, which are floats)."""
    return type(value) in (int, float)


def golden_path(modality: str) -> Path:
    return GOLDEN / f"smoke-{modality}.json"


def main() -> None:
    if "--write" not in sys.argv[1:]:
        raise SystemExit(__doc__)
    with tempfile.TemporaryDirectory() as tmp:
        for modality in MODALITIES:
            summary = run_smoke(modality, Path(tmp) / modality)
            golden_path(modality).write_text(json.dumps(summary, indent=1, sort_keys=True) + "\n")
            print(f"wrote {golden_path(modality)}")


if __name__ == "__main__":
    main()
