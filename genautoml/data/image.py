"""Images: loaders, the pixel/intensity representations, metrics and PNG sample writer.

Raw images are float32 arrays (N, H, W, C) with values in [0, 1], C = 1 or 3.
torch is imported inside the functions that use it.
"""

from __future__ import annotations

import hashlib
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import numpy as np

from genautoml.data.base import Modality, Representation
from genautoml.data.image_classes import LabelledImages, folder_classes, labels_of
from genautoml.data.pictures import image_grid, write_npy, write_png
from genautoml.data.value_grid import snap, value_grid
from genautoml.errors import DataError
from genautoml.metrics.base import Metric
from genautoml.schema.image import ImageData, ImageFeature
from genautoml.spec import EncodedSpec

if TYPE_CHECKING:
    import torch

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
# Refuse images whose header claims more pixels than this (decompression bombs).
MAX_PIXELS = 16_000_000
# Problems reported together before giving up on listing more.
MAX_PROBLEMS = 10


# ---- loading ---------------------------------------------------------------------------


def _builtin(name: str) -> np.ndarray:
    if name == "digits":
        from sklearn.datasets import load_digits

        # scikit-learn's 8x8 digits: integers 0..16, shipped inside the package (no download).
        images = load_digits().images.astype(np.float32) / 16.0
        return images[..., None]
    raise DataError(f"data.source: unknown builtin dataset 'builtin:{name}'; expected builtin:digits")


def _check_array(array: np.ndarray, where: str) -> np.ndarray:
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise DataError(f"{where}: expected a numeric array, got dtype {array.dtype}")
    if array.ndim == 3:
        array = array[..., None]
    if array.ndim != 4 or array.shape[-1] not in (1, 3):
        raise DataError(f"{where}: expected shape (N, H, W) or (N, H, W, C) with C 1 or 3, got {array.shape}")
    if np.issubdtype(array.dtype, np.floating):
        bad = ~np.isfinite(array)
        if bad.any():
            first = int(np.argwhere(bad.reshape(len(array), -1).any(axis=1))[0][0])
            raise DataError(f"{where}: {int(bad.sum())} NaN or infinite values (first in example {first})")
        if array.min() < 0 or array.max() > 1:
            raise DataError(
                f"{where}: float values must lie in [0, 1], got [{array.min():.3g}, {array.max():.3g}]"
            )
        return array.astype(np.float32)
    if array.min() < 0 or array.max() > 255:
        raise DataError(f"{where}: integer values must lie in 0..255, got {array.min()}..{array.max()}")
    return (array.astype(np.float32) / 255.0).astype(np.float32)


def _load_array(path: Path) -> np.ndarray:
    try:
        loaded = np.load(path, allow_pickle=False)
    except ValueError as exc:
        raise DataError(f"{path}: cannot read as a numpy array without pickle ({exc})") from None
    except (OSError, EOFError) as exc:
        raise DataError(f"{path}: not a readable .npy/.npz file ({exc})") from None
    if isinstance(loaded, np.lib.npyio.NpzFile):
        with loaded:
            keys = list(loaded.keys())
            key = keys[0] if len(keys) == 1 else next((k for k in ("x", "images", "data") if k in keys), None)
            if key is None:
                raise DataError(f"{path}: expected one array or one named x, images or data; found {keys}")
            try:
                loaded = loaded[key]
            except ValueError as exc:
                raise DataError(f"{path}[{key}]: cannot read without pickle ({exc})") from None
    return _check_array(loaded, str(path))


def _read_image(path: Path, size: tuple[int, int] | None) -> np.ndarray:
    from PIL import Image

    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with Image.open(path) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise DataError(f"{path}: header declares {width}x{height} pixels, more than {MAX_PIXELS} allowed")
            image.load()
            mode = "RGB" if image.mode in ("RGB", "RGBA", "P", "CMYK", "YCbCr") else "L"
            image = image.convert(mode)
            if size is not None and image.size != (size[1], size[0]):
                image = image.resize((size[1], size[0]), Image.Resampling.BILINEAR)
            array = np.asarray(image, dtype=np.float32) / 255.0
    return array[..., None] if array.ndim == 2 else array


