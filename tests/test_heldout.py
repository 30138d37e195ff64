"""Held-out scoring: a seeded random subset (never the first N) and the real-data floor."""

from __future__ import annotations

import numpy as np

from genautoml.config import validate
from genautoml.data.registry import get_modality
from genautoml.pipeline.floor import real_data_floor
from genautoml.pipeline.trial import capped


def _config(cap: int):
    return validate({"name": "t", "data": {"modality": "image", "source": "builtin:digits"},
                     "models": [{"family": "vae"}], "search": {"max_eval_examples": cap}})


def _ordered_by_class(per_class: int = 200) -> np.ndarray:
    """Ten classes stored one after another, each an image of its own constant value."""
    return np.repeat(np.linspace(0, 1, 10, dtype=np.float32), per_class)[:, None, None, None] * np.ones((1, 8, 8, 1), np.float32)


def test_a_capped_subset_of_an_ordered_data_set_holds_every_class():
    modality, heldout = get_modality("image"), _ordered_by_class()
    subset = capped(_config(100), modality, heldout, seed=7)
    assert len(subset) == 100
    assert len(np.unique(subset[:, 0, 0, 0])) == 10  # the first 100 would be one class
    # The same seed draws the same subset (every candidate is judged on the same examples);
    # another seed draws another.
    assert np.array_equal(subset, capped(_config(100), modality, heldout, seed=7))
    assert not np.array_equal(subset, capped(_config(100), modality, heldout, seed=8))


def test_under_the_cap_every_held_out_example_is_scored_in_order():
    modality, heldout = get_modality("image"), _ordered_by_class(5)
    assert capped(_config(1000), modality, heldout, seed=0) is heldout


def test_the_floor_falls_with_the_sample_size():
    """The finite-sample floor of the Fréchet distance is what makes figures at different
    sizes incomparable: real digits against real digits score worse at 64 than at 400."""
    from sklearn.datasets import load_digits

    modality = get_modality("image")
    images = (load_digits().images / 16.0).astype(np.float32)[..., None]
    order = np.random.default_rng(0).permutation(len(images))
    train, heldout = images[order[:1000]], images[order[1000:]]
    small = real_data_floor(modality, None, heldout[:64], train, seed=0)
    large = real_data_floor(modality, None, heldout[:400], train, seed=0)
    assert 0 < large["frechet"] < small["frechet"]
    assert "memorization" not in small


# ---- the data's value grid (genautoml/data/image.py) ------------------------------------

def _representation(train):
    from genautoml.schema.image import ImageFeature

    return get_modality("image").representation(ImageFeature(pixels="all", intensity="continuous")).fit(train)


def test_continuous_samples_take_the_values_of_the_data_s_grid():
    import torch

    rng = np.random.default_rng(0)
    train = (rng.integers(0, 17, size=(200, 8, 8, 1)) / 16).astype(np.float32)  # the digits' 17 levels
    representation = _representation(train)
    assert len(representation.grid_) == 17
    decoded = representation.decode(torch.tensor([[0.01] * 32 + [0.97] * 32]))
    assert set(np.unique(decoded)) == {0.0, 1.0}  # exactly the data's values, not nearly
    middle = representation.decode(torch.full((1, 64), 0.3))
    assert np.allclose(middle, 5 / 16)  # 0.3 is nearest 5/16 = 0.3125


def test_continuous_data_has_no_grid_and_is_decoded_as_it_is():
    import torch

    train = np.random.default_rng(0).random((200, 8, 8, 1), dtype=np.float32)
    representation = _representation(train)
    assert len(representation.grid_) == 0
    values = torch.rand(3, 64)
    assert np.allclose(representation.decode(values).reshape(3, 64), values.numpy())
    # A checkpoint from before the grid was detected has no "grid": it decodes as it did.
    state = {k: v for k, v in representation.state().items() if k != "grid"}
    representation.load_state(state)
    assert len(representation.grid_) == 0


def test_bootstrap_intervals_surround_the_figure_and_narrow_with_more_examples():
    from sklearn.datasets import load_digits

    from genautoml.pipeline.interval import bootstrap_intervals

    modality = get_modality("image")
    digits = (load_digits().images / 16.0).astype(np.float32)[..., None]
    widths = []
    for n in (60, 400):
        heldout, generated = digits[:n], digits[900:900 + n]
        found = bootstrap_intervals(modality, heldout, generated, digits[1400:], seed=0)
        assert found["scored_examples"] == n and set(found["metrics"]) == {"frechet", "mmd", "kid"}
        figures = modality.score_samples(heldout, generated, digits[1400:], ["frechet", "mmd", "kid"])
        for name, (low, high) in found["metrics"].items():
            assert low < figures[name] < high, (n, name)
        widths.append(found["metrics"]["frechet"][1] - found["metrics"]["frechet"][0])
        assert found == bootstrap_intervals(modality, heldout, generated, digits[1400:], seed=0)  # seeded
    assert widths[1] < widths[0] / 2


def test_capped_text_is_stratified_by_its_groups():
    from genautoml.data.text.blocks import Blocks

    modality = get_modality("text")
    texts = [f"block {i}" for i in range(1000)]
    blocks = Blocks(texts, [0] * 900 + [1] * 100)
    config = validate({"name": "t", "data": {"modality": "text", "source": "builtin:pydoc"},
                       "models": [{"family": "ngram"}], "search": {"max_eval_examples": 50}})
    subset = capped(config, modality, blocks, seed=3)
    assert len(subset) == 50 and sorted(modality.groups(subset).tolist()).count(1) == 5  # its share, exactly
    assert list(subset) == sorted(subset, key=texts.index)  # kept in their order
