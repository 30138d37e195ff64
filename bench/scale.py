"""Scale: how data loading, one trial and hyperopt's suggestions grow.

Each data point runs in a fresh subprocess so its peak memory (VmHWM) is its own.
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

from bench import common
from bench.common import RESULTS, fresh_dir, table

_POINT = r"""
import json, resource, sys, time
from pathlib import Path
from genautoml.config import validate
from genautoml.pipeline.dataset import load_dataset
from genautoml.pipeline.trial import run_trial
from genautoml.records import TrialRequest
from genautoml.device import resolve_device
raw = json.loads(sys.argv[1])
config = validate(raw["config"])
started = time.perf_counter()
dataset = load_dataset(config, Path(raw["base"]))
load_seconds = time.perf_counter() - started
trial_seconds = None
if raw["trial"]:
    request = TrialRequest(0, "bench", raw["family"], raw["params"], raw["feature"], (0,))
    started = time.perf_counter()
    record = run_trial(config, dataset, request, device=resolve_device(config.device))
    trial_seconds = time.perf_counter() - started
    assert record.status == "ok", record
# VmHWM is this process image's own high-water mark; ru_maxrss would also count the
# parent's size at fork time (Linux carries it across exec), inflating every point.
hwm = [line.split() for line in Path("/proc/self/status").read_text().splitlines() if line.startswith("VmHWM:")]
peak_mb = int(hwm[0][1]) / 1024 if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
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


#: held-out examples (digits, text blocks) each trial is scored on, at every size
MAX_EVAL_EXAMPLES = 500
#: characters per text block (the text's documents, by which it is split)
BLOCK_CHARS = 2000


def _curve(work: Path, points: list[tuple[dict, dict]], size_key: str, family: str, params: dict,
           feature: dict) -> dict[str, Any]:
    """Load ``data`` and run one trial (fold 0 of 3) per point, each in its own process.

    ``points``: (the row's own fields, holding ``size_key``; the ``data:`` config) per size.
    """
    rows = []
    for fields, data in points:
        config = {"name": "scale", "device": common.DEVICE, "data": data, "models": [{"family": family}],
                  "search": {"cv_folds": 3, "max_eval_examples": MAX_EVAL_EXAMPLES}}
        rows.append({**fields, **_point(config, work, True, family, params, feature)})
    sizes = [r[size_key] for r in rows]
    return {"family": family, "params": params, "feature": feature, "rows": rows,
            "load_exponent": exponent(sizes, [r["load_seconds"] for r in rows]),
            "trial_exponent": exponent(sizes, [r["trial_seconds"] for r in rows])}


def image_scaling(factors: list[int], family: str, params: dict) -> dict[str, Any]:
    from sklearn.datasets import load_digits

    work = fresh_dir(RESULTS / "work" / "scale")
    digits = (load_digits().images / 16.0).astype(np.float32)
    rng = np.random.default_rng(0)
    points = []
    for factor in factors:
        # Replicated with a little noise so copies are not identical examples.
        images = np.concatenate([np.clip(digits + rng.normal(0, 0.02, digits.shape), 0, 1) for _ in range(factor)])
        path = work / f"digits_x{factor}.npy"
        np.save(path, images.astype(np.float32))
        points.append(({"factor": factor, "examples": len(images)}, {"modality": "image", "source": str(path)}))
    feature = {"pixels": "drop_constant", "intensity": "continuous", "levels": None}
    return _curve(work, points, "examples", family, params, feature)


def _rotate_letters(text: str, shift: int) -> str:
    """A Caesar shift of the ASCII letters: the same alphabet and statistics, other n-grams."""
    lower = "abcdefghijklmnopqrstuvwxyz"
    upper = lower.upper()
    rotated = lower[shift:] + lower[:shift] + upper[shift:] + upper[:shift]
    return text.translate(str.maketrans(lower + upper, rotated))


def text_corpus(megabytes: float) -> str:
    """CPython's pydoc reference text (~0.47 MB, no download) repeated up to ``megabytes`` MB
    (10^6 bytes of UTF-8); copy k has its letters Caesar-shifted by k (mod 26), so the copies
    add new n-grams, as more text would, instead of repeating the first copy's."""
    from pydoc_data.topics import topics

    base = "\n\n".join(topics[key].strip("\n") for key in sorted(topics))
    target = int(megabytes * 1e6)
    copies, size, k = [], 0, 0
    while size < target:
        copies.append(_rotate_letters(base, k % 26))
        size += len(copies[-1].encode("utf-8")) + 2
        k += 1
    return "\n\n".join(copies).encode("utf-8")[:target].decode("utf-8", errors="ignore")


