"""Seeds derived from (config seed, stage, trial id, fold), so that a resumed search draws
exactly what an uninterrupted one would have drawn."""

from __future__ import annotations

import zlib

import numpy as np


def derive_seed(base: int, *keys: int | str) -> int:
    parts = [int(base)] + [k if isinstance(k, int) else zlib.crc32(k.encode()) for k in keys]
    return int(np.random.SeedSequence(parts).generate_state(1)[0] & 0x7FFFFFFF)
