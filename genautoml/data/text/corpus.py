"""Documents as one stream: the separator that joins them, and cutting a single text into documents."""

from __future__ import annotations

from typing import Optional

#: joins documents into one stream; two newlines, a paragraph break, so blocks cut at
#: paragraph breaks join back into the original text
SEPARATOR = "\n\n"


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


def limit_chars(documents: list[str], max_chars: Optional[int]) -> list[str]:
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
