"""Behaviour is pinned: the smoke searches give the trials, choice, metrics and samples
recorded in tests/golden/ (made on the code before the restructuring of issue 14)."""

import json

import pytest

from tests.golden.summary import MODALITIES, golden_path, run_smoke


def _differences(expected, actual, path=""):
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in sorted(set(expected) | set(actual)):
            yield from _differences(expected.get(key), actual.get(key), f"{path}.{key}" if path else key)
    elif isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        for i, (e, a) in enumerate(zip(expected, actual)):
            yield from _differences(e, a, f"{path}[{i}]")
    elif expected != actual:
        yield f"{path}: expected {expected!r}, got {actual!r}"


@pytest.mark.parametrize("modality", MODALITIES)
def test_smoke_search_matches_golden(modality, tmp_path):
    expected = json.loads(golden_path(modality).read_text())
    actual = json.loads(json.dumps(run_smoke(modality, tmp_path / "run"), sort_keys=True))
    differences = list(_differences(expected, actual))
    assert not differences, "\n".join(differences[:20])
