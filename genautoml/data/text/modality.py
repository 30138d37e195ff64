"""The text modality: loaders, the tokenizations, metrics and the TXT sample writer together."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, Sequence

import numpy as np

from genautoml import atomic
from genautoml.data.base import Modality
from genautoml.data.text.blocks import Blocks
from genautoml.data.text.io import format_samples, load_folder, load_jsonl, load_texts, parse_samples, read_text
from genautoml.data.text.prompting import generate_text
from genautoml.data.text.representations import TextRepresentation
from genautoml.errors import DataError
from genautoml.metrics.base import Metric
from genautoml.schema.text import TextData, TextFeature

if TYPE_CHECKING:
    import torch

#: windows generated when sample metrics are scored (the same for every family and fold)
SAMPLE_WINDOWS = 64


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
        texts = [raw[int(i)] for i in index]
        groups = self.groups(raw)
        # loaded blocks keep their groups (a held-out part is then subset by them)
        return texts if groups is None else Blocks(texts, groups[np.asarray(index, dtype=np.int64)])

    def groups(self, raw: Sequence[str]) -> Optional[np.ndarray]:
        return getattr(raw, "groups", None)  # loaded blocks carry them (genautoml/data/text/blocks.py)

    def join(self, parts: list[Sequence[str]]) -> list[str]:
        return [text for part in parts for text in part]

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
            # blocks kept on one side of the split together, and exact copies dropped
            "groups": int(len(set(self.groups(raw).tolist()))) if self.groups(raw) is not None else None,
            "duplicate_blocks_removed": int(getattr(raw, "duplicates_removed", 0)),
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

    def real_samples(self, train: Sequence[str], n: int, rng: np.random.Generator, representation) -> list[str]:
        """Samples are windows of ``context`` tokens, so the real ones are too: ``n`` windows of
        the training text, drawn at random, cut by the same representation."""
        windows = representation.encode(list(train))
        chosen = rng.choice(len(windows), size=min(n, len(windows)), replace=False)
        return representation.decode(windows[np.sort(chosen)])

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
            texts = load_folder(folder)
        elif folder.suffix.lower() == ".jsonl":
            texts = load_jsonl(folder, "text")
        else:
            texts = parse_samples(read_text(folder))
        if not any(t.strip() for t in texts):
            raise DataError(f"--samples: {folder}: no text")
        return texts

    # ---- generation (the `sample` command's text options) -------------------------------

    def generate(self, model, representation: TextRepresentation, n: int, generator: torch.Generator, *,
                 length: Optional[int] = None, prompt: str = "", temperature: float = 1.0,
                 top_k: Optional[int] = None) -> list[str]:
        """``n`` texts continuing ``prompt``: ``genautoml.data.text.prompting.generate_text``."""
        return generate_text(model, representation, n, generator, length=length, prompt=prompt,
                             temperature=temperature, top_k=top_k)

    def printed(self, raw: list[str]) -> str:
        return format_samples(raw)


MODALITY = TextModality()