def _image_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())


def _load_folder(folder: Path, size: tuple[int, int] | None) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    files = _image_files(folder)
    if not files:
        raise DataError(f"{folder}: no {'/'.join(IMAGE_SUFFIXES)} images found")
    images, problems = [], []
    for path in files:
        try:
            if path.stat().st_size == 0:
                raise DataError(f"{path}: empty file (0 bytes)")
            images.append(_read_image(path, size))
        except DataError as exc:
            problems.append(exc.message)
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError,
                Image.DecompressionBombWarning) as exc:
            problems.append(f"{path}: not a readable image ({exc.__class__.__name__}: {exc})")
    if problems:
        more = len(problems) - MAX_PROBLEMS
        details = problems[1:MAX_PROBLEMS] + ([f"... and {more} more"] if more > 0 else [])
        raise DataError(problems[0], details=details)
    shapes = sorted({im.shape[:2] for im in images})
    if len(shapes) > 1:
        raise DataError(
            f"{folder}: images have different sizes ({', '.join(f'{h}x{w}' for h, w in shapes[:4])}); "
            "set data.image_size to resize them"
        )
    if len({im.shape[2] for im in images}) > 1:  # some grayscale, some colour: use colour for all
        images = [np.repeat(im, 3, axis=2) if im.shape[2] == 1 else im for im in images]
    return np.stack(images).astype(np.float32)


def load_images(data_cfg: ImageData, base_dir: Path) -> np.ndarray:
    """The images of ``data.source``, float32 (N, H, W, C) in [0, 1]; from a folder of class
    subfolders, ``LabelledImages`` that know each one's class."""
    source, labels = data_cfg.source, None
    if source.startswith("builtin:"):
        images = _builtin(source.removeprefix("builtin:"))
    else:
        path = Path(source).expanduser()
        if not path.is_absolute():
            path = base_dir / path
        if not path.exists():
            raise DataError(f"data.source: {path} does not exist")
        if path.is_dir():
            images = _load_folder(path, data_cfg.image_size)
            labels = folder_classes(path, _image_files(path))
        elif path.suffix.lower() in (".npy", ".npz"):
            if path.stat().st_size == 0:
                raise DataError(f"{path}: empty file (0 bytes)")
            images = _load_array(path)
        else:
            raise DataError(f"data.source: {path}: expected a folder of images or a .npy/.npz file")
    if data_cfg.image_size is not None and images.shape[1:3] != tuple(data_cfg.image_size):
        images = _resize(images, data_cfg.image_size)
    if data_cfg.max_examples is not None and len(images) > data_cfg.max_examples:
        keep = np.sort(np.random.default_rng(0).choice(len(images), data_cfg.max_examples, replace=False))
        images, labels = images[keep], None if labels is None else labels[keep]
    images = np.ascontiguousarray(images, dtype=np.float32)
    return images if labels is None else LabelledImages(images, labels)


