"""evaluate: score the trained model, or a folder of samples from anywhere, on the test split."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import numpy as np

from genautoml.config import load_config
from genautoml.errors import RunDirError
from genautoml.pipeline import checkpoint
from genautoml.pipeline.dataset import load_dataset


def evaluate(run_dir: Path, samples_dir: Optional[Path], seed: int = 0) -> dict[str, Any]:
    import torch

    from genautoml.search.trial import likelihood_figure

    run_dir = Path(run_dir)
    config_path = run_dir / "config.yaml"
    if not config_path.exists():
        raise RunDirError(f"{run_dir}: not a genautoml run directory (no config.yaml)")
    config = load_config(config_path)
    dataset = load_dataset(config, base_dir=Path.cwd())
    data_json = run_dir / "data.json"
    if data_json.exists():
        import json

        recorded = json.loads(data_json.read_text(encoding="utf-8"))
        if recorded.get("fingerprint") != dataset.fingerprint:
            raise RunDirError(f"{config.data.source}: the data changed since {run_dir} was made (fingerprint differs)")
    modality = dataset.modality
    test = dataset.test_raw()
    train = dataset.train_raw()
    heldout = modality.subset(test, np.arange(min(modality.count(test), config.search.max_eval_examples)))
    figures: dict[str, Any] = {}
    if samples_dir is not None:
        generated = modality.read_samples(Path(samples_dir), like=heldout)
        source = str(samples_dir)
    else:
        model, representation, description = checkpoint.load(run_dir, modality)
        generator = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            generated = representation.decode(model.sample(modality.generate_count(heldout), generator))
            if model.has_likelihood:
                figures[modality.likelihood_metric] = likelihood_figure(
                    model, representation, representation.encode(heldout), heldout)
        source = f"model ({description['family']})"
    metrics = modality.metrics()
    scored = {name: float(m.compute(heldout, generated, train)) for name, m in metrics.items()}
    return {"source": source, "test_examples": modality.count(heldout), "generated": modality.count(generated),
            "metrics": {**scored, **figures},
            "directions": {name: m.direction for name, m in metrics.items()}}
