"""A corpus as blocks to split: every document cut into blocks, exact duplicates dropped, and
blocks that must not straddle train and test put in one group.

Why groups: a held-out block is only unseen if nothing like it was trained on. Two kinds of
neighbours would leak:
- the blocks next to each other in one document (the same passage, names and phrasing):
  runs of ``SEGMENT_BLOCKS`` consecutive blocks form one group;
- near-duplicates (CPython's documentation repeats whole topics inside others): blocks that
  share at least ``NEAR_SHARE`` of their sampled 32-character windows join one group.
The split (genautoml/pipeline/dataset.py) keeps every group on one side.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from typing import Sequence

import numpy as np

from genautoml.data.text.corpus import to_blocks

#: consecutive blocks of one document kept on one side of the split
SEGMENT_BLOCKS = 4
#: characters per window compared between blocks (the window copy_rate measures at)
WINDOW = 32
#: one window in this many is compared (chosen by its hash: the same windows in every block)
SAMPLE_EVERY = 8
#: share of the smaller block's sampled windows found in the other that makes two blocks
#: near-duplicates (containment: a topic repeated inside a longer one counts)
NEAR_SHARE = 0.5
#: fewest sampled windows a block needs to be compared (too short to judge otherwise)
MIN_WINDOWS = 4
#: a window found in more blocks than this is boilerplate, not evidence of a copy
COMMON_WINDOW = 20


class Blocks(list):
    """The blocks (a list of str, what the text modality's raw data is), with the group of
    each (``groups``, ints) and how many exact duplicates were dropped."""

    def __init__(self, texts: Sequence[str], groups: Sequence[int], duplicates_removed: int = 0):
        super().__init__(texts)
        self.groups = np.asarray(groups, dtype=np.int64)
        self.duplicates_removed = duplicates_removed


def corpus_blocks(documents: Sequence[str], block_chars: int) -> Blocks:
    """Every document cut into blocks of about ``block_chars`` characters (short documents
    stay whole), exact duplicate blocks dropped, and the blocks grouped."""
    texts: list[str] = []
    segments: list[tuple[int, int]] = []
    seen: set[str] = set()
    removed = 0
    for number, document in enumerate(documents):
        for position, block in enumerate(to_blocks(document, block_chars)):
            if block in seen:
                removed += 1
                continue
            seen.add(block)
            texts.append(block)
            segments.append((number, position // SEGMENT_BLOCKS))
    ids = {segment: i for i, segment in enumerate(dict.fromkeys(segments))}
    groups = _UnionFind([ids[segment] for segment in segments])
    for a, b in near_duplicates(texts):
        groups.union(a, b)
    return Blocks(texts, groups.labels(), removed)


def near_duplicates(texts: Sequence[str]) -> list[tuple[int, int]]:
    """Pairs (i, j), i < j, of texts sharing at least ``NEAR_SHARE`` of the smaller one's
    sampled windows."""
    sampled = [_sampled_windows(text) for text in texts]
    holders: dict[int, list[int]] = defaultdict(list)
    for i, windows in enumerate(sampled):
        for window in windows:
            holders[window].append(i)
    pairs = []
    for i, windows in enumerate(sampled):
        if len(windows) < MIN_WINDOWS:
            continue
        shared: dict[int, int] = defaultdict(int)
        for window in windows:
            others = holders[window]
            if len(others) <= COMMON_WINDOW:
                for j in others:
                    if j > i:
                        shared[j] += 1
        for j, count in shared.items():
            smaller = min(len(windows), len(sampled[j]))
            if smaller >= MIN_WINDOWS and count >= NEAR_SHARE * smaller:
                pairs.append((i, j))
    return pairs


def _sampled_windows(text: str) -> set[int]:
    """The hashes of the text's 32-character windows whose hash falls in the sample (crc32:
    the same on every machine and run, unlike Python's ``hash``)."""
    data = text.encode("utf-8")
    found = set()
    for start in range(max(0, len(data) - WINDOW + 1)):
        value = zlib.crc32(data[start:start + WINDOW])
        if value % SAMPLE_EVERY == 0:
            found.add(value)
    return found


class _UnionFind:
    """Groups merged by ``union``; ``labels`` numbers them 0, 1, ... in order of first member."""

    def __init__(self, initial: list[int]):
        self.item_group = initial
        self.parent = list(range(max(initial, default=-1) + 1))

    def _root(self, group: int) -> int:
        while self.parent[group] != group:
            self.parent[group] = self.parent[self.parent[group]]
            group = self.parent[group]
        return group

    def union(self, a: int, b: int) -> None:
        """Merge the groups of items ``a`` and ``b``."""
        root_a, root_b = self._root(self.item_group[a]), self._root(self.item_group[b])
        if root_a != root_b:
            self.parent[max(root_a, root_b)] = min(root_a, root_b)

    def labels(self) -> list[int]:
        roots = [self._root(group) for group in self.item_group]
        numbers = {root: i for i, root in enumerate(dict.fromkeys(roots))}
        return [numbers[root] for root in roots]
