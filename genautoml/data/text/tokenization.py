"""The tokenizers: characters (with a byte fallback) and byte-level BPE; both lossless."""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import numpy as np

from genautoml.data.text.corpus import SEPARATOR

if TYPE_CHECKING:
    import torch


def _lead_bytes(data: bytes) -> int:
    """Characters that start in ``data``: UTF-8 bytes that are not continuation bytes (10xxxxxx)."""
    return sum((b & 0xC0) != 0x80 for b in data)


class CharTokenizer:
    """One token per character seen in training; any other character becomes its UTF-8
    bytes, one token each (ids after the characters), so nothing is ever lost."""

    def fit(self, documents: Sequence[str]) -> "CharTokenizer":
        chars = set(SEPARATOR)
        for document in documents:
            chars.update(document)
        self.codes_ = np.array(sorted(map(ord, chars)), dtype=np.int64)
        return self

    @property
    def vocab_size(self) -> int:
        return len(self.codes_) + 256

    def encode(self, text: str) -> np.ndarray:
        points = np.frombuffer(text.encode("utf-32-le"), dtype="<u4").astype(np.int64)
        ids = np.searchsorted(self.codes_, points)
        known = (ids < len(self.codes_)) & (self.codes_[np.minimum(ids, len(self.codes_) - 1)] == points)
        if known.all():
            return ids
        pieces, start = [], 0
        for position in np.flatnonzero(~known):  # rare: characters unseen in training
            pieces.append(ids[start:position])
            pieces.append(len(self.codes_) + np.frombuffer(text[position].encode("utf-8"), dtype=np.uint8).astype(np.int64))
            start = position + 1
        pieces.append(ids[start:])
        return np.concatenate(pieces)

    def encode_documents(self, documents: Sequence[str]) -> np.ndarray:
        return self.encode(SEPARATOR.join(documents))

    def decode(self, ids: Sequence[int]) -> str:
        n_chars, out, pending = len(self.codes_), [], bytearray()
        for i in ids:
            if i < n_chars:
                if pending:
                    out.append(pending.decode("utf-8", errors="replace"))
                    pending = bytearray()
                out.append(chr(self.codes_[i]))
            else:
                pending.append(i - n_chars)
        if pending:
            out.append(pending.decode("utf-8", errors="replace"))
        return "".join(out)

    def token_bytes(self) -> list[bytes]:
        """Per token id, the UTF-8 bytes it stands for."""
        return [chr(code).encode("utf-8") for code in self.codes_] + [bytes([b]) for b in range(256)]

    def lead_bytes(self) -> np.ndarray:
        """Per token id: how many characters of the text start in it."""
        byte_leads = [int((b & 0xC0) != 0x80) for b in range(256)]
        return np.array([1] * len(self.codes_) + byte_leads, dtype=np.int64)

    def state(self) -> dict[str, torch.Tensor]:
        import torch

        return {"codes": torch.from_numpy(self.codes_.copy())}

    def load_state(self, state: dict[str, torch.Tensor]) -> None:
        self.codes_ = state["codes"].numpy().astype(np.int64)


def _byte_symbols() -> dict[str, int]:
    """Byte-level BPE writes each byte as one printable character; this maps them back.

    Printable Latin-1 bytes stand for themselves; the other bytes, in order, take the
    characters from U+0100 on (the GPT-2 convention, which `tokenizers`' ByteLevel uses).
    """
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    symbols, extra = {}, 0
    for byte in range(256):
        if byte in printable:
            symbols[chr(byte)] = byte
        else:
            symbols[chr(256 + extra)] = byte
            extra += 1
    return symbols


class BpeTokenizer:
    """Byte-level byte-pair encoding trained on the training documents (Hugging Face
    ``tokenizers``, trained locally). Bytes are its alphabet, so any text round-trips."""

    def __init__(self, vocab_size: int):
        self.vocab_size_wanted = vocab_size

    @staticmethod
    def _empty():
        from tokenizers import Tokenizer, decoders, models, pre_tokenizers

        tokenizer = Tokenizer(models.BPE())
        # No normalizer: the text is tokenized as it is (lossless). No prefix space: it
        # would add a character that is not in the text.
        tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
        tokenizer.decoder = decoders.ByteLevel()
        return tokenizer

    def fit(self, documents: Sequence[str]) -> "BpeTokenizer":
        from tokenizers import pre_tokenizers, trainers

        tokenizer = self._empty()
        trainer = trainers.BpeTrainer(
            vocab_size=self.vocab_size_wanted, show_progress=False, special_tokens=[],
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        )
        tokenizer.train_from_iterator([*documents, SEPARATOR], trainer=trainer)
        self.tokenizer_ = tokenizer
        return self

    @property
    def vocab_size(self) -> int:
        return self.tokenizer_.get_vocab_size()

    def encode(self, text: str) -> np.ndarray:
        return np.array(self.tokenizer_.encode(text, add_special_tokens=False).ids, dtype=np.int64)

    def encode_documents(self, documents: Sequence[str]) -> np.ndarray:
        # Documents are encoded apart (in parallel) with the separator's tokens between
        # them: byte-level tokens concatenate to the bytes of the joined text, so this is
        # as lossless as encoding the joined text in one piece.
        separator = self.encode(SEPARATOR)
        encoded = self.tokenizer_.encode_batch(list(documents), add_special_tokens=False)
        pieces = []
        for i, encoding in enumerate(encoded):
            if i:
                pieces.append(separator)
            pieces.append(np.array(encoding.ids, dtype=np.int64))
        return np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int64)

    def decode(self, ids: Sequence[int]) -> str:
        return self.tokenizer_.decode(list(ids), skip_special_tokens=False)

    def token_bytes(self) -> list[bytes]:
        """Per token id, the bytes it stands for."""
        symbols, out = _byte_symbols(), [b""] * self.vocab_size
        for token, i in self.tokenizer_.get_vocab().items():
            out[i] = bytes(symbols[c] for c in token)
        return out

    def lead_bytes(self) -> np.ndarray:
        return np.array([_lead_bytes(data) for data in self.token_bytes()], dtype=np.int64)

    def state(self) -> dict[str, torch.Tensor]:
        import torch

        data = np.frombuffer(self.tokenizer_.to_str().encode("utf-8"), dtype=np.uint8).copy()
        return {"tokenizer_json": torch.from_numpy(data)}

    def load_state(self, state: dict[str, torch.Tensor]) -> None:
        from tokenizers import Tokenizer

        self.tokenizer_ = Tokenizer.from_str(bytes(state["tokenizer_json"].numpy().tobytes()).decode("utf-8"))
