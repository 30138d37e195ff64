"""The scale benchmark's helpers: the text corpus it builds, its exponent and its table."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# bench/ is a folder of scripts beside the package, not installed: import it from the checkout.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import scale


def test_text_corpus_reaches_the_size_with_shifted_copies():
    text = scale.text_corpus(1.0)
    size = len(text.encode("utf-8"))
    assert 1e6 - 4 <= size <= 1e6  # cut at the size, never inside a character
    first, second = text[:200_000], text[500_000:700_000]
    assert set(first) >= set("abcdefghijklmnopqrstuvwxyz")
    assert scale._rotate_letters("Abz", 1) == "Bca"
    assert first not in text[400_000:]  # the second copy is shifted, not repeated
    assert set(second) <= set(text[:466_000]) | {"\n"}  # ... over the same alphabet


def test_exponent_is_the_log_log_slope():
    assert scale.exponent([1, 4, 16], [2.0, 8.0, 32.0]) == pytest.approx(1.0)
    assert scale.exponent([1, 4], [1.0, 16.0]) == pytest.approx(2.0)
    assert scale.exponent([1], [1.0]) is None


def test_markdown_shows_image_text_and_hyperopt_tables():
    def curve(family, size_key, sizes):
        rows = [{size_key: s, "load_seconds": 0.1 * s, "trial_seconds": s, "peak_mb": 400.0} for s in sizes]
        return {"family": family, "params": {}, "rows": rows, "load_exponent": 1.0, "trial_exponent": None}

    image = curve("vae", "examples", [1797, 7188])
    for row, factor in zip(image["rows"], (1, 4)):
        row["factor"] = factor
    text = curve("ngram", "mb", [0.5, 2.0])
    text["feature"] = scale.TEXT_FEATURE
    for row in text["rows"]:
        row["characters"] = int(row["mb"] * 1e6)
    body = scale.markdown({"image": image, "text": text,
                           "hyperopt": [{"finished_trials": 10, "suggest_seconds": 0.01}]})
    assert "| MB | characters | load s | trial s | peak MB |" in body
    assert "| 0.5 | 500000 |" in body
    assert "Caesar-shifted" in body and "loading 1.00, trial -" in body
    assert "| finished trials | seconds per suggestion |" in body
