"""sample: a trained run directory -> N new examples in the native format."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from genautoml.errors import ConfigError
from genautoml.pipeline import checkpoint
from genautoml.pipeline.events import Events, Silent, WorkProgress

#: most samples one command writes: 100 000 audio clips were 395 MB, and an image grid of
#: that many is too large for an image viewer (or Pillow) to open
MAX_SAMPLES = 10_000
#: the folder ``sample`` writes into by default, inside the run directory (``samples/`` is
#: the train stage's and is left alone)
DEFAULT_FOLDER = "sampled"
#: the file that marks a folder as one ``sample`` wrote, so writing into it again is safe
MARKER = ".genautoml-samples"
#: samples generated per step: progress is reported between steps (up to this many, the
#: samples are exactly those of one step)
CHUNK = 256


def sample(run_dir: Path, n: int, out_dir: Optional[Path], seed: int, *, length: Optional[int] = None,
           prompt: Optional[str] = None, temperature: float = 1.0, top_k: Optional[int] = None,
           overwrite: bool = False, events: Optional[Events] = None) -> dict[str, Any]:
    """Write ``n`` samples; ``length``, ``prompt``, ``temperature`` and ``top_k`` are for
    modalities of sequences (text): the others refuse them with a ConfigError. A folder
    holding files that ``sample`` did not write is refused unless ``overwrite``. ``events``
    hears how many are done as the work goes on."""
    from genautoml.data.registry import get_modality

    if not 1 <= n <= MAX_SAMPLES:  # before the folder is looked at
        raise ConfigError(f"-n: expected 1 to {MAX_SAMPLES} samples, got {n}")
    out_dir = Path(out_dir) if out_dir else Path(run_dir) / DEFAULT_FOLDER
    check_folder(out_dir, overwrite)  # before the work; the folder is made only after it
    raw, description = generate(run_dir, n, seed, length=length, prompt=prompt, temperature=temperature, top_k=top_k,
                                events=events)
    modality = get_modality(description["modality"])
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / MARKER).touch()
    written = modality.write_samples(raw, out_dir)
    result: dict[str, Any] = {"family": description["family"], "n": n, "seed": seed, "files": [str(p) for p in written]}
    printed = modality.printed(raw)
    if printed is not None:
        result["texts"] = list(raw)
        result["printed"] = printed  # what a terminal shows of them
    return result


def generate(run_dir: Path, n: int, seed: int, *, length: Optional[int] = None, prompt: Optional[str] = None,
             temperature: float = 1.0, top_k: Optional[int] = None,
             events: Optional[Events] = None) -> tuple[Any, dict[str, Any]]:
    """``n`` raw samples of the run's model (arrays, texts or clips) and its description,
    nothing written; generated in steps of ``CHUNK`` that ``events`` hears of."""
    import torch

    from genautoml.data.registry import get_modality
    from genautoml.data.text.prompting import check_sampling_options

    if not 1 <= n <= MAX_SAMPLES:
        raise ConfigError(f"-n: expected 1 to {MAX_SAMPLES} samples, got {n}")
    check_sampling_options(temperature, top_k)  # before any work, whatever the run's modality
    model, representation, description = checkpoint.load(run_dir)
    modality = get_modality(description["modality"])
    events = events or Silent()
    generator = torch.Generator().manual_seed(seed)
    parts = []
    for start in range(0, n, CHUNK):
        parts.append(modality.generate(model, representation, min(CHUNK, n - start), generator, length=length,
                                       prompt=prompt or "", temperature=temperature, top_k=top_k))
        events.work(WorkProgress(f"sampling from the {description['family']}", min(n, start + CHUNK), n,
                                 "samples"))
    return modality.join(parts), description


def check_folder(folder: Path, overwrite: bool) -> None:
    """Refuse (exit 2) a ``folder`` that holds files ``sample`` did not write, unless
    ``overwrite``: a user's own files are never replaced or removed without being asked."""
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"--out: {folder} is a file; expected a folder")
    others = [p.name for p in folder.iterdir() if p.name != MARKER] if folder.is_dir() else []
    if others and not (folder / MARKER).exists() and not overwrite:
        raise ConfigError(f"--out: {folder} already holds files genautoml's sample command did not write "
                          f"({', '.join(sorted(others)[:3])}{', ...' if len(others) > 3 else ''}); choose an "
                          f"empty or new folder, or pass --overwrite")
