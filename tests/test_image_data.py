"""Image loading and representations: bad data gets one clear line naming the file."""

import numpy as np
import pytest
from PIL import Image

from genautoml.data.image import ImageRepresentation, load_images
from genautoml.errors import DataError
from genautoml.pipeline.dataset import split
from genautoml.schema.image import ImageData, ImageFeature


def cfg(source, **extra):
    return ImageData(modality="image", source=str(source), **extra)


def save_png(path, size=(8, 8), mode="L", seed=0):
    rng = np.random.default_rng(seed)
    shape = size[::-1] + ((3,) if mode == "RGB" else ())
    Image.fromarray(rng.integers(0, 255, shape, dtype=np.uint8), mode=mode).save(path)


def test_digits_builtin():
    images = load_images(cfg("builtin:digits"), None)
    assert images.shape == (1797, 8, 8, 1) and images.dtype == np.float32
    assert images.min() == 0 and images.max() == 1


def test_folder_of_pngs_and_resize(tmp_path):
    for i in range(3):
        save_png(tmp_path / f"{i}.png", seed=i)
    save_png(tmp_path / "big.png", size=(16, 12))
    with pytest.raises(DataError, match="different sizes.*set data.image_size"):
        load_images(cfg(tmp_path), tmp_path)
    images = load_images(cfg(tmp_path, image_size=8), tmp_path)
    assert images.shape == (4, 8, 8, 1)


def test_mixed_grayscale_and_rgb_become_rgb(tmp_path):
    save_png(tmp_path / "a.png")
    save_png(tmp_path / "b.png", mode="RGB")
    assert load_images(cfg(tmp_path), tmp_path).shape == (2, 8, 8, 3)


