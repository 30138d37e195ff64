"""The ``data:`` and ``features:`` schema of text experiments."""

from __future__ import annotations

from typing import Annotated, Literal, Optional

from pydantic import Field, model_validator

from genautoml.data.config_base import Strict


class TextData(Strict):
    modality: Literal["text"]
    #: builtin:pydoc | a UTF-8 .txt file | a folder of .txt files | a .jsonl file
    source: str = "builtin:pydoc"
    test_fraction: float = Field(0.2, gt=0, lt=1)
    #: the field holding the text in each line of a .jsonl source
    text_field: str = "text"
    #: a single text is cut into contiguous blocks of this many characters to be split
    block_chars: int = Field(2000, ge=100)
    #: use at most this many characters of the corpus (quick experiments)
    max_chars: Optional[Annotated[int, Field(gt=0)]] = None


class TextFeature(Strict):
    """One candidate tokenization; every one is lossless so scores stay comparable."""

    tokenizer: Literal["char", "bpe"] = "char"
    vocab_size: Optional[Annotated[int, Field(ge=32, le=65536)]] = None

    @model_validator(mode="after")
    def _vocab_for_bpe(self) -> "TextFeature":
        if self.tokenizer == "bpe" and self.vocab_size is None:
            raise ValueError("tokenizer 'bpe' needs 'vocab_size: <int>'")
        if self.tokenizer == "char" and self.vocab_size is not None:
            raise ValueError("'vocab_size' applies only to tokenizer 'bpe'")
        return self
