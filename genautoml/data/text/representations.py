"""The text representation: a tokenizer plus windows of ``context`` tokens."""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, Sequence

import numpy as np

from genautoml.data.base import Representation
from genautoml.data.text.corpus import SEPARATOR
from genautoml.data.text.tokenization import BpeTokenizer, CharTokenizer
from genautoml.data.text.utf8 import Utf8Guard
from genautoml.errors import DataError
from genautoml.schema.text import TextFeature
from genautoml.spec import EncodedSpec

if TYPE_CHECKING:
    import torch


class TextRepresentation(Representation):
    """A tokenizer (fit on the training documents) plus the window length ``context``."""

    #: encoded streams kept, keyed by the documents: a trial encodes its held-out text, then
    #: asks for its units, and scoring every epoch asks again
    CACHE = 4

    def __init__(self, feature: TextFeature):
        super().__init__(feature)
        self._streams: OrderedDict[tuple, np.ndarray] = OrderedDict()

    def _tokenizer(self):
        return CharTokenizer() if self.feature.tokenizer == "char" else BpeTokenizer(self.feature.vocab_size)

    def fit(self, train_raw: Sequence[str]) -> "TextRepresentation":
        self.tokenizer_ = self._tokenizer().fit(train_raw)
        self.lead_ = self.tokenizer_.lead_bytes()
        self.guard_ = None
        self._streams.clear()
        return self

    @property
    def context(self) -> int:
        return self.feature.context

    @property
    def spec(self) -> EncodedSpec:
        return EncodedSpec(kind="vector", dim=self.context, levels=int(self.tokenizer_.vocab_size))

    def stream(self, raw: Sequence[str]) -> np.ndarray:
        """The token ids of the documents joined by SEPARATOR, (T,), in the smallest
        unsigned integer type that holds the vocabulary (2 bytes a token, mostly)."""
        # A tuple of the documents hashes fast (str hashes are cached) and compares by identity first.
        key = tuple(raw)
        stream = self._streams.get(key)
        if stream is None:
            dtype = np.uint16 if self.tokenizer_.vocab_size <= 1 << 16 else np.uint32
            stream = self.tokenizer_.encode_documents(raw).astype(dtype)
            self._streams[key] = stream
            while len(self._streams) > self.CACHE:
                self._streams.popitem(last=False)
        else:
            self._streams.move_to_end(key)
        return stream

    def _windows(self, raw: Sequence[str]) -> np.ndarray:
        stream = self.stream(raw)
        count = len(stream) // self.context
        if count == 0:
            chars = sum(map(len, raw)) + len(SEPARATOR) * max(len(raw) - 1, 0)
            raise DataError(
                f"{chars} characters make {len(stream)} {self.label} tokens, fewer than one window of "
                f"context={self.context}; use more text or a smaller features context"
            )
        return stream[: count * self.context].reshape(count, self.context)

    def encode(self, raw: Sequence[str]) -> torch.Tensor:
        import torch

        return torch.from_numpy(self._windows(raw).astype(np.int64))  # (N, context): what families index with

    def decode(self, encoded: torch.Tensor) -> list[str]:
        rows = encoded.detach().cpu().long().reshape(len(encoded), -1).tolist()
        return [self.tokenizer_.decode(row) for row in rows]

    def guard(self) -> Utf8Guard:
        """What keeps sampling to valid UTF-8 (genautoml/data/text/utf8.py)."""
        if getattr(self, "guard_", None) is None:
            self.guard_ = Utf8Guard(self.tokenizer_.token_bytes())
        return self.guard_

    def draw(self, model, n: int, generator: torch.Generator) -> list[str]:
        """``n`` windows of ``context`` tokens, each only valid UTF-8: drawn under the guard
        by families that generate token by token, and ended at the last whole character
        (the window's end may fall inside one)."""
        import torch

        from genautoml.spec import Autoregressive

        if not isinstance(model, Autoregressive):
            return super().draw(model, n, generator)
        tokens = model.generate(torch.zeros((n, 0), dtype=torch.long), self.context, generator, guard=self.guard())
        return self.decode_whole(tokens)

    def decode_whole(self, tokens: torch.Tensor) -> list[str]:
        """Each row of guarded tokens decoded up to its last whole character."""
        ends = self.guard().whole_characters(tokens)
        return [self.decode_text(row[:end]) for row, end in zip(tokens, ends)]

    def units(self, raw: Sequence[str]) -> int:
        # Characters that start in the encoded windows (a character cut by the end of the
        # last window counts once, where its first byte was scored).
        return int(self.lead_[self._windows(raw).reshape(-1)].sum())

    def encode_text(self, text: str) -> torch.Tensor:
        """One text, e.g. a prompt, as a (T,) token tensor (no windows)."""
        import torch

        return torch.from_numpy(self.tokenizer_.encode(text))

    def decode_text(self, tokens: torch.Tensor) -> str:
        return self.tokenizer_.decode(tokens.detach().cpu().long().tolist())

    def state(self) -> dict[str, torch.Tensor]:
        return self.tokenizer_.state()

    def load_state(self, state: dict[str, torch.Tensor]) -> None:
        tokenizer = self._tokenizer()
        tokenizer.load_state(state)
        self.tokenizer_ = tokenizer
        self.lead_ = tokenizer.lead_bytes()
        self.guard_ = None
        self._streams.clear()
