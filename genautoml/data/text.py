"""Text: loaders, the tokenizations (the text's representations), metrics and the TXT sample writer.

Raw text is a list of documents (``str``). The dataset is split by document, so held-out
text is really unseen; a single text (one file, ``builtin:pydoc``) is first cut into
contiguous blocks at paragraph breaks, and the blocks are its documents.

What a family sees: the documents joined by a blank line ("\\n\\n", real characters, so
nothing is lost), tokenized, and cut into non-overlapping windows of ``context`` tokens,
an int64 tensor (N, context) with ``levels`` = the vocabulary size. The last, partial
window is dropped. Each window is modelled from its own start (families begin every window
from a start-of-window token), so a window's log-likelihood never borrows context from the
one before, and ``units`` counts exactly the characters of the windows that were scored:

    bits per character = -(sum of window log-likelihoods in nats) / units / ln 2

Every tokenization is lossless (``decode(encode(x))`` gives back the text of the windows),
so figures of different tokenizations measure the same thing: the cost of the same
characters.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import re
from collections import OrderedDict
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np
import torch

from genautoml import atomic
from genautoml.data.base import Modality, Representation
from genautoml.schema.text import TextData, TextFeature
from genautoml.errors import ConfigError, DataError
from genautoml.metrics.base import Metric
from genautoml.spec import EncodedSpec

#: joins documents into one stream; two newlines, a paragraph break, so blocks cut at
#: paragraph breaks join back into the original text
SEPARATOR = "\n\n"
#: windows generated when sample metrics are scored (the same for every family and fold)
SAMPLE_WINDOWS = 64
#: a line that starts each sample in samples.txt
SAMPLE_HEADER = "==> sample {i} of {n} <=="
_SAMPLE_LINE = re.compile(r"^==> sample \d+ of \d+ <==\n", re.MULTILINE)


# ---- loading ---------------------------------------------------------------------------


def _decode_utf8(data: bytes, where: str) -> str:
    skip = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0  # a BOM is not text
    try:
        return data[skip:].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"{where}: not UTF-8 text (byte offset {exc.start + skip}: {exc.reason})") from None


def _read_text(path: Path) -> str:
    return _decode_utf8(path.read_bytes(), str(path))


def _builtin(name: str) -> str:
    if name == "pydoc":
        # The English reference text that ships inside every CPython (what `help("if")`
        # shows): about 465,000 characters, no download.
        from pydoc_data.topics import topics

        return SEPARATOR.join(topics[key].strip("\n") for key in sorted(topics))
    raise DataError(f"data.source: unknown builtin dataset 'builtin:{name}'; expected builtin:pydoc")


def _load_jsonl(path: Path, field: str) -> list[str]:
    documents = []
    for number, line in enumerate(_read_text(path).splitlines(), start=1):
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


def _load_folder(folder: Path) -> list[str]:
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() == ".txt" and p.is_file())
    if not files:
        raise DataError(f"{folder}: no .txt files found")
    return [_read_text(path) for path in files]


def to_blocks(text: str, block_chars: int) -> list[str]:
    """Cut one text into blocks of at most about ``block_chars`` characters.

    Blocks end at paragraph breaks ("\\n\\n", dropped: joining the blocks with SEPARATOR
    gives the text back); a paragraph longer than a block is cut at a line end, or hard.
    """
    blocks: list[str] = []
    current: list[str] = []
    size = 0
    for paragraph in text.split(SEPARATOR):
        pieces = _cut_long(paragraph, block_chars)
        for piece in pieces:
            extra = len(piece) + (len(SEPARATOR) if current else 0)
            if current and (size + extra > block_chars or len(pieces) > 1):
                blocks.append(SEPARATOR.join(current))
                current, size, extra = [], 0, len(piece)
            current.append(piece)
            size += extra
    if current:
        blocks.append(SEPARATOR.join(current))
    return [b for b in blocks if b]


def _cut_long(paragraph: str, block_chars: int) -> list[str]:
    pieces = []
    while len(paragraph) > block_chars:
        cut = paragraph.rfind("\n", block_chars // 2, block_chars) + 1 or block_chars
        pieces.append(paragraph[:cut])
        paragraph = paragraph[cut:]
    return pieces + [paragraph]


def _limit(documents: list[str], max_chars: Optional[int]) -> list[str]:
    """The first ``max_chars`` characters of the corpus, whole documents first."""
    if max_chars is None:
        return documents
    out, left = [], max_chars
    for document in documents:
        if left <= 0:
            break
        out.append(document[:left])
        left -= len(document)
    return out


def load_texts(data_cfg: TextData, base_dir: Optional[Path]) -> list[str]:
    source = data_cfg.source
    single: Optional[str] = None
    if source.startswith("builtin:"):
        single = _builtin(source.removeprefix("builtin:"))
    else:
        path = Path(source).expanduser()
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        if not path.exists():
            raise DataError(f"data.source: {path} does not exist")
        if path.is_dir():
            documents = _load_folder(path)
        elif path.suffix.lower() == ".jsonl":
            documents = _load_jsonl(path, data_cfg.text_field)
        elif path.suffix.lower() == ".txt":
            single = _read_text(path)
        else:
            raise DataError(f"data.source: {path}: expected builtin:pydoc, a .txt file, a folder of .txt files or a .jsonl file")
    if single is not None:
        documents = to_blocks(_limit([single], data_cfg.max_chars)[0], data_cfg.block_chars)
    else:
        documents = _limit(documents, data_cfg.max_chars)
    documents = [d for d in documents if d]
    if not any(d.strip() for d in documents):
        raise DataError(f"{source}: no text (the corpus is empty or only whitespace)")
    return documents


# ---- tokenizers ------------------------------------------------------------------------


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

    def lead_bytes(self) -> np.ndarray:
        """Per token id: how many characters of the text start in it."""
        byte_leads = [int((b & 0xC0) != 0x80) for b in range(256)]
        return np.array([1] * len(self.codes_) + byte_leads, dtype=np.int64)

    def state(self) -> dict[str, torch.Tensor]:
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

    def lead_bytes(self) -> np.ndarray:
        symbols = _byte_symbols()
        out = np.zeros(self.vocab_size, dtype=np.int64)
        for token, i in self.tokenizer_.get_vocab().items():
            out[i] = _lead_bytes(bytes(symbols[c] for c in token))
        return out

    def state(self) -> dict[str, torch.Tensor]:
        data = np.frombuffer(self.tokenizer_.to_str().encode("utf-8"), dtype=np.uint8).copy()
        return {"tokenizer_json": torch.from_numpy(data)}

    def load_state(self, state: dict[str, torch.Tensor]) -> None:
        from tokenizers import Tokenizer

        self.tokenizer_ = Tokenizer.from_str(bytes(state["tokenizer_json"].numpy().tobytes()).decode("utf-8"))


# ---- representation --------------------------------------------------------------------


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
        return torch.from_numpy(self._windows(raw).astype(np.int64))  # (N, context): what families index with

    def decode(self, encoded: torch.Tensor) -> list[str]:
        rows = encoded.detach().cpu().long().reshape(len(encoded), -1).tolist()
        return [self.tokenizer_.decode(row) for row in rows]

    def units(self, raw: Sequence[str]) -> int:
        # Characters that start in the encoded windows (a character cut by the end of the
        # last window counts once, where its first byte was scored).
        return int(self.lead_[self._windows(raw).reshape(-1)].sum())

    def encode_text(self, text: str) -> torch.Tensor:
        """One text, e.g. a prompt, as a (T,) token tensor (no windows)."""
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
        self._streams.clear()


# ---- samples ---------------------------------------------------------------------------


def format_samples(texts: Sequence[str]) -> str:
    n = len(texts)
    return "".join(f"{SAMPLE_HEADER.format(i=i, n=n)}\n{text}\n\n" for i, text in enumerate(texts, start=1))


def parse_samples(content: str) -> list[str]:
    """The inverse of ``format_samples`` (up to the text's own trailing newlines)."""
    parts = _SAMPLE_LINE.split(content)
    return [part.removesuffix("\n\n") for part in parts[1:]] if len(parts) > 1 else [content]


class TextModality(Modality):
    name = "text"
    default_metric = "bits_per_char"
    likelihood_metric = "bits_per_char"
    feature_model = TextFeature

    def load(self, data_cfg: TextData, base_dir: Path) -> list[str]:
        return load_texts(data_cfg, base_dir)

    def count(self, raw: Sequence[str]) -> int:
        return len(raw)

    def subset(self, raw: Sequence[str], index: np.ndarray) -> list[str]:
        return [raw[int(i)] for i in index]

    def fingerprint(self, raw: Sequence[str]) -> str:
        digest = hashlib.sha256()
        for document in raw:
            data = document.encode("utf-8")
            digest.update(f"{len(data)}:".encode())
            digest.update(data)
        return digest.hexdigest()[:16]

    def describe(self, raw: Sequence[str]) -> dict[str, Any]:
        lengths = np.array([len(d) for d in raw])
        return {
            "documents": int(len(raw)),
            "characters": int(lengths.sum()),
            "distinct_characters": len(set().union(*map(set, raw))),
            "document_chars": {"min": int(lengths.min()), "median": int(np.median(lengths)), "max": int(lengths.max())},
        }

    def default_features(self, data_cfg: TextData) -> list[TextFeature]:
        # The first is what cv and tune use; the features stage compares them all.
        return [
            TextFeature(tokenizer="char"),
            TextFeature(tokenizer="bpe", vocab_size=512),
            TextFeature(tokenizer="bpe", vocab_size=1024),
            TextFeature(tokenizer="bpe", vocab_size=2048),
        ]

    def representation(self, feature: TextFeature) -> TextRepresentation:
        return TextRepresentation(feature)

    def metrics(self) -> dict[str, Metric]:
        from genautoml.metrics.base import likelihood_metric
        from genautoml.metrics.text import text_metrics

        return {self.likelihood_metric: likelihood_metric(self.likelihood_metric, "character"), **text_metrics()}

    def generate_count(self, heldout: Sequence[str]) -> int:
        return SAMPLE_WINDOWS

    def write_samples(self, raw: Sequence[str], out_dir: Path) -> list[Path]:
        out_dir = Path(out_dir)
        lines = "".join(json.dumps({"text": text}, ensure_ascii=False) + "\n" for text in raw)
        return [
            atomic.write_text(out_dir / "samples.txt", format_samples(raw)),
            # The exact strings, for `genautoml evaluate --samples` and for programs.
            atomic.write_text(out_dir / "samples.jsonl", lines),
        ]

    def read_samples(self, folder: Path, like: Any) -> list[str]:
        folder = Path(folder)
        if not folder.exists():
            raise DataError(f"--samples: {folder} does not exist")
        if folder.is_dir():
            for name in ("samples.jsonl", "samples.txt"):
                if (folder / name).exists():
                    return self.read_samples(folder / name, like)
            texts = _load_folder(folder)
        elif folder.suffix.lower() == ".jsonl":
            texts = _load_jsonl(folder, "text")
        else:
            texts = parse_samples(_read_text(folder))
        if not any(t.strip() for t in texts):
            raise DataError(f"--samples: {folder}: no text")
        return texts

    # ---- generation (the `sample` command's text options) -------------------------------

    def generate(self, model, representation: TextRepresentation, n: int, generator: torch.Generator, *,
                 length: Optional[int] = None, prompt: str = "", temperature: float = 1.0,
                 top_k: Optional[int] = None) -> list[str]:
        """``n`` texts of ``length`` characters (prompt included) continuing ``prompt``.

        Without any option this is the family's own ``sample`` (one window each). With
        options the family must have ``generate(prompt, length, generator, *, temperature,
        top_k)``, prompt an int64 (n, P) tensor (P may be 0), returning (n, length) new
        tokens: the autoregressive families do.
        """
        if temperature <= 0:
            raise ConfigError(f"--temperature: expected a positive number, got {temperature}")
        if top_k is not None and top_k < 1:
            raise ConfigError(f"--top-k: expected at least 1, got {top_k}")
        if length is None and not prompt and temperature == 1.0 and top_k is None:
            return representation.decode(model.sample(n, generator))
        if not callable(getattr(model, "generate", None)):
            raise ConfigError(
                f"--length/--prompt/--temperature/--top-k: family {model.name!r} cannot continue a prompt; "
                "sample without them"
            )
        prompt_tokens = representation.encode_text(prompt).expand(n, -1)  # (n, P)
        length = length if length is not None else len(prompt) + representation.context
        tokens = prompt_tokens
        texts = [prompt] * n
        # Characters per token vary (BPE merges, byte tokens), so generate in rounds until
        # every text is long enough; a token holds at least one byte, so rounds are few.
        for _ in range(8):
            missing = length - min(len(t) for t in texts)
            if missing <= 0:
                break
            more = model.generate(tokens, missing, generator, temperature=temperature, top_k=top_k)
            tokens = torch.cat([tokens, more.cpu().long()], dim=1)
            texts = [representation.decode_text(row) for row in tokens]
        return [t[:length] for t in texts]


MODALITY = TextModality()
