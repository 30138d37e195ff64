"""evaluate: score the trained model, or a folder of samples from anywhere, on the test split."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import numpy as np

from genautoml.errors import RunDirError
from genautoml.pipeline import checkpoint
from genautoml.pipeline.dataset import load_dataset
from genautoml.pipeline.resolve import load_resolved


def evaluate(run_dir: Path, samples_dir: Optional[Path], seed: int = 0) -> dict[str, Any]:
    from genautoml.pipeline.trial import Scorer

    run_dir = Path(run_dir)
    config_path = run_dir / "config.yaml"
    if not config_path.exists():
        raise RunDirError(f"{run_dir}: not a genautoml run directory (no config.yaml)")
    config = load_resolved(config_path)
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
    metrics = modality.metrics()
    if samples_dir is not None:
        generated = modality.read_samples(Path(samples_dir), like=heldout)
        scored = modality.score_samples(heldout, generated, train,
                                        [name for name, m in metrics.items() if m.kind == "samples"])
        source = str(samples_dir)
    else:
        model, representation, description = checkpoint.load(run_dir, modality)
        scored = Scorer(modality, representation, heldout, train, seed)(model, list(metrics))
        source = f"model ({description['family']})"
    return {"source": source, "test_examples": modality.count(heldout), "metrics": scored,
            "directions": {name: m.direction for name, m in metrics.items()}}
