"""Scale: how data loading, one trial and hyperopt's suggestions grow.

Each data point runs in a fresh subprocess so its peak memory (ru_maxrss) is its own.
The growth exponent is the slope of log(time) against log(size).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import RESULTS, fresh_dir, table

_POINT = r"""
import json, resource, sys, time
from pathlib import Path
from genautoml.config import validate
from genautoml.pipeline.dataset import load_dataset
from genautoml.search.trial import TrialRequest, run_trial
raw = json.loads(sys.argv[1])
config = validate(raw["config"])
started = time.perf_counter()
dataset = load_dataset(config, Path(raw["base"]))
load_seconds = time.perf_counter() - started
trial_seconds = None
if raw["trial"]:
    request = TrialRequest(0, "bench", raw["family"], raw["params"], raw["feature"], (0,))
    started = time.perf_counter()
    record = run_trial(config, dataset, request)
    trial_seconds = time.perf_counter() - started
    assert record["status"] == "ok", record
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"load_seconds": load_seconds, "trial_seconds": trial_seconds, "peak_mb": peak_mb}))
"""


def _point(config: dict, base: Path, trial: bool, family: str, params: dict, feature: dict) -> dict[str, Any]:
    payload = json.dumps({"config": config, "base": str(base), "trial": trial, "family": family,
                          "params": params, "feature": feature})
    done = subprocess.run([sys.executable, "-c", _POINT, payload], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def exponent(sizes: list[float], values: list[float]) -> float | None:
    points = [(math.log(s), math.log(v)) for s, v in zip(sizes, values) if v and v > 0]
    if len(points) < 2:
        return None
    x, y = zip(*points)
    return float(np.polyfit(x, y, 1)[0])


def image_scaling(factors: list[int], family: str, params: dict) -> dict[str, Any]:
    from sklearn.datasets import load_digits

    work = fresh_dir(RESULTS / "work" / "scale")
    digits = (load_digits().images / 16.0).astype(np.float32)
    rng = np.random.default_rng(0)
    rows = []
    for factor in factors:
        # Replicated with a little noise so copies are not identical examples.
        images = np.concatenate([np.clip(digits + rng.normal(0, 0.02, digits.shape), 0, 1) for _ in range(factor)])
        path = work / f"digits_x{factor}.npy"
        np.save(path, images.astype(np.float32))
        config = {"name": "scale", "device": "cpu", "data": {"modality": "image", "source": str(path)},
                  "models": [{"family": family}], "search": {"cv_folds": 3, "max_eval_examples": 500}}
        feature = {"pixels": "drop_constant", "intensity": "continuous", "levels": None}
        point = _point(config, work, True, family, params, feature)
        rows.append({"factor": factor, "examples": len(images), **point})
    return {"family": family, "params": params, "rows": rows,
            "load_exponent": exponent([r["examples"] for r in rows], [r["load_seconds"] for r in rows]),
            "trial_exponent": exponent([r["examples"] for r in rows], [r["trial_seconds"] for r in rows])}


def suggestion_time(points: list[int]) -> list[dict[str, Any]]:
    """hyperopt TPE's time to suggest one trial after n finished trials on our digits space."""
    from genautoml.config import validate
    from genautoml.pipeline.resolve import candidates
    from genautoml.search.seeds import derive_seed
    from genautoml.search.tuner import HyperoptState

    config = validate({"name": "s", "data": {"modality": "image"},
                       "models": [{"family": "vae"}, {"family": "gan"}, {"family": "rnn"}]})
    space = {c.family: dict(c.space) for c in candidates(config)}
    rows = []
    for n in points:
        state = HyperoptState(space)
        rng = np.random.default_rng(0)
        for tid in range(n):
            vals, point = state.suggest(tid, "random", derive_seed(0, "s", tid), 10)
            state.add({"id": tid, "vals": vals, "status": "ok", "loss": float(rng.random())})
        started = time.perf_counter()
        repeats = 3
        for i in range(repeats):
            state.suggest(n + i, "tpe", derive_seed(1, "s", i), 10)
        rows.append({"finished_trials": n, "suggest_seconds": (time.perf_counter() - started) / repeats})
    return rows


def markdown(result: dict[str, Any]) -> str:
    image = result["image"]
    body = (
        f"One `{image['family']}` trial (one fold, params {image['params']}) and `data` loading on digits replicated "
        "with small noise; each point in its own process (peak RSS).\n\n"
        + table(["copies", "examples", "load s", "trial s", "peak MB"],
                [[r["factor"], r["examples"], f"{r['load_seconds']:.3f}", f"{r['trial_seconds']:.2f}", f"{r['peak_mb']:.0f}"]
                 for r in image["rows"]])
        + f"\n\nGrowth exponents (slope of log time vs log examples): loading {image['load_exponent']:.2f}, "
        f"trial {image['trial_exponent']:.2f} (1.0 = linear).\n\n"
        "hyperopt TPE suggestion time on the digits space (three families):\n\n"
        + table(["finished trials", "seconds per suggestion"],
                [[r["finished_trials"], f"{r['suggest_seconds']:.3f}"] for r in result["hyperopt"]])
        + "\n"
    )
    if result.get("text"):
        text = result["text"]
        body += "\nText corpus loading and tokenization as the corpus grows:\n\n" + table(
            ["MB", "load s", "peak MB"], [[r["mb"], f"{r['load_seconds']:.2f}", f"{r['peak_mb']:.0f}"] for r in text["rows"]]
        ) + f"\n\nGrowth exponent (loading): {text['load_exponent']:.2f}.\n"
    return body
