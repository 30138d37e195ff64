"""Modalities by name; each module is imported on first use (they import torch)."""

from __future__ import annotations

import importlib

from genautoml.data.base import Modality

_MODULES = {"image": "genautoml.data.image", "text": "genautoml.data.text", "audio": "genautoml.data.audio"}


def get_modality(name: str) -> Modality:
    module = importlib.import_module(_MODULES[name])
    return module.MODALITY


def modality_names() -> list[str]:
    return list(_MODULES)
