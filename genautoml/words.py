"""Counted nouns and articles in messages: "1 example", "2 examples", "an image model"."""

from __future__ import annotations


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` and ``noun``, in the plural unless ``n`` is 1 (``plural`` where not noun + "s")."""
    return f"{n} {noun if n == 1 else (plural or noun + 's')}"


def article(word: str) -> str:
    """``word`` after "a" or "an" (by its first letter: enough for our modality names)."""
    return f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"
