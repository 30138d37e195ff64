"""Fixtures shared by the tests; plain helpers are in tests/helpers.py."""

from __future__ import annotations

import textwrap

import pytest


@pytest.fixture
def write_yaml(tmp_path):
    """``write_yaml(text, name="config.yaml")``: the dedented text as a file under tmp_path."""

    def write(text: str, name: str = "config.yaml"):
        path = tmp_path / name
        path.write_text(textwrap.dedent(text))
        return path

    return write


@pytest.fixture
def one_thread():
    """Torch on one thread for the test: two OpenMP threads on a loaded 2-core machine spin
    against each other."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
