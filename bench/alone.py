"""One family trained alone: its defaults (or given params), for a wall-clock budget, on
a config's data and first representation, scored on the test split beside the real-data
floor, with its sampling speed.

    python -m bench.alone configs/digits.yaml diffusion --seconds 180 [--param steps=50]
        [--set data.max_examples=900] [--metrics frechet,c2st] [--feature '{representation: mel}']
        [--save name] [--samples DIR]

Used for issue 18's figures (a new family at its defaults for three minutes) and for
deciding which families earn a place in the default candidate lists.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from bench.common import context, machine, save
from bench.quality import test_seed, train_and_score

#: samples drawn to time sampling (a waveform diffusion model draws about one per second on 2 cores)
SPEED_SAMPLES = 32


def sampling_speed(model, count: int) -> float:
    """Samples per second of ``model.sample`` in the encoded space, ``count`` at once."""
    import torch

    started = time.perf_counter()
    model.sample(count, torch.Generator().manual_seed(0))
    return count / max(time.perf_counter() - started, 1e-9)


def floors(ctx, trained, names: list[str]) -> dict[str, float]:
    """Real training examples scored as samples against the same test examples."""
    from genautoml.pipeline.floor import real_data_floor
    from genautoml.pipeline.trial import capped

    dataset, modality = ctx.dataset, ctx.modality
    heldout = capped(ctx.config, modality, dataset.test_raw(), test_seed(ctx))
    floor = real_data_floor(modality, trained.representation, heldout, dataset.train_raw(), test_seed(ctx))
    return {name: floor[name] for name in names if name in floor}


def write_samples(ctx, trained, folder: Path, count: int = 64) -> None:
    """``count`` samples, as the train stage writes them (a grid, spectrograms, WAVs)."""
    import torch

    samples = trained.representation.draw(trained.model, count, torch.Generator().manual_seed(0))
    ctx.modality.write_samples(samples, folder)


def run(config: Path, family: str, seconds: float, params: dict[str, Any], overrides: list[str],
        names: list[str], feature: dict[str, Any] | None = None, samples: Path | None = None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as run_dir:
        ctx = context(config, overrides, Path(run_dir))
        trained = train_and_score(ctx, family, params, seconds, names, feature)
        if samples is not None:
            write_samples(ctx, trained, samples)
        return {"config": str(config), "overrides": overrides, "family": family, "params": params,
                "feature": trained.feature,
                "budget_s": seconds, "train_s": round(trained.seconds, 1), "epochs": trained.epochs,
                "diverged_at": trained.diverged_at,
                "figures": trained.figures, "floor": floors(ctx, trained, names),
                "samples_per_second": round(sampling_speed(trained.model, SPEED_SAMPLES), 2), "machine": machine()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", type=Path)
    parser.add_argument("family")
    parser.add_argument("--seconds", type=float, default=180.0)
    parser.add_argument("--param", action="append", default=[], help="NAME=VALUE (YAML value)")
    parser.add_argument("--set", action="append", default=[], help="a config override, KEY=VALUE")
    parser.add_argument("--metrics", default="frechet,c2st")
    parser.add_argument("--feature", type=yaml.safe_load,
                        help="the representation, in YAML (default: the config's first the family models)")
    parser.add_argument("--save", help="also write bench/results/alone-NAME.json")
    parser.add_argument("--samples", type=Path, help="write 64 samples into this folder (as samples/ of a run)")
    args = parser.parse_args()
    params = {k: yaml.safe_load(v) for k, v in (p.split("=", 1) for p in args.param)}
    result = run(args.config, args.family, args.seconds, params, args.set, args.metrics.split(","), args.feature,
                 args.samples)
    print(json.dumps(result, indent=1))
    if args.save:
        save(f"alone-{args.save}", result)


if __name__ == "__main__":
    main()
