"""evaluate: score the trained model, or a folder of samples from anywhere, on the test split."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from genautoml.errors import DataError, RunDirError
from genautoml.pipeline import checkpoint
from genautoml.pipeline.dataset import load_dataset
from genautoml.pipeline.resolve import load_resolved
from genautoml.words import count


def evaluate(run_dir: Path, samples_dir: Optional[Path], seed: Optional[int] = None, *,
             generated: Any = None) -> dict[str, Any]:
    """The test figures of the run's model (sampled with ``seed``; by default the train
    stage's own, so that they reproduce metrics.json), of ``samples_dir``, or of raw
    ``generated`` samples (Python callers), each beside its real-data floor, on the same
    held-out subset the train stage scored."""
    from genautoml.pipeline.floor import real_data_floor
    from genautoml.pipeline.interval import bootstrap_intervals
    from genautoml.pipeline.trial import Scorer, capped
    from genautoml.seeds import derive_seed

    run_dir = Path(run_dir)
    config_path = run_dir / "config.yaml"
    if not config_path.exists():
        raise RunDirError(f"{run_dir}: not a genautoml run directory (no config.yaml)")
    config = load_resolved(config_path)
    dataset = load_dataset(config, base_dir=Path.cwd())
    _check_same_data(run_dir, config, dataset)
    modality = dataset.modality
    test = dataset.test_raw()
    train = dataset.train_raw()
    train_seed = derive_seed(config.seed, "train")  # what the train stage drew its subset with
    heldout = capped(config, modality, test, train_seed)
    metrics = modality.metrics()
    # The model's representation also says what form the real samples of the floor take
    # (text: windows of its tokens); a run scored on outside samples may have no model.
    outside = samples_dir is not None or generated is not None
    trained = not outside or (run_dir / "model").exists()
    model, representation, description = checkpoint.load(run_dir, modality) if trained else (None, None, None)
    if outside:
        if samples_dir is not None:
            generated = modality.read_samples(Path(samples_dir), like=heldout)
        if modality.count(generated) < 2:
            raise DataError(f"--samples: {samples_dir or 'the samples given'} holds "
                            f"{count(modality.count(generated), 'sample')}; the statistics need at least 2")
        scored = modality.score_samples(heldout, generated, train,
                                        [name for name, m in metrics.items() if m.kind == "samples"])
        source = str(samples_dir) if samples_dir is not None else "samples given"
    else:
        scorer = Scorer(modality, representation, heldout, train, train_seed if seed is None else seed)
        scored, generated = scorer(model, list(metrics)), scorer.generate(model)
        source = f"model ({description['family']})"
    return {"source": source, "test_examples": modality.count(test), "scored_examples": modality.count(heldout),
            "metrics": scored,
            "intervals": bootstrap_intervals(modality, heldout, generated, train, train_seed),
            "floor": real_data_floor(modality, representation, heldout, train, train_seed) if trained else {},
            "directions": {name: m.direction for name, m in metrics.items()}}


def _check_same_data(run_dir: Path, config, dataset) -> None:
    """Refuse data that changed since the run was made: its test split would be other examples."""
    data_json = run_dir / "data.json"
    if data_json.exists():
        import json

        recorded = json.loads(data_json.read_text(encoding="utf-8"))
        if recorded.get("fingerprint") != dataset.fingerprint:
            raise RunDirError(f"{config.data.source}: the data changed since {run_dir} was made (fingerprint differs)")
