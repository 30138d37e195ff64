"""The ``data:`` and ``features:`` schema of image experiments."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Optional

from pydantic import Field, field_validator, model_validator

from genautoml.schema.base import Strict


class ImageData(Strict):
    modality: Literal["image"]
    source: str = "builtin:digits"
    test_fraction: float = Field(0.2, gt=0, lt=1)
    #: resize every image to (height, width); required when a folder holds mixed sizes
    image_size: Optional[tuple[Annotated[int, Field(gt=0, le=4096)], Annotated[int, Field(gt=0, le=4096)]]] = None
    #: use at most this many examples (a seeded random subset), for quick experiments
    max_examples: Optional[Annotated[int, Field(gt=0)]] = None

    @field_validator("image_size", mode="before")
    @classmethod
    def _square(cls, value: Any) -> Any:
        return (value, value) if isinstance(value, int) else value




class ImageFeature(Strict):
    """One candidate representation of images."""

    #: all: every pixel; drop_constant: drop pixels (near) constant in the training folds
    pixels: Literal["all", "drop_constant"] = "drop_constant"
    #: continuous in [0,1]; binary (threshold 0.5); levels (``levels`` evenly spaced values)
    intensity: Literal["continuous", "binary", "levels"] = "continuous"
    levels: Optional[Annotated[int, Field(ge=2, le=256)]] = None

    @model_validator(mode="after")
    def _levels_when_needed(self) -> "ImageFeature":
        if self.intensity == "levels" and self.levels is None:
            raise ValueError("intensity 'levels' needs 'levels: <int from 2 to 256>'")
        if self.intensity != "levels" and self.levels is not None:
            raise ValueError(f"'levels' applies only to intensity 'levels', not {self.intensity!r}")
        return self