def test_corrupt_and_empty_files_reported_together(tmp_path):
    save_png(tmp_path / "good.png")
    (tmp_path / "empty.png").write_bytes(b"")
    data = (tmp_path / "good.png").read_bytes()
    (tmp_path / "truncated.png").write_bytes(data[: len(data) // 2])
    (tmp_path / "fake.jpg").write_bytes(b"this is not a jpeg")
    with pytest.raises(DataError) as info:
        load_images(cfg(tmp_path), tmp_path)
    text = "\n".join(info.value.lines())
    assert "empty.png: empty file" in text and "truncated.png" in text and "fake.jpg" in text


def test_decompression_bomb_refused(tmp_path):
    # A tiny file whose header declares 30000 x 30000 pixels.
    Image.new("L", (30000, 30000)).save(tmp_path / "bomb.png", optimize=True)
    with pytest.raises(DataError, match="bomb.png: .*(30000x30000|DecompressionBomb)"):
        load_images(cfg(tmp_path), tmp_path)


def test_missing_and_empty_sources(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_images(cfg(tmp_path / "nope"), tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="no .png/.jpg/.jpeg images found"):
        load_images(cfg(tmp_path / "empty"), tmp_path)
    (tmp_path / "zero.npy").write_bytes(b"")
    with pytest.raises(DataError, match="zero.npy: empty file"):
        load_images(cfg(tmp_path / "zero.npy"), tmp_path)


@pytest.mark.parametrize("array, message", [
    (np.full((10, 4, 4), np.nan, dtype=np.float32), "NaN or infinite"),
    (np.ones((10, 4), dtype=np.float32), "expected shape"),
    (np.ones((10, 4, 4, 2), dtype=np.float32), "expected shape"),
    (np.full((10, 4, 4), 3.0, dtype=np.float32), r"must lie in \[0, 1\]"),
    (np.full((10, 4, 4), 300, dtype=np.int32), "0..255"),
])
def test_bad_arrays(tmp_path, array, message):
    np.save(tmp_path / "x.npy", array)
    with pytest.raises(DataError, match=message):
        load_images(cfg(tmp_path / "x.npy"), tmp_path)


def test_arrays_uint8_and_npz(tmp_path):
    np.save(tmp_path / "x.npy", np.full((5, 4, 4), 255, dtype=np.uint8))
    assert load_images(cfg(tmp_path / "x.npy"), tmp_path).max() == 1.0
    np.savez(tmp_path / "x.npz", images=np.zeros((5, 4, 4, 3), dtype=np.float32), labels=np.zeros(5))
    assert load_images(cfg(tmp_path / "x.npz"), tmp_path).shape == (5, 4, 4, 3)


def test_object_array_refused_without_unpickling(tmp_path):
    np.save(tmp_path / "x.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(DataError, match="without pickle"):
        load_images(cfg(tmp_path / "x.npy"), tmp_path)


def test_too_few_examples_says_how_many():
    with pytest.raises(DataError, match="too few .* need at least"):
        split(12, 0.2, 3, 0, "x.npy")


def test_split_is_fixed_and_disjoint():
    test, train, folds = split(100, 0.2, 3, 0, "x")
    again = split(100, 0.2, 3, 0, "x")
    assert np.array_equal(test, again[0]) and len(test) == 20
    assert not set(test) & set(train)
    assert sorted(np.concatenate([v for _, v in folds])) == list(range(80))


@pytest.mark.parametrize("feature", [
    ImageFeature(pixels="drop_constant", intensity="continuous"),
    ImageFeature(pixels="all", intensity="levels", levels=17),
    ImageFeature(pixels="drop_constant", intensity="binary"),
])
def test_representations_round_trip(feature):
    images = load_images(cfg("builtin:digits"), None)[:200]
    rep = ImageRepresentation(feature).fit(images)
    encoded = rep.encode(images)
    decoded = rep.decode(encoded)
    assert decoded.shape == images.shape
    if feature.pixels == "drop_constant":
        assert rep.spec.dim < 64  # the digits' empty border is dropped
    if feature.intensity != "binary":  # continuous and 17 levels are lossless on digits
        np.testing.assert_allclose(decoded, images, atol=1e-6)
    else:
        assert set(np.unique(decoded)) <= {0.0, 1.0} | set(np.unique(images[:, ~rep.keep_.numpy().reshape(8, 8)]))


def test_bits_per_pixel_are_reported_only_where_the_encoding_keeps_the_data_s_values(tmp_path):
    from genautoml.data.image import ImageRepresentation
    from genautoml.schema.image import ImageFeature
    from tests.helpers import invoke

    digits = load_images(cfg("builtin:digits"), tmp_path)  # 17 values, k/16

    def reports(**feature):
        return ImageRepresentation(ImageFeature(pixels="drop_constant", **feature)).fit(digits).reports_likelihood

    assert reports(intensity="levels", levels=17) and reports(intensity="levels", levels=33)
    assert not reports(intensity="levels", levels=8)  # coarser: bits of other data
    assert not reports(intensity="binary") and not reports(intensity="continuous")  # thresholded; a density on a grid
    smooth = np.random.default_rng(0).random((50, 4, 4, 1), dtype=np.float32)  # continuous data
    assert ImageRepresentation(ImageFeature(intensity="continuous")).fit(smooth).reports_likelihood
    # Selecting by it with an encoding that does not keep the values: one line before any training.
    config = tmp_path / "bpd.yaml"
    config.write_text("name: bpd\ndata: {modality: image, source: builtin:digits, max_examples: 120}\n"
                      "models: [{family: vae}]\nsearch: {metric: bits_per_dim, cv_folds: 2}\n")
    refused = invoke("cv", config, "--run-dir", tmp_path / "run")
    assert refused.exit_code == 2 and "search.metric: bits_per_dim is not reported for the representation" in refused.output
    assert not (tmp_path / "run" / "cv.json").exists()


def test_a_likelihood_selection_is_checked_on_every_representation_cv_trains_a_family_on(tmp_path, monkeypatch):
    """The first candidate keeps the digits' values, but a family that cannot model it is
    trained on the next one, which does not: refused before any training, naming that family."""
    from genautoml.models.registry import get_family
    from tests.helpers import invoke

    vae = get_family("vae")
    monkeypatch.setattr(vae, "supports", classmethod(lambda cls, spec: spec.kind == "vector" and spec.levels is None))
    config = tmp_path / "bpd.yaml"
    config.write_text("name: bpd\ndata: {modality: image, source: builtin:digits, max_examples: 120}\n"
                      "models: [{family: flow}, {family: vae}]\nsearch: {metric: bits_per_dim, cv_folds: 2}\n"
                      "features: [{intensity: levels, levels: 17}, {intensity: continuous}]\n")
    refused = invoke("cv", config, "--run-dir", tmp_path / "run")
    assert refused.exit_code == 2, refused.output
    assert "is not reported for the representation cv and tune train vae on (" in refused.output
    assert not (tmp_path / "run" / "cv.json").exists()

def test_class_subfolders_stratify_held_out_subsets(tmp_path):
    import pickle

    from PIL import Image

    from genautoml.config import validate
    from genautoml.data.registry import get_modality
    from genautoml.pipeline.trial import capped

    for name, count, value in (("cats", 90, 0), ("dogs", 10, 255)):  # stored by class, unbalanced
        (tmp_path / "pets" / name).mkdir(parents=True)
        for i in range(count):
            Image.new("L", (4, 4), value).save(tmp_path / "pets" / name / f"{i:03d}.png")
    modality = get_modality("image")
    images = load_images(cfg(tmp_path / "pets"), tmp_path)
    assert modality.strata(images).tolist() == [0] * 90 + [1] * 10
    assert modality.describe(images)["classes"] == 2
    config = validate({"name": "t", "data": {"modality": "image", "source": "builtin:digits"},
                       "models": [{"family": "vae"}], "search": {"max_eval_examples": 20}})
    for seed in range(5):  # every draw holds each class's share: 18 and 2
        subset = capped(config, modality, modality.subset(images, np.arange(100)), seed)
        assert sorted(subset[:, 0, 0, 0].tolist()).count(1.0) == 2
    assert modality.strata(images * 2) is None and modality.strata(images[::-1]) is None  # no stale labels
    assert pickle.loads(pickle.dumps(images)).labels.tolist() == images.labels.tolist()
    assert modality.strata(load_images(cfg("builtin:digits"), tmp_path)) is None
