"""``device: auto | cpu | cuda`` -> a torch device name."""

from __future__ import annotations

from genautoml.errors import ConfigError


def resolve_device(name: str) -> str:
    import torch

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device: 'cuda' asked for but no CUDA device is available; use auto or cpu")
    return name
