"""Fixtures shared by the tests; plain helpers are in tests/helpers.py."""

from __future__ import annotations

import textwrap

import pytest

from tests.helpers import invoke


@pytest.fixture
def write_yaml(tmp_path):
    """``write_yaml(text, name="config.yaml")``: the dedented text as a file under tmp_path."""

    def write(text: str, name: str = "config.yaml"):
        path = tmp_path / name
        path.write_text(textwrap.dedent(text))
        return path

    return write


def _torch_on_one_thread():
    """Torch on one thread, restored afterwards: for tiny models two OpenMP threads on a
    loaded 2-core machine spin against each other (it made the contract tests 5x slower)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


#: for one test
one_thread = pytest.fixture(_torch_on_one_thread, name="one_thread")
#: for every test of a module that says ``pytestmark = pytest.mark.usefixtures("one_thread_per_module")``
one_thread_per_module = pytest.fixture(_torch_on_one_thread, scope="module", name="one_thread_per_module")


TINY = """
name: tiny
seed: 0
device: cpu
data: {modality: image, source: builtin:digits, max_examples: 150, test_fraction: 0.2}
features:
  - {pixels: drop_constant, intensity: continuous}
  - {pixels: drop_constant, intensity: binary}
models:
  - {family: vae, params: {epochs: 2, hidden: 32, depth: 1}}
  - {family: gan, params: {epochs: 2, hidden: 32, depth: 1}}
  - {family: rnn, params: {epochs: 1, hidden: 16, layers: 1}}
search: {cv_folds: 2, top_k: 2, max_trials: 3, time_budget: 120, grace_epochs: 0, max_eval_examples: 60}
train: {samples: 16}
"""


@pytest.fixture(scope="session")
def finished_run(tmp_path_factory):
    """A tiny image search run to the end through the CLI: (config, run directory, output).
    Shared by every test module: tests that change a run work on a copy."""
    folder = tmp_path_factory.mktemp("pipeline")
    config = folder / "tiny.yaml"
    config.write_text(textwrap.dedent(TINY))
    run_dir = folder / "run"
    result = invoke("search", config, "--run-dir", run_dir)
    assert result.exit_code == 0, result.output
    return config, run_dir, result.output


@pytest.fixture(scope="session")
def smoke_runs(tmp_path_factory):
    """``smoke_runs(modality)`` -> (run directory, golden summary) of configs/smoke-MODALITY.yaml
    searched to the end in a fresh process, once per session: the golden test and the
    report's browser test read the same runs. Tests that change a run work on a copy."""
    from tests.golden.summary import run_smoke

    done: dict[str, tuple] = {}

    def get(modality: str):
        if modality not in done:
            run_dir = tmp_path_factory.mktemp(f"smoke-{modality}") / "run"
            done[modality] = (run_dir, run_smoke(modality, run_dir))
        return done[modality]

    return get
