"""Text metrics, all computed on raw text (lists of strings), whatever the tokenization.

- ``bits_per_char`` (the selection metric; a likelihood metric, see ``metrics/base.py``):
  held-out negative log-likelihood in bits per character of the original text.
- ``char_ngram_js``: Jensen-Shannon divergence, in bits (0..1), between the character
  3-gram distributions of the generated text and of as much held-out text, taken in equal
  slices from across the held-out set. Equal amounts, because the divergence between two
  finite samples grows as they shrink: comparing unequal sizes would mostly measure size.
- ``distinct_2``: distinct word bigrams / all word bigrams of the generated text (Li et al.
  2016's distinct-n): low means repetitive samples.
- ``copy_rate``: share of the generated text's non-overlapping 32-character windows found
  verbatim in the training text: high means the model recites its training data.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Sequence

from genautoml.metrics.base import MAXIMIZE, MINIMIZE, Metric

#: the character n-gram order compared by char_ngram_js
NGRAM = 3
#: the window length of copy_rate: long enough that a match is a copy, not a common phrase
COPY_WINDOW = 32
#: copy_rate checks at most this many windows (each check scans the training text)
MAX_COPY_WINDOWS = 2000
_WORD = re.compile(r"\w+|[^\w\s]")


def _ngrams(text: str, n: int) -> Counter:
    return Counter(text[i : i + n] for i in range(len(text) - n + 1))


def js_divergence(a: Counter, b: Counter) -> float:
    """Jensen-Shannon divergence in bits between two count tables (0: same, 1: disjoint)."""
    total_a, total_b = sum(a.values()), sum(b.values())
    if not total_a or not total_b:
        return 1.0
    out = 0.0
    # Sorted: a set's order follows the per-process string hash seed, and the float sum
    # must not, or the same run gives figures that differ in the last digits.
    for key in sorted(a.keys() | b.keys()):
        p, q = a.get(key, 0) / total_a, b.get(key, 0) / total_b
        m = (p + q) / 2
        if p:
            out += p / 2 * math.log2(p / m)
        if q:
            out += q / 2 * math.log2(q / m)
    return max(0.0, out)


def equal_slices(texts: Sequence[str], length: int, pieces: int) -> str:
    """``length`` characters of ``texts`` taken as ``pieces`` evenly spaced slices."""
    stream = "\n\n".join(texts)
    if length >= len(stream):
        return stream
    pieces = max(1, min(pieces, length))
    size = length // pieces
    step = (len(stream) - size) / max(pieces - 1, 1)
    return "".join(stream[round(i * step) : round(i * step) + size] for i in range(pieces))


def char_ngram_js(heldout: Sequence[str], generated: Sequence[str], train: Sequence[str] | None = None) -> float:
    fake = "\n\n".join(generated)
    real = equal_slices(heldout, len(fake), len(generated))
    return js_divergence(_ngrams(real, NGRAM), _ngrams(fake, NGRAM))


def distinct_n(generated: Sequence[str], n: int = 2) -> float:
    grams = [tuple(words[i : i + n]) for text in generated for words in [_WORD.findall(text)]
             for i in range(len(words) - n + 1)]
    return len(set(grams)) / len(grams) if grams else 0.0


def copy_rate(generated: Sequence[str], train: Sequence[str], window: int = COPY_WINDOW) -> float:
    windows = [text[i : i + window] for text in generated for i in range(0, len(text) - window + 1, window)]
    if not windows:
        return 0.0
    windows = windows[:MAX_COPY_WINDOWS]
    # str.__contains__ scans with a fast two-way search; no index of the training text is built.
    reference = "\n\n".join(train)
    return sum(w in reference for w in windows) / len(windows)


def text_metrics() -> dict[str, Metric]:
    """The sample metrics of text (the likelihood metric is added by the modality)."""
    return {
        "char_ngram_js": Metric("char_ngram_js", MINIMIZE, char_ngram_js,
                                f"Jensen-Shannon divergence (bits) of character {NGRAM}-gram distributions vs held-out text",
                                bootstrap=True),
        "distinct_2": Metric("distinct_2", MAXIMIZE, lambda heldout, generated, train: distinct_n(generated, 2),
                             "distinct word bigrams / all word bigrams of the samples"),
        "copy_rate": Metric("copy_rate", MINIMIZE, lambda heldout, generated, train: copy_rate(generated, train),
                            f"share of {COPY_WINDOW}-character sample windows found verbatim in the training text",
                            floor_from="heldout", bootstrap=True),
    }
