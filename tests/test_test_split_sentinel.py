"""The test split never reaches a family's fit or a representation's fit: not in cv, tune,
features, nor in the final training (which holds its validation part out of the non-test
data). Only the final scoring reads it."""

from __future__ import annotations

import json

import numpy as np

from genautoml.data.image import ImageRepresentation
from genautoml.models.base import Family
from tests.helpers import invoke, write_config


def _rows(array) -> set[bytes]:
    flat = np.ascontiguousarray(np.asarray(array, dtype=np.float32).reshape(len(array), -1))
    return {row.tobytes() for row in flat}


def test_no_test_example_is_ever_trained_on(tmp_path, monkeypatch):
    seen_by_family, seen_by_representation = set(), set()
    family_fit, representation_fit = Family.fit, ImageRepresentation.fit

    def watched_family_fit(self, train, *args, **kwargs):
        seen_by_family.update(_rows(train.cpu().numpy()))
        return family_fit(self, train, *args, **kwargs)

    def watched_representation_fit(self, train_raw):
        seen_by_representation.update(_rows(train_raw))
        return representation_fit(self, train_raw)

    monkeypatch.setattr(Family, "fit", watched_family_fit)
    monkeypatch.setattr(ImageRepresentation, "fit", watched_representation_fit)
    config = write_config(tmp_path, "sentinel", {
        "name": "sentinel", "seed": 0, "device": "cpu",
        "data": {"modality": "image", "source": "builtin:digits", "max_examples": 200},
        # every pixel, continuous: the encoding of an example is its own raw row
        "features": [{"pixels": "all", "intensity": "continuous"}],
        "models": [{"family": "vae", "params": {"epochs": 2, "hidden": 16, "depth": 1}}],
        "search": {"cv_folds": 2, "max_trials": 2, "time_budget": None, "grace_epochs": 0},
        "train": {"samples": 0, "max_epochs": 4, "refit": True},  # the refit trains on all non-test data
    })
    run_dir = tmp_path / "run"
    result = invoke("search", config, "--run-dir", run_dir, "-q")
    assert result.exit_code == 0, result.output

    from genautoml.pipeline.dataset import load_dataset
    from genautoml.pipeline.resolve import load_resolved

    dataset = load_dataset(load_resolved(run_dir / "config.yaml"), base_dir=tmp_path)
    refit = json.loads((run_dir / "metrics.json").read_text())["training"]["refit"]
    model = json.loads((run_dir / "model" / "model.json").read_text())
    assert refit["done"] and model["trained_on"] == len(dataset.train_index) == refit["examples"]
    test, train = _rows(dataset.test_raw()), _rows(dataset.train_raw())
    only_in_test = test - train  # a digit stored twice may sit on both sides; it proves nothing
    assert len(only_in_test) > 30
    assert seen_by_family and seen_by_representation
    assert not only_in_test & seen_by_family
    assert not only_in_test & seen_by_representation
