"""sample: a trained run directory -> N new examples in the native format."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from genautoml.pipeline import checkpoint


def sample(run_dir: Path, n: int, out_dir: Optional[Path], seed: int) -> dict[str, Any]:
    import torch

    from genautoml.data.registry import get_modality

    model, representation, description = checkpoint.load(run_dir)
    modality = get_modality(description["modality"])
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        raw = representation.decode(model.sample(n, generator))
    out_dir = out_dir or Path(run_dir) / "samples"
    written = modality.write_samples(raw, out_dir)
    return {"family": description["family"], "n": n, "seed": seed, "files": [str(p) for p in written]}
