"""How much a run's test figure moves with the draw alone: the final model of a run
directory scored on the test split with N scoring seeds (a different scored subset where the
test split is capped, and different samples), their mean and standard deviation.

    python -m bench.draws RUN_DIR [--draws 6] [--metric frechet]

Why: metrics.json holds one draw at the train stage's seed; two models whose figures
differ by less than this spread are not told apart by one draw each (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path
from typing import Any


def run(run_dir: Path, draws: int, metric: str | None = None) -> dict[str, Any]:
    from genautoml.pipeline.checkpoint import load
    from genautoml.pipeline.dataset import load_dataset
    from genautoml.pipeline.resolve import load_resolved
    from genautoml.pipeline.trial import selection_metric

    config = load_resolved(run_dir / "config.yaml")
    dataset = load_dataset(config, None)
    modality = dataset.modality
    model, representation, description = load(run_dir, modality)
    name = metric or selection_metric(config, modality).name
    found = figures(config, dataset, model, representation, name, draws)
    return {"run": str(run_dir), "family": description["family"], "trained_on": description["trained_on"],
            "metric": name, "figures": [round(f, 4) for f in found], **spread(found)}


def figures(config, dataset, model, representation, name: str, draws: int) -> list[float]:
    """``model``'s test figure ``name`` at scoring seeds 0 .. draws-1: each seed draws the
    scored test subset (where the test split is capped) and the samples."""
    from genautoml.pipeline.trial import Scorer, capped

    modality = dataset.modality
    return [Scorer(modality, representation, capped(config, modality, dataset.test_raw(), seed), dataset.train_raw(),
                   seed)(model, [name])[name] for seed in range(draws)]


def floors(config, dataset, representation, name: str, draws: int) -> list[float]:
    """The real-data floor of ``name`` at the same seeds as ``figures``: real training
    examples scored as samples against the same test subset (genautoml/pipeline/floor.py).
    Empty where the metric has no floor."""
    from genautoml.pipeline.floor import real_data_floor
    from genautoml.pipeline.trial import capped

    modality = dataset.modality
    found = [real_data_floor(modality, representation, capped(config, modality, dataset.test_raw(), seed),
                             dataset.train_raw(), seed).get(name) for seed in range(draws)]
    return [f for f in found if f is not None]


def spread(values: list[float]) -> dict[str, Any]:
    """Mean and population standard deviation of a list of draws, rounded for reports."""
    return {"mean": round(statistics.mean(values), 4), "sd": round(statistics.pstdev(values), 4), "draws": len(values)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--draws", type=int, default=6)
    parser.add_argument("--metric", help="default: the run's selection metric")
    args = parser.parse_args()
    print(json.dumps(run(args.run_dir, args.draws, args.metric), indent=1))


if __name__ == "__main__":
    main()
