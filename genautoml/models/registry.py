"""The one registry of families. Each family module registers its class once, by decorator.

Import errors are not swallowed: a broken family module fails loudly at import.
"""

from __future__ import annotations

import contextlib
import importlib
from typing import Iterator

from genautoml.models.base import Family

_FAMILIES: dict[str, type[Family]] = {}

# The modules that define the built-in families; imported on first use so that
# `genautoml --help` does not pay for importing torch.
BUILTIN_MODULES = (
    "genautoml.models.vae",
    "genautoml.models.gan",
    "genautoml.models.rnn",
    "genautoml.models.transformer",
    "genautoml.models.ngram",
    "genautoml.models.wavegan",
    "genautoml.models.ddsp",
    "genautoml.models.hybrid",
    "genautoml.models.diffusion",
    "genautoml.models.flow",
    "genautoml.models.copula",
    "genautoml.models.tvae",
    "genautoml.models.ctgan",
    "genautoml.models.tabddpm",
)


def register(cls: type[Family]) -> type[Family]:
    if cls.name in _FAMILIES and _FAMILIES[cls.name] is not cls:
        raise RuntimeError(f"family {cls.name!r} registered twice")
    _FAMILIES[cls.name] = cls
    return cls


def _load_builtins() -> None:
    for module in BUILTIN_MODULES:
        importlib.import_module(module)


def all_families() -> dict[str, type[Family]]:
    _load_builtins()
    return dict(sorted(_FAMILIES.items()))


def get_family(name: str) -> type[Family]:
    families = all_families()
    if name not in families:
        raise KeyError(name)
    return families[name]


def unregister(name: str) -> None:
    """Remove a family (for tests that register throwaway families)."""
    _FAMILIES.pop(name, None)


@contextlib.contextmanager
def registered(cls: type[Family]) -> Iterator[type[Family]]:
    """``cls`` registered for the duration of a ``with`` block (tests, notebooks)."""
    register(cls)
    try:
        yield cls
    finally:
        unregister(cls.name)
