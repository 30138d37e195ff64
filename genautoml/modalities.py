"""The one list of modalities: each name with its config schema classes.

The implementation of modality ``name`` (loaders, representations, metrics, sample
writers) is the ``MODALITY`` object of ``genautoml.data.<name>``, found by that name
(``genautoml/data/registry.py``). No torch here: ``genautoml validate`` reads this.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from genautoml.schema.audio import AudioData, AudioFeature
from genautoml.schema.image import ImageData, ImageFeature
from genautoml.schema.tabular import TabularData, TabularFeature
from genautoml.schema.text import TextData, TextFeature


@dataclass(frozen=True)
class ModalitySchema:
    #: the ``data:`` section of a config of this modality
    data: type[BaseModel]
    #: one entry of the ``features:`` list (a candidate representation)
    feature: type[BaseModel]
    #: the data sets ``data.source: builtin:<name>`` names (made from packages or generated)
    builtins: tuple[str, ...]


MODALITIES: dict[str, ModalitySchema] = {
    "image": ModalitySchema(ImageData, ImageFeature, ("digits",)),
    "text": ModalitySchema(TextData, TextFeature, ("pydoc",)),
    "audio": ModalitySchema(AudioData, AudioFeature, ("tones",)),
    "tabular": ModalitySchema(TabularData, TabularFeature, ("breast_cancer", "wine", "diabetes", "iris", "customers")),
}
