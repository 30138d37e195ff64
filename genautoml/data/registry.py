"""Modality implementations by name: ``genautoml.data.<name>``'s ``MODALITY``, imported on
first use. The names come from the one list in ``genautoml.modalities``."""

from __future__ import annotations

import importlib

from genautoml.data.base import Modality
from genautoml.modalities import MODALITIES


def get_modality(name: str) -> Modality:
    if name not in MODALITIES:
        raise KeyError(name)
    return importlib.import_module(f"genautoml.data.{name}").MODALITY
