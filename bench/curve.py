"""Does training longer help? One family at its defaults trained on a config's non-test
data, paused at the given epochs and scored on the test split over several scoring draws
(bench/draws.py), beside the real-data floor over the same draws.

    python -m bench.curve configs/digits.yaml diffusion --epochs 300,600,1000,2000
        [--set data.max_examples=900] [--feature '{pixels: drop_constant, intensity: continuous}']
        [--draws 8] [--save name]

Why: one draw of a sample figure moves by about 0.05 at 180 test digits, as much as a
family gains from its 300th to its 2 500th epoch there, so a curve read from single draws
(or from a final training's 72-example validation checks) says little (docs/benchmarks.md,
2026-12-08).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from bench import draws
from bench.common import context, machine, save


def run(config: Path, family: str, stops: list[int], overrides: list[str], feature: dict[str, Any] | None,
        count: int) -> dict[str, Any]:
    from genautoml.models.registry import get_family
    from genautoml.pipeline.resolve import candidates
    from genautoml.pipeline.scoring import family_feature, metric

    ctx = context(config, overrides, Path(tempfile.mkdtemp(prefix="genautoml-curve-")) / "run")
    dataset, modality, name = ctx.dataset, ctx.modality, metric(ctx).name
    feature = feature or family_feature(ctx, family)  # as cv trains it
    representation = modality.representation(modality.feature_model.model_validate(feature)).fit(dataset.train_raw())
    params = {**next(c for c in candidates(ctx.config) if c.family == family).default_params(), "epochs": max(stops)}
    model = get_family(family)(representation.spec, **params)
    rows: list[dict[str, Any]] = []
    started = time.perf_counter()

    def report(epoch: int) -> None:
        if epoch in stops:
            trained_for = time.perf_counter() - started - sum(r["scoring_s"] for r in rows)
            scoring = time.perf_counter()
            found = draws.figures(ctx.config, dataset, model, representation, name, count)
            rows.append({"epoch": epoch, "train_s": round(trained_for, 1), **draws.spread(found),
                         "scoring_s": round(time.perf_counter() - scoring, 1)})
            print(rows[-1], flush=True)

    model.fit(representation.encode(dataset.train_raw()), report, seed=0, device=ctx.device)
    floor = draws.floors(ctx.config, dataset, representation, name, count)
    return {"config": str(config), "overrides": overrides, "family": family, "feature": feature, "metric": name,
            "rows": rows, "floor": draws.spread(floor) if floor else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", type=Path)
    parser.add_argument("family")
    parser.add_argument("--epochs", required=True, help="comma-separated epochs at which to score")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--feature", type=yaml.safe_load, help="a representation (YAML); default: cv's for the family")
    parser.add_argument("--draws", type=int, default=8)
    parser.add_argument("--save", help="write bench/results/NAME.json")
    args = parser.parse_args()
    stops = sorted({int(e) for e in args.epochs.split(",")})
    result = run(args.config, args.family, stops, args.overrides, args.feature, args.draws)
    print("floor", result["floor"])
    if args.save:
        command = " ".join(["python -m bench.curve", str(args.config), args.family, "--epochs", args.epochs,
                            *(f"--set {o}" for o in args.overrides),
                            *([f"--feature '{yaml.safe_dump(args.feature, default_flow_style=True).strip()}'"]
                              if args.feature else []), "--draws", str(args.draws)])
        save(args.save, {"machine": machine(), "command": command, "result": result})


if __name__ == "__main__":
    main()