def _resize(images: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    import torch

    tensor = torch.from_numpy(images).permute(0, 3, 1, 2)
    resized = torch.nn.functional.interpolate(tensor, size=tuple(size), mode="bilinear", antialias=True)
    return resized.clamp(0, 1).permute(0, 2, 3, 1).numpy()


# ---- representation --------------------------------------------------------------------


class ImageRepresentation(Representation):
    """Pixel selection and intensity coding.

    ``drop_constant`` drops pixels whose value never varies in the training folds (the
    digits' empty border) and restores their constant value when decoding.

    The data's value grid: images are stored with few intensity values (the digits' 17
    levels k/16, 256 for 8-bit images). A model of continuous intensities never puts out
    exactly those values (a third of the digits' pixels are exactly 0; almost no generated
    one was), and a two-sample classifier tells its samples from real ones by that alone.
    So ``fit`` detects the grid (at most ``MAX_GRID`` distinct values, each seen
    ``GRID_EVIDENCE`` times on average: continuous data never has that), and ``decode`` of a
    continuous intensity rounds every value to the nearest value of the grid: the model
    learns on the continuous scale, and its samples take the data's own values.
    """

    #: a pixel is constant when its standard deviation over the training folds is below this
    CONSTANT_STD = 1e-3
    #: most distinct intensity values that still make a grid (8-bit images have 256)
    MAX_GRID = 256
    #: fewest pixel values per distinct value before the values are taken for a grid
    GRID_EVIDENCE = 20

    def __init__(self, feature: ImageFeature):
        super().__init__(feature)

    def fit(self, train_raw: np.ndarray) -> "ImageRepresentation":
        import torch

        flat = train_raw.reshape(len(train_raw), -1)
        if self.feature.pixels == "drop_constant":
            keep = flat.std(axis=0) >= self.CONSTANT_STD
            if not keep.any():  # an all-constant dataset: keep one pixel so models have input
                keep[0] = True
        else:
            keep = np.ones(flat.shape[1], dtype=bool)
        self.keep_ = torch.from_numpy(keep)
        self.fill_ = torch.from_numpy(flat.mean(axis=0).astype(np.float32))
        self.shape_ = torch.tensor(train_raw.shape[1:], dtype=torch.int64)
        self.grid_ = torch.from_numpy(value_grid(flat[:, keep], self.MAX_GRID, self.GRID_EVIDENCE))
        return self

    @property
    def levels(self) -> int | None:
        return {"continuous": None, "binary": 2, "levels": self.feature.levels}[self.feature.intensity]

    @property
    def reports_likelihood(self) -> bool:  # type: ignore[override]
        """Whether bits per pixel of this encoding are bits of the images themselves, so that
        they compare across representations: only when the encoding keeps every value the
        data takes. Continuous intensities do for continuous data (no value grid; on a grid
        a density can put unbounded mass on the grid's values); ``levels`` (and ``binary``)
        do when every value of the grid is one of its levels. Elsewhere they would be bits of
        other data (coarser, or thresholded), and are not reported."""
        if self.levels is None:
            return len(self.grid_) == 0
        on_levels = self.grid_ * (self.levels - 1)
        return len(self.grid_) > 0 and bool(((on_levels - on_levels.round()).abs() < 1e-4).all())

    @property
    def spec(self) -> EncodedSpec:
        every_pixel = bool(self.keep_.all())
        shape = tuple(self.shape_.tolist()) if every_pixel else None  # dropped pixels leave no grid
        return EncodedSpec(kind="vector", dim=int(self.keep_.sum()), levels=self.levels, shape=shape)

    def encode(self, raw: np.ndarray) -> torch.Tensor:
        import torch

        flat = torch.from_numpy(np.ascontiguousarray(raw, dtype=np.float32)).reshape(len(raw), -1)
        kept = flat[:, self.keep_]  # (N, dim)
        if self.feature.intensity == "continuous":
            return kept.clamp(0, 1)
        if self.feature.intensity == "binary":
            return (kept >= 0.5).long()
        return torch.round(kept * (self.levels - 1)).long()

    def decode(self, encoded: torch.Tensor) -> np.ndarray:
        values = encoded.detach().cpu()
        values = values.float() / (self.levels - 1) if self.levels else snap(values.float().clamp(0, 1), self.grid_)
        full = self.fill_.repeat(len(values), 1)
        full[:, self.keep_] = values
        return full.reshape(len(values), *self.shape_.tolist()).numpy()

    def units(self, raw: np.ndarray) -> int:
        # Dropped constant pixels count too: the representation predicts them exactly.
        return int(raw.size)

    def state(self) -> dict[str, torch.Tensor]:
        return {"keep": self.keep_, "fill": self.fill_, "shape": self.shape_, "grid": self.grid_}

    def load_state(self, state: dict[str, torch.Tensor]) -> None:
        import torch

        self.keep_, self.fill_, self.shape_ = state["keep"].bool(), state["fill"].float(), state["shape"].long()
        # Checkpoints made before the grid was detected decode as they did then.
        self.grid_ = state["grid"].float() if "grid" in state else torch.zeros(0)


class ImageModality(Modality):
    name = "image"
    default_metric = "frechet"
    likelihood_metric = "bits_per_dim"
    feature_model = ImageFeature

    def load(self, data_cfg: ImageData, base_dir: Path) -> np.ndarray:
        return load_images(data_cfg, base_dir)

    def count(self, raw: np.ndarray) -> int:
        return len(raw)

    def subset(self, raw: np.ndarray, index: np.ndarray) -> np.ndarray:
        labels = labels_of(raw)
        return raw[index] if labels is None else LabelledImages(np.asarray(raw)[index], labels[index])

    def strata(self, raw: np.ndarray) -> Optional[np.ndarray]:
        return labels_of(raw)

    def fingerprint(self, raw: np.ndarray) -> str:
        digest = hashlib.sha256(str(raw.shape).encode())
        digest.update(np.ascontiguousarray(raw).tobytes())
        return digest.hexdigest()[:16]

    def describe(self, raw: np.ndarray) -> dict[str, Any]:
        labels = labels_of(raw)
        return {
            "examples": int(len(raw)),
            "classes": None if labels is None else int(len(np.unique(labels))),  # subfolders
            "shape": list(raw.shape[1:]),
            "min": float(raw.min()),
            "max": float(raw.max()),
            "mean": round(float(raw.mean()), 4),
        }

    def default_features(self, data_cfg: ImageData) -> list[ImageFeature]:
        # The first one is what cv and tune use; the features stage compares them all.
        return [
            ImageFeature(pixels="drop_constant", intensity="continuous"),
            ImageFeature(pixels="all", intensity="continuous"),
            ImageFeature(pixels="drop_constant", intensity="levels", levels=8),
            ImageFeature(pixels="drop_constant", intensity="binary"),
        ]

    def representation(self, feature: ImageFeature) -> ImageRepresentation:
        return ImageRepresentation(feature)

    def metrics(self) -> dict[str, Metric]:
        from genautoml.metrics.base import likelihood_metric
        from genautoml.metrics.image import image_metrics

        return {**image_metrics(), self.likelihood_metric: likelihood_metric(self.likelihood_metric, "pixel")}

    def sample_features(self, raw: np.ndarray) -> np.ndarray:
        from genautoml.metrics.image import image_features

        return image_features(raw)

    def score_samples(self, heldout: np.ndarray, generated: np.ndarray, train: np.ndarray, names: list[str]) -> dict[str, float]:
        from genautoml.metrics.image import all_image_metrics

        return {name: float(value) for name, value in all_image_metrics(heldout, generated, train, only=names).items()}

    def write_samples(self, raw: np.ndarray, out_dir: Path) -> list[Path]:
        out_dir = Path(out_dir)
        return [
            write_png(out_dir / "grid.png", image_grid(raw)),
            write_npy(out_dir / "samples.npy", raw.astype(np.float32)),
        ]

    def read_samples(self, folder: Path, like: np.ndarray) -> np.ndarray:
        folder = Path(folder)
        if not folder.exists():
            raise DataError(f"--samples: {folder} does not exist")
        npy = folder if folder.is_file() else folder / "samples.npy"
        if npy.exists():
            images = _load_array(npy)
        elif folder.is_dir():
            images = _load_folder(folder, None)
        else:
            raise DataError(f"--samples: {folder}: expected a folder of images, samples.npy or a .npy file")
        if images.shape[1:3] != like.shape[1:3]:
            # Not resized quietly: resampling changes every statistic the samples are scored by.
            raise DataError(f"--samples: {folder}: the images are {images.shape[1]}x{images.shape[2]} pixels, the "
                            f"data's {like.shape[1]}x{like.shape[2]}; give samples of the data's size")
        if images.shape[3] != like.shape[3]:
            images = images.mean(axis=3, keepdims=True) if like.shape[3] == 1 else np.repeat(images, 3, axis=3)
        return images.astype(np.float32)


MODALITY = ImageModality()
