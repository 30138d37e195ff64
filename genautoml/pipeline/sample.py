"""sample: a trained run directory -> N new examples in the native format."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from genautoml.errors import ConfigError
from genautoml.pipeline import checkpoint


def sample(run_dir: Path, n: int, out_dir: Optional[Path], seed: int, *, length: Optional[int] = None,
           prompt: Optional[str] = None, temperature: float = 1.0, top_k: Optional[int] = None) -> dict[str, Any]:
    """Write ``n`` samples; ``length``, ``prompt``, ``temperature`` and ``top_k`` are for
    modalities that generate sequences (text), whose ``generate`` takes them."""
    import torch

    from genautoml.data.registry import get_modality

    model, representation, description = checkpoint.load(run_dir)
    modality = get_modality(description["modality"])
    generator = torch.Generator().manual_seed(seed)
    sequence_options = length is not None or prompt is not None or temperature != 1.0 or top_k is not None
    generate = getattr(modality, "generate", None)
    if generate is not None:
        raw = generate(model, representation, n, generator, length=length, prompt=prompt or "",
                       temperature=temperature, top_k=top_k)
    elif sequence_options:
        raise ConfigError(
            f"--length/--prompt/--temperature/--top-k: apply to text runs; {run_dir} holds a {modality.name} model"
        )
    else:
        with torch.no_grad():
            raw = representation.decode(model.sample(n, generator))
    out_dir = out_dir or Path(run_dir) / "samples"
    written = modality.write_samples(raw, out_dir)
    result: dict[str, Any] = {"family": description["family"], "n": n, "seed": seed, "files": [str(p) for p in written]}
    if generate is not None:
        from genautoml.data.text import format_samples

        result["texts"] = list(raw)
        result["printed"] = format_samples(result["texts"])  # what a terminal shows of them
    return result
