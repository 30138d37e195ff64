"""The value grid of stored images: the few intensity values they take (the digits' 17
levels k/16, 256 for 8-bit images), and rounding a model's continuous output onto it
(genautoml/data/image.py's ``ImageRepresentation`` says why)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch


def value_grid(values: np.ndarray, max_grid: int, evidence: int) -> np.ndarray:
    """The distinct values of ``values`` when they make a grid (see ``ImageRepresentation``),
    else an empty array."""
    distinct = np.unique(values)
    if len(distinct) > max_grid or values.size < evidence * len(distinct):
        return np.zeros(0, dtype=np.float32)
    return distinct.astype(np.float32)


def snap(values: torch.Tensor, grid: torch.Tensor) -> torch.Tensor:
    """Each value replaced by the nearest value of ``grid`` (unchanged when it is empty)."""
    import torch

    if len(grid) == 0:
        return values
    midpoints = (grid[1:] + grid[:-1]) / 2
    # NaN stays NaN: a model that diverged must still be seen to have (it fails its trial).
    return torch.where(torch.isnan(values), values, grid[torch.bucketize(values, midpoints)])
