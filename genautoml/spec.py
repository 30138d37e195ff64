"""``EncodedSpec``: the contract between a representation and a family.

A representation says what its encoding looks like; a family says whether it can model
that. Both sides import it from here, so neither imports the other.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Optional


@dataclass(frozen=True)
class EncodedSpec:
    """What a representation hands to a family.

    kind "vector" (the one kind so far): each example is a flat vector of ``dim`` values,
        tensor (N, dim). ``levels`` None: float32 values in [0, 1]; ``levels`` L: int64
        values in 0..L-1. Images (pixels), text (windows of tokens) and audio (mu-law
        samples or spectrogram frames) all arrive this way.
    """

    kind: str
    dim: int
    levels: Optional[int] = None

    @property
    def discrete(self) -> bool:
        return self.levels is not None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "EncodedSpec":
        return cls(**data)
