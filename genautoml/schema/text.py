"""The ``data:`` and ``features:`` schema of text experiments (no torch imports here)."""

from __future__ import annotations

from typing import Annotated, Literal, Optional

from pydantic import Field, model_validator

from genautoml.schema.base import Strict

#: byte-level BPE starts from the 256 byte symbols, so a smaller vocabulary cannot exist
MIN_BPE_VOCAB = 256


class TextData(Strict):
    modality: Literal["text"]
    #: builtin:pydoc | a UTF-8 .txt file | a folder of .txt files | a .jsonl file
    source: str = "builtin:pydoc"
    test_fraction: float = Field(0.2, gt=0, lt=1)
    #: the field holding the text in each line of a .jsonl source
    text_field: str = Field("text", min_length=1)
    #: every document (one .txt file, a folder's file, a .jsonl line, builtin:pydoc) longer
    #: than this is cut into blocks of about this many characters, at paragraph breaks where
    #: it can: the blocks are the examples that train and held-out parts are split by
    block_chars: int = Field(2000, ge=100)
    #: use at most this many characters of the corpus (quick experiments): the first ones
    max_chars: Optional[Annotated[int, Field(gt=0)]] = None


class TextFeature(Strict):
    """One candidate tokenization; every one is lossless, so scores stay comparable.

    The text a model sees is the documents joined by a blank line, tokenized, and cut
    into windows of ``context`` tokens: the context length belongs to the representation
    (families model a fixed-length window), so it is compared here, not tuned per family.
    """

    #: char: one token per character (bytes for characters unseen in training);
    #: bpe: byte-level byte-pair encoding trained on the training folds (Hugging Face tokenizers)
    tokenizer: Literal["char", "bpe"] = "char"
    vocab_size: Optional[Annotated[int, Field(ge=MIN_BPE_VOCAB, le=65536)]] = None
    #: tokens per window: what a family models as one example
    context: int = Field(256, ge=8, le=4096)

    @model_validator(mode="after")
    def _vocab_for_bpe(self) -> "TextFeature":
        if self.tokenizer == "bpe" and self.vocab_size is None:
            raise ValueError(f"tokenizer 'bpe' needs 'vocab_size: <int from {MIN_BPE_VOCAB} to 65536>'")
        if self.tokenizer == "char" and self.vocab_size is not None:
            raise ValueError("'vocab_size' applies only to tokenizer 'bpe'")
        return self