#: the text trial: the n-gram at its default order (10) over characters, 256-character windows;
#: it fits 8 MB in seconds, where a neural family's epoch would take minutes
TEXT_FAMILY, TEXT_PARAMS = "ngram", {"order": 10}
TEXT_FEATURE = {"tokenizer": "char", "vocab_size": None, "context": 256}


def text_scaling(megabytes: list[float]) -> dict[str, Any]:
    work = fresh_dir(RESULTS / "work" / "scale-text")
    points = []
    for mb in megabytes:
        path = work / f"pydoc_{mb:g}mb.txt"
        path.write_text(text_corpus(mb), encoding="utf-8")
        size = path.stat().st_size
        points.append(({"mb": round(size / 1e6, 3), "characters": len(path.read_text(encoding="utf-8"))},
                       {"modality": "text", "source": str(path), "block_chars": BLOCK_CHARS}))
    return _curve(work, points, "mb", TEXT_FAMILY, TEXT_PARAMS, TEXT_FEATURE)


def suggestion_time(points: list[int]) -> list[dict[str, Any]]:
    """hyperopt TPE's time to suggest one trial after n finished trials on our digits space."""
    from genautoml.config import validate
    from genautoml.pipeline.resolve import candidates
    from genautoml.search.tuner import HyperoptState
    from genautoml.seeds import derive_seed

    config = validate({"name": "s", "data": {"modality": "image"},
                       "models": [{"family": "vae"}, {"family": "gan"}, {"family": "rnn"}]})
    space = {c.family: dict(c.space) for c in candidates(config)}
    rows = []
    for n in points:
        state = HyperoptState(space)
        rng = np.random.default_rng(0)
        for tid in range(n):
            vals, _ = state.suggest(tid, "random", derive_seed(0, "s", tid), 10)
            state.add({"id": tid, "vals": vals, "status": "ok", "loss": float(rng.random())})
        started = time.perf_counter()
        repeats = 3
        for i in range(repeats):
            state.suggest(n + i, "tpe", derive_seed(1, "s", i), 10)
        rows.append({"finished_trials": n, "suggest_seconds": (time.perf_counter() - started) / repeats})
    return rows


def _exponents(curve: dict[str, Any], size: str) -> str:
    def fmt(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f}"

    return (f"Growth exponents (slope of log time vs log {size}): loading {fmt(curve['load_exponent'])}, "
            f"trial {fmt(curve['trial_exponent'])} (1.0 = linear).")


def markdown(result: dict[str, Any]) -> str:
    image = result["image"]
    body = (
        f"One `{image['family']}` trial (one fold of three, params {image['params']}) and `data` loading on digits "
        "replicated with small noise; each point in its own process (peak RSS).\n\n"
        + table(["copies", "examples", "load s", "trial s", "peak MB"],
                [[r["factor"], r["examples"], f"{r['load_seconds']:.3f}", f"{r['trial_seconds']:.2f}", f"{r['peak_mb']:.0f}"]
                 for r in image["rows"]])
        + "\n\n" + _exponents(image, "examples") + "\n\n"
    )
    text = result.get("text")
    if text:
        body += (
            f"One `{text['family']}` trial (one fold of three, params {text['params']}, "
            f"tokenizer `{text['feature']['tokenizer']}`, context {text['feature']['context']}) and `data` loading "
            f"(read, cut into {BLOCK_CHARS:,}-character blocks, fingerprint) on a text corpus: CPython's pydoc reference text "
            "(`builtin:pydoc`, 0.47 MB, no download) repeated to each size, copy k with its letters Caesar-shifted by "
            "k so the copies bring new n-grams; a `.txt` file, each point in its own process (peak RSS). "
            "Tokenization is part of the trial (the tokenizer is fit on the training fold); "
            f"held-out scoring is capped at {MAX_EVAL_EXAMPLES} blocks.\n\n"
            + table(["MB", "characters", "load s", "trial s", "peak MB"],
                    [[f"{r['mb']:g}", r["characters"], f"{r['load_seconds']:.3f}", f"{r['trial_seconds']:.2f}",
                      f"{r['peak_mb']:.0f}"] for r in text["rows"]])
            + "\n\n" + _exponents(text, "MB") + "\n\n"
        )
    body += (
        "hyperopt TPE suggestion time on the digits space (three families):\n\n"
        + table(["finished trials", "seconds per suggestion"],
                [[r["finished_trials"], f"{r['suggest_seconds']:.3f}"] for r in result["hyperopt"]])
        + "\n"
    )
    return body
