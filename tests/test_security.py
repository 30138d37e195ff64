"""Nothing loaded from disk can run code."""

import pickle
import re
from pathlib import Path

import pytest

from genautoml.errors import CheckpointError
from genautoml.pipeline import checkpoint

SOURCE = Path(__file__).resolve().parent.parent / "genautoml"


class _Payload:
    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_malicious_checkpoint_is_refused_and_runs_nothing(tmp_path):
    marker = tmp_path / "created-by-unpickling"
    model_dir = tmp_path / "run" / "model"
    model_dir.mkdir(parents=True)
    (model_dir / "model.json").write_text(
        '{"modality": "image", "family": "vae", "params": {}, "spec": {"kind": "vector", "dim": 4, "levels": null},'
        ' "feature": {"pixels": "all", "intensity": "continuous"}}'
    )
    import torch

    # a real torch checkpoint whose payload would create a file when unpickled
    torch.save({"model": _Payload(marker), "representation": {}}, model_dir / "weights.pt")
    with pytest.raises(CheckpointError, match="not a genautoml checkpoint") as refused:
        checkpoint.load(tmp_path / "run")
    assert not marker.exists()
    # The message names the file and stops there: none of torch's advice to load it anyway.
    assert "weights.pt" in str(refused.value) and "weights_only=False" not in str(refused.value)
    assert "trust" not in str(refused.value)
    with open(model_dir / "weights.pt", "wb") as handle:
        pickle.dump(_Payload(marker), handle)
    with pytest.raises(CheckpointError):
        checkpoint.load(tmp_path / "run")
    assert not marker.exists()


def test_truncated_checkpoint_is_a_clear_error(tmp_path):
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    (model_dir / "model.json").write_text(
        '{"modality": "image", "family": "vae", "params": {}, "spec": {"kind": "vector", "dim": 4, "levels": null},'
        ' "feature": {"pixels": "all", "intensity": "continuous"}}'
    )
    (model_dir / "weights.pt").write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(CheckpointError, match="weights.pt"):
        checkpoint.load(tmp_path)


def _python_sources():
    return [p for p in SOURCE.rglob("*.py")]


def test_no_unsafe_loading_in_the_code_base():
    offenders = []
    for path in _python_sources():
        text = path.read_text()
        for number, line in enumerate(text.splitlines(), start=1):
            code = line.split("#", 1)[0]
            if re.search(r"\bpickle\.loads?\(|\bcloudpickle\.loads?\(|\bmarshal\.loads?\(", code):
                offenders.append(f"{path}:{number}: {line.strip()}")
            if re.search(r"(?<![\w.])(eval|exec)\(", code):
                offenders.append(f"{path}:{number}: {line.strip()}")
            if re.search(r"\byaml\.(load|unsafe_load|full_load)\(", code):
                offenders.append(f"{path}:{number}: {line.strip()}")
            if "torch.load(" in code and "weights_only=True" not in code:
                offenders.append(f"{path}:{number}: {line.strip()}")
            if re.search(r"allow_pickle\s*=\s*True", code):
                offenders.append(f"{path}:{number}: {line.strip()}")
    assert not offenders, "\n".join(offenders)
