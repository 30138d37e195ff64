"""model/: weights as plain tensors (torch.load(weights_only=True)) plus model.json,
which names the weights file and describes family, parameters and representation.

Nothing here unpickles arbitrary objects: a file that is not plain tensors is refused.
"""

from __future__ import annotations

import json
import uuid
import warnings
from pathlib import Path
from typing import Any

from genautoml import atomic
from genautoml.errors import CheckpointError, RunDirError

WEIGHTS = "weights.pt"
DESCRIPTION = "model.json"


def save(model_dir: Path, model, representation, description: dict[str, Any]) -> None:
    """Write a new checkpoint; model.json is the commit point.

    The weights go to a new file name first, then model.json (atomically) names it, then the
    old weights are removed. A failure at any step (a full disk) leaves the previous
    model.json naming the previous, intact weights.
    """
    import torch

    model_dir = Path(model_dir)
    tensors = {"model": model.state(), "representation": representation.state()}
    previous = _weights_name(model_dir)
    name = f"weights-{uuid.uuid4().hex[:12]}.pt"
    try:
        atomic.write_with(model_dir / name, lambda handle: torch.save(tensors, handle))
        atomic.write_json(model_dir / DESCRIPTION, {**description, "weights": name})
    except BaseException:
        (model_dir / name).unlink(missing_ok=True)
        raise
    if previous and previous != name:
        (model_dir / previous).unlink(missing_ok=True)


def _weights_name(model_dir: Path) -> str | None:
    try:
        return json.loads((model_dir / DESCRIPTION).read_text(encoding="utf-8")).get("weights", WEIGHTS)
    except (OSError, ValueError, AttributeError):
        return None


def load(run_dir: Path, modality=None):
    """(model, representation, description) from a run directory's model/."""
    import torch

    from genautoml.models.registry import get_family
    from genautoml.spec import EncodedSpec

    model_dir = Path(run_dir) / "model"
    description_path = model_dir / DESCRIPTION
    if not description_path.exists():
        raise RunDirError(f"{run_dir}: no trained model (expected {description_path}); run `genautoml train` first")
    try:
        description = json.loads(description_path.read_text(encoding="utf-8"))
        weights_path = model_dir / Path(description.get("weights", WEIGHTS)).name
        family_cls = get_family(description["family"])
        spec = EncodedSpec.from_json(description["spec"])
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError, AttributeError) as exc:
        raise CheckpointError(f"{description_path}: not a valid model description ({exc!r})") from None
    if not weights_path.exists():
        raise CheckpointError(f"{weights_path}: missing (named by {description_path})")
    try:
        with warnings.catch_warnings():  # torch's warnings about a refused file's pickle protocol
            warnings.simplefilter("ignore")
            tensors = torch.load(weights_path, map_location="cpu", weights_only=True)
    except Exception as exc:  # refused pickles, truncated files, wrong formats: all one message
        # Not torch's own text: it advises loading with weights_only=False "if you trust the
        # source", which would run whatever code a replaced file holds.
        raise CheckpointError(f"{weights_path}: not a genautoml checkpoint (not plain tensors, or damaged: "
                              f"{exc.__class__.__name__}); genautoml never loads pickled objects") from None
    if not isinstance(tensors, dict) or not {"model", "representation"} <= set(tensors):
        raise CheckpointError(f"{weights_path}: expected 'model' and 'representation' tensors")
    if modality is None:
        from genautoml.data.registry import get_modality

        modality = get_modality(description["modality"])
    feature_model = modality.feature_model
    try:
        representation = modality.representation(feature_model.model_validate(description["feature"]))
        representation.load_state(tensors["representation"])
        model = family_cls(spec, **description["params"])
        model.device_ = torch.device("cpu")
        model.load_state(tensors["model"])
    except Exception as exc:
        raise CheckpointError(f"{weights_path}: does not match {description_path} ({exc.__class__.__name__}: {exc})") from None
    return model, representation, description
