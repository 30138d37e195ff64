"""Text files: UTF-8 files, folders of .txt files and JSON lines into documents
(``load_texts``, what ``data.source`` names), and the samples.txt format."""

from __future__ import annotations

import codecs
import json
import re
from pathlib import Path
from typing import Optional, Sequence

from genautoml.data.text.blocks import Blocks, corpus_blocks
from genautoml.data.text.builtin import builtin_text
from genautoml.data.text.corpus import limit_chars
from genautoml.errors import DataError
from genautoml.schema.text import TextData

#: a line that starts each sample in samples.txt
SAMPLE_HEADER = "==> sample {i} of {n} <=="
_SAMPLE_LINE = re.compile(r"^==> sample \d+ of \d+ <==\n", re.MULTILINE)


def _decode_utf8(data: bytes, where: str) -> str:
    skip = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0  # a BOM is not text
    try:
        return data[skip:].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"{where}: not UTF-8 text (byte offset {exc.start + skip}: {exc.reason})") from None


def read_text(path: Path) -> str:
    """A regular file's text. A device or a pipe (a link to /dev/zero never ends) is refused:
    reading it whole would fill the memory."""
    if not path.is_file():
        raise DataError(f"{path}: not a regular file (a device, a pipe or a broken link); expected a text file")
    return _decode_utf8(path.read_bytes(), str(path))


def load_jsonl(path: Path, field: str) -> list[str]:
    documents = []
    for number, line in enumerate(read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(f"{where}: not valid JSON ({exc.msg}, column {exc.colno})") from None
        if not isinstance(record, dict):
            raise DataError(f"{where}: expected a JSON object, got {type(record).__name__}")
        if field not in record:
            known = ", ".join(sorted(record)) or "none"
            raise DataError(f"{where}: no field {field!r} (set data.text_field; fields here: {known})")
        text = record[field]
        if not isinstance(text, str):
            raise DataError(f"{where}: field {field!r} is {type(text).__name__}, expected a string")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:  # json allows "\ud800", which is not a character
            raise DataError(f"{where}: field {field!r} holds an unpaired surrogate at character {exc.start}") from None
        documents.append(text)
    return documents


def load_folder(folder: Path) -> list[str]:
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() == ".txt" and p.is_file())
    if not files:
        raise DataError(f"{folder}: no .txt files found")
    return [read_text(path) for path in files]


def load_texts(data_cfg: TextData, base_dir: Optional[Path]) -> Blocks:
    """The source's documents (a folder's files, a .jsonl's lines, or one text), cut into
    blocks of about ``block_chars`` characters and grouped for the split
    (genautoml/data/text/blocks.py)."""
    source = data_cfg.source
    documents: list[str] = []
    if source.startswith("builtin:"):
        documents = [builtin_text(source.removeprefix("builtin:"))]
    else:
        path = Path(source).expanduser()
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        if not path.exists():
            raise DataError(f"data.source: {path} does not exist")
        if path.is_dir():
            documents = load_folder(path)
        elif path.suffix.lower() == ".jsonl":
            documents = load_jsonl(path, data_cfg.text_field)
        elif path.suffix.lower() == ".txt":
            documents = [read_text(path)]
        else:
            raise DataError(f"data.source: {path}: expected builtin:pydoc, a .txt file, a folder of .txt files or a .jsonl file")
    documents = [d for d in limit_chars(documents, data_cfg.max_chars) if d]
    if not any(d.strip() for d in documents):
        raise DataError(f"{source}: no text (the corpus is empty or only whitespace)")
    return corpus_blocks(documents, data_cfg.block_chars)


def format_samples(texts: Sequence[str]) -> str:
    n = len(texts)
    return "".join(f"{SAMPLE_HEADER.format(i=i, n=n)}\n{text}\n\n" for i, text in enumerate(texts, start=1))


def parse_samples(content: str) -> list[str]:
    """The inverse of ``format_samples`` (up to the text's own trailing newlines)."""
    parts = _SAMPLE_LINE.split(content)
    return [part.removesuffix("\n\n") for part in parts[1:]] if len(parts) > 1 else [content]
