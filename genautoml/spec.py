"""The contracts between representations and families, in core so that neither side
imports the other.

``EncodedSpec``: a representation says what its encoding looks like; a family says
whether it can model that. ``Autoregressive``: the families that continue a prompt, which
text generation with prompts (genautoml/data/text/prompting.py) asks for.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Optional, Protocol, runtime_checkable

if TYPE_CHECKING:
    import torch


@dataclass(frozen=True)
class EncodedSpec:
    """What a representation hands to a family.

    kind "vector" (the one kind so far): each example is a flat vector of ``dim`` values,
        tensor (N, dim). ``levels`` None: float32 values in [0, 1]; ``levels`` L: int64
        values in 0..L-1. Images (pixels), text (windows of tokens) and audio (mu-law
        samples or spectrogram frames) all arrive this way.
    ``shape``: the layout of each vector when it is a row-major grid of one signal: (T,)
        for waveform samples, (frames, bands) for log-mel frames, (H, W) or (H, W, C) for
        images with every pixel kept. None when the values are no grid (pixels dropped,
        windows of tokens). Families may use it for convolutions; the vector stays flat.
    """

    kind: str
    dim: int
    levels: Optional[int] = None
    shape: Optional[tuple[int, ...]] = None

    def __post_init__(self):
        if self.shape is not None:
            # JSON brings lists back; a tuple keeps the spec hashable and comparable.
            object.__setattr__(self, "shape", tuple(int(n) for n in self.shape))
            if math.prod(self.shape) != self.dim:
                raise ValueError(f"spec shape {self.shape} does not hold {self.dim} values")

    @property
    def discrete(self) -> bool:
        return self.levels is not None

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        if self.shape is None:  # the JSON of specs without a layout stays as it was
            del out["shape"]
        else:
            out["shape"] = list(self.shape)
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "EncodedSpec":
        return cls(**data)


@runtime_checkable
class Autoregressive(Protocol):
    """A model that continues a prompt of discrete tokens, one token at a time.

    ``generate(prompt, length, generator, *, temperature, top_k)``: ``prompt`` (n, P) int64
    tokens (P may be 0) -> (n, length) new tokens on the CPU; ``temperature`` sharpens
    (< 1) or flattens (> 1) each next-token distribution, ``top_k`` keeps only the k most
    likely tokens; ``guard`` (optional: ``allowed(state)`` -> (n, V) bool, ``advance(state,
    tokens)``, ``after(prompt)``, as genautoml/data/text/utf8.py's) masks the tokens it does
    not allow (``genautoml.models._torch_utils.draw_next`` does all of this).
    ``isinstance(model, Autoregressive)`` checks only that the method exists.
    """

    def generate(self, prompt: torch.Tensor, length: int, generator: torch.Generator, *,
                 temperature: float = 1.0, top_k: Optional[int] = None, guard: Any = None) -> torch.Tensor: ...
