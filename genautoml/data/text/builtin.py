"""``builtin:pydoc``: CPython's own reference text, no download."""

from __future__ import annotations

from genautoml.data.text.corpus import SEPARATOR
from genautoml.errors import DataError


def builtin_text(name: str) -> str:
    """The one text of ``builtin:<name>``."""
    if name == "pydoc":
        # The English reference text that ships inside every CPython (what `help("if")`
        # shows): about 465,000 characters, no download.
        from pydoc_data.topics import topics

        return SEPARATOR.join(topics[key].strip("\n") for key in sorted(topics))
    raise DataError(f"data.source: unknown builtin dataset 'builtin:{name}'; expected builtin:pydoc")
