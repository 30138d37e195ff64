"""How a waveform's amplitude in [-1, 1] becomes the value in [0, 1] a family sees, and back.

Shared by the audio representations (genautoml/data/audio/representations.py), which
encode clips, and the families that synthesize a signal themselves (``ddsp``), which must
render an amplitude and hand back the representation's value. It is core so that neither
side imports the other. ``EncodedSpec.signal`` names the mapping: "mu_law" (companded with
mu = 255, as G.711 and WaveNet) or "linear" (``(x + 1) / 2``).

Every function takes a numpy array or a torch tensor and returns the same kind.
"""

from __future__ import annotations

import math
from typing import Any

MU = 255
#: the mappings ``EncodedSpec.signal`` may name
SIGNALS = ("linear", "mu_law")


def _lib(x: Any):
    """numpy for arrays, torch for tensors: the functions below use what both spell alike."""
    import numpy as np

    if isinstance(x, np.ndarray):
        return np
    import torch

    return torch


def mu_law(x):
    """Compand [-1, 1] -> [-1, 1]: fine steps near silence, coarse ones for loud samples."""
    lib = _lib(x)
    return lib.sign(x) * lib.log1p(MU * lib.abs(x)) / math.log1p(MU)


def inverse_mu_law(y):
    lib = _lib(y)
    return lib.sign(y) * lib.expm1(lib.abs(y) * math.log1p(MU)) / MU


def to_value(amplitude, signal: str):
    """Amplitudes in [-1, 1] -> values in [0, 1] under ``signal``."""
    companded = mu_law(amplitude) if signal == "mu_law" else amplitude
    return (companded + 1.0) / 2.0


def to_amplitude(value, signal: str):
    """Values in [0, 1] -> amplitudes in [-1, 1] under ``signal`` (the inverse of ``to_value``)."""
    companded = 2.0 * value - 1.0
    return inverse_mu_law(companded) if signal == "mu_law" else companded
