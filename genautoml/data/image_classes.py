"""Classes of a folder of images: the subfolder each file lies in (``cats/001.png``). They
are kept beside the images so that held-out subsets can be stratified by class
(``Modality.strata``); nothing else reads them, and a folder without subfolders has none."""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

import numpy as np


class LabelledImages(np.ndarray):
    """Images (N, H, W, C) and ``labels`` (N,), the class of each. Only ``LabelledImages(...)``
    and the image modality's ``subset`` set labels: any other numpy operation (which may
    reorder or drop rows) gives ``labels`` None, so a stale label can never be read."""

    labels: Optional[np.ndarray]

    def __new__(cls, images: np.ndarray, labels: Sequence[int]) -> "LabelledImages":
        array = np.asarray(images).view(cls)
        array.labels = np.asarray(labels, dtype=np.int64)
        return array

    def __array_finalize__(self, obj) -> None:
        self.labels = None

    def __reduce__(self):  # worker processes get the labels too
        rebuild, args, state = super().__reduce__()
        return rebuild, args, (state, self.labels)

    def __setstate__(self, state) -> None:
        array_state, self.labels = state
        super().__setstate__(array_state)


def folder_classes(folder: Path, files: Sequence[Path]) -> Optional[np.ndarray]:
    """The class of each of ``files`` (found under ``folder``): its subfolder, numbered in
    sorted order; None when they do not lie in two or more subfolders."""
    parents = [str(Path(f).parent.relative_to(folder)) for f in files]
    names = sorted(set(parents))
    if len(names) < 2:
        return None
    number = {name: i for i, name in enumerate(names)}
    return np.array([number[p] for p in parents], dtype=np.int64)


def labels_of(raw: np.ndarray) -> Optional[np.ndarray]:
    """The labels ``raw`` carries, when they are its own (one per row)."""
    labels = getattr(raw, "labels", None)
    return labels if labels is not None and len(labels) == len(raw) else None
