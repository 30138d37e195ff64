"""Behaviour is pinned: the smoke searches give the trials, choice, metrics and samples
recorded in tests/golden/ (made on the code before the restructuring of issue 14), figures
to the tolerance that tests/golden/summary.py states."""

import json

import pytest

from tests.golden.summary import MODALITIES, differences, golden_path


@pytest.mark.parametrize("modality", MODALITIES)
def test_smoke_search_matches_golden(modality, smoke_runs):
    expected = json.loads(golden_path(modality).read_text())
    _, summary = smoke_runs(modality)
    actual = json.loads(json.dumps(summary, sort_keys=True))
    found = list(differences(expected, actual))
    assert not found, "\n".join(found[:20])


def test_differences_tolerate_rounding_and_nothing_else():
    golden = {"figure": 2.5, "epochs": 3, "family": "vae", "ok": True, "curve": [1.0, 2.0]}
    assert not list(differences(golden, {**golden, "figure": 2.5 * (1 + 1e-5)}))
    assert list(differences(golden, {**golden, "figure": 2.6}))
    assert list(differences(golden, {**golden, "epochs": 4}))
    assert list(differences(golden, {**golden, "family": "gan"}))
    assert list(differences(golden, {**golden, "ok": False}))
    assert list(differences(golden, {**golden, "curve": [1.0]}))
    assert list(differences(golden, {k: v for k, v in golden.items() if k != "ok"}))
