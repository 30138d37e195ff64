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


#: the kinds of block a table's encoding is made of (``EncodedSpec.blocks``)
BLOCK_KINDS = ("number", "category")


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
    ``blocks``: the vector as consecutive blocks, for rows of a table (continuous ``levels``
        None only): ("number", 1) is one value in [0, 1]; ("category", k) is a one-hot block
        of k values (exactly one 1 per row in encoded data), which a family may model with a
        softmax (genautoml/data/tabular/representations.py makes them). None for other data.
        Families that need it (ctgan, tvae, tabddpm) model only specs that have it; the
        others read the vector as plain values in [0, 1].
    ``signal``: for the samples of a waveform, how a value in [0, 1] maps to the sound's
        amplitude in [-1, 1] (genautoml/amplitude.py: "mu_law" or "linear"). Families that
        synthesize a sound themselves (``ddsp``) need it; None for other data.
    """

    kind: str
    dim: int
    levels: Optional[int] = None
    shape: Optional[tuple[int, ...]] = None
    blocks: Optional[tuple[tuple[str, int], ...]] = None
    signal: Optional[str] = None

    def __post_init__(self):
        from genautoml.amplitude import SIGNALS

        if self.signal is not None and self.signal not in SIGNALS:
            raise ValueError(f"spec signal {self.signal!r}: expected one of {', '.join(SIGNALS)}")
        if self.shape is not None:
            # JSON brings lists back; a tuple keeps the spec hashable and comparable.
            object.__setattr__(self, "shape", tuple(int(n) for n in self.shape))
            if math.prod(self.shape) != self.dim:
                raise ValueError(f"spec shape {self.shape} does not hold {self.dim} values")
        if self.blocks is not None:
            blocks = tuple((str(kind), int(width)) for kind, width in self.blocks)
            object.__setattr__(self, "blocks", blocks)
            if any(kind not in BLOCK_KINDS or width < 1 for kind, width in blocks):
                raise ValueError(f"spec blocks {blocks}: expected (number, 1) or (category, k >= 1)")
            if any(kind == "number" and width != 1 for kind, width in blocks):
                raise ValueError(f"spec blocks {blocks}: a number block holds one value")
            if sum(width for _, width in blocks) != self.dim or self.levels is not None:
                raise ValueError(f"spec blocks {blocks} do not hold {self.dim} continuous values")

    def block_slices(self) -> list[tuple[str, slice]]:
        """Each block's kind and its columns in the vector (``blocks`` must be set)."""
        out, start = [], 0
        for kind, width in self.blocks or ():
            out.append((kind, slice(start, start + width)))
            start += width
        return out

    @property
    def discrete(self) -> bool:
        return self.levels is not None

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        # the JSON of specs without a layout, blocks or signal stays as it was
        for key in ("shape", "blocks", "signal"):
            if out[key] is None:
                del out[key]
            elif key != "signal":
                out[key] = [list(item) if isinstance(item, tuple) else item for item in out[key]]
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
