"""Pictures and arrays written into run directories: image grids, PNG and .npy files
(every write atomic). Shared by the image and audio modalities."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from genautoml import atomic


def image_grid(images: np.ndarray, columns: int | None = None, scale: int | None = None) -> np.ndarray:
    """Tile (N, H, W, C) images into one uint8 picture with 1-pixel gutters, upscaled for viewing."""
    n, height, width, channels = images.shape
    columns = columns or max(1, int(np.ceil(np.sqrt(n))))
    rows = int(np.ceil(n / columns))
    scale = scale or max(1, 64 // max(height, width))
    grid = np.full((rows * (height + 1) + 1, columns * (width + 1) + 1, channels), 0.5, dtype=np.float32)
    for i, image in enumerate(images):
        r, c = divmod(i, columns)
        grid[1 + r * (height + 1): 1 + r * (height + 1) + height, 1 + c * (width + 1): 1 + c * (width + 1) + width] = image
    grid = np.repeat(np.repeat(grid, scale, axis=0), scale, axis=1)
    grid = (np.clip(grid, 0, 1) * 255).round().astype(np.uint8)
    return grid[..., 0] if channels == 1 else grid


def write_png(path: Path, picture: np.ndarray) -> Path:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(picture).save(buffer, format="PNG")
    return atomic.write_bytes(path, buffer.getvalue())


def write_npy(path: Path, array: np.ndarray) -> Path:
    return atomic.write_with(path, lambda handle: np.save(handle, array, allow_pickle=False))
