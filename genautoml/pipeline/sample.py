"""sample: a trained run directory -> N new examples in the native format."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from genautoml.pipeline import checkpoint


def sample(run_dir: Path, n: int, out_dir: Optional[Path], seed: int, *, length: Optional[int] = None,
           prompt: Optional[str] = None, temperature: float = 1.0, top_k: Optional[int] = None) -> dict[str, Any]:
    """Write ``n`` samples; ``length``, ``prompt``, ``temperature`` and ``top_k`` are for
    modalities of sequences (text): the others refuse them with a ConfigError."""
    import torch

    from genautoml.data.registry import get_modality

    model, representation, description = checkpoint.load(run_dir)
    modality = get_modality(description["modality"])
    generator = torch.Generator().manual_seed(seed)
    raw = modality.generate(model, representation, n, generator, length=length, prompt=prompt or "",
                            temperature=temperature, top_k=top_k)
    out_dir = out_dir or Path(run_dir) / "samples"
    written = modality.write_samples(raw, out_dir)
    result: dict[str, Any] = {"family": description["family"], "n": n, "seed": seed, "files": [str(p) for p in written]}
    printed = modality.printed(raw)
    if printed is not None:
        result["texts"] = list(raw)
        result["printed"] = printed  # what a terminal shows of them
    return result
