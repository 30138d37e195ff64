"""bench/quality.py: a family trained alone that diverges is scored at its last copy."""

from __future__ import annotations

import pytest
import torch

from bench.quality import Snapshots


class Weights:
    """A stand-in with the family contract's state()/load_state()."""

    def __init__(self):
        self.w = torch.zeros(3)

    def state(self):
        return {"w": self.w}  # the live tensor, as families return it

    def load_state(self, state):
        self.w = state["w"].clone()


def test_the_last_copy_is_put_back_and_its_epoch_told():
    model = Weights()
    kept = Snapshots(model, every=3600.0)
    model.w += 1
    kept.offer(1)  # the first epoch is always copied
    model.w += 5  # later epochs, not copied (within the interval), then a divergence
    kept.offer(2)
    model.w.fill_(float("inf"))
    assert kept.restore() == 1
    assert torch.equal(model.w, torch.ones(3))


def test_no_copy_before_the_first_epoch_is_an_error():
    with pytest.raises(RuntimeError, match="first epoch"):
        Snapshots(Weights()).restore()
