"""The family contract, run over every registered family on tiny data (seconds, CPU only)."""

from __future__ import annotations

import inspect
import itertools

import pytest
import torch

from genautoml.errors import TrialDiverged, TrialPruned
from genautoml.models.base import Autoregressive, Family
from genautoml.models.registry import all_families, get_family
from genautoml.search.space import ParamSpace
from genautoml.spec import EncodedSpec

FAMILIES = sorted(all_families())
SPECS = {
    "continuous": EncodedSpec("vector", 8),
    "levels2": EncodedSpec("vector", 8, 2),
    "levels5": EncodedSpec("vector", 8, 5),
    # rows of a table: two numbers, a 3-way and a 2-way category (genautoml/data/tabular)
    "table": EncodedSpec("vector", 7, blocks=(("number", 1), ("category", 3), ("number", 1), ("category", 2))),
    # mu-law companded waveform samples (genautoml/data/audio): for the families that model
    # nothing else (ddsp); the others meet waveforms in their own test files
    "waveform": EncodedSpec("vector", 256, shape=(256,), signal="mu_law"),
}
EPOCHS = 2


pytestmark = pytest.mark.usefixtures("one_thread_per_module")


def tiny_data(spec: EncodedSpec, n: int = 40, seed: int = 0) -> torch.Tensor:
    """Two noisy prototypes: structure a model can learn in a few epochs."""
    g = torch.Generator().manual_seed(seed)
    prototypes = torch.rand(2, spec.dim, generator=g)
    which = torch.randint(0, 2, (n,), generator=g)
    x = (prototypes[which] + 0.1 * torch.randn(n, spec.dim, generator=g)).clamp(0, 1)
    for kind, columns in spec.block_slices():  # a table's category blocks are one-hot
        if kind == "category":
            x[:, columns] = torch.nn.functional.one_hot(x[:, columns].argmax(1), columns.stop - columns.start).float()
    return torch.round(x * (spec.levels - 1)).long() if spec.discrete else x


def fast_params(cls: type[Family], **overrides) -> dict:
    """Settings that keep a fit to a fraction of a second, for the knobs this family has."""
    wanted = {"epochs": EPOCHS, "batch_size": 16, "hidden": 16, **overrides}
    return {k: v for k, v in wanted.items() if k in cls.param_names()}


def a_spec(name: str) -> EncodedSpec:
    """The first of SPECS the family models (continuous when it can)."""
    return next(s for s in SPECS.values() if get_family(name).supports(s))


def make(name: str, spec: EncodedSpec, **overrides) -> Family:
    cls = get_family(name)
    return cls(spec, **fast_params(cls, **overrides))


def cases(*, likelihood_only: bool = False) -> list:
    return [
        pytest.param(name, spec_key, id=f"{name}-{spec_key}")
        for name, spec_key in itertools.product(FAMILIES, SPECS)
        if get_family(name).supports(SPECS[spec_key]) and (get_family(name).has_likelihood or not likelihood_only)
        and (spec_key != "waveform" or a_spec(name) is SPECS["waveform"])
    ]


_FITTED: dict[tuple[str, str], tuple[Family, list[int]]] = {}


def fitted(name: str, spec_key: str) -> tuple[Family, list[int]]:
    """One fit per (family, spec), shared by the tests that only read the fitted model."""
    if (name, spec_key) not in _FITTED:
        spec = SPECS[spec_key]
        model, epochs = make(name, spec), []
        assert model.fit(tiny_data(spec), report=epochs.append, seed=0) is model
        _FITTED[name, spec_key] = (model, epochs)
    return _FITTED[name, spec_key]


def check_encoded(x: torch.Tensor, spec: EncodedSpec, n: int, name: str = "") -> None:
    assert x.shape == (n, spec.dim)
    if name and spec.blocks and not get_family(name).supports(EncodedSpec("vector", spec.dim)):
        # a family made for tables draws each category: an exact one-hot row per block
        for kind, columns in spec.block_slices():
            if kind == "category":
                block = x[:, columns]
                assert ((block == 0) | (block == 1)).all() and (block.sum(1) == 1).all(), f"block {columns} not one-hot"
    assert x.device.type == "cpu"
    if spec.discrete:
        assert x.dtype == torch.int64
        assert int(x.min()) >= 0 and int(x.max()) < spec.levels
    else:
        assert x.dtype == torch.float32
        assert torch.isfinite(x).all() and float(x.min()) >= 0.0 and float(x.max()) <= 1.0


# ---- declaration ----------------------------------------------------------------------


@pytest.mark.parametrize("name", FAMILIES)
def test_hyperparameters_are_explicit(name):
    cls = get_family(name)
    assert cls.name == name and cls.modalities and cls.summary
    params = inspect.signature(cls.__init__).parameters.values()
    assert not any(p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL) for p in params)
    annotations = cls.param_annotations()
    for pname, default in cls.param_defaults().items():
        assert default is not inspect.Parameter.empty, f"{name}.{pname} has no default"
        assert annotations[pname] is not inspect.Parameter.empty, f"{name}.{pname} has no annotation"
    spec = a_spec(name)
    model = cls(spec)
    assert model.get_params() == cls.param_defaults()
    with pytest.raises(TypeError):
        cls(spec, no_such_param=1)


@pytest.mark.parametrize("name", FAMILIES)
def test_default_space_addresses_real_params(name):
    cls = get_family(name)
    annotations = cls.param_annotations()
    assert set(cls.default_space) <= set(cls.param_names())
    values = {}
    for pname, raw in cls.default_space.items():
        value = ParamSpace.model_validate(raw).default_or_first()
        expected = annotations[pname]
        if expected is float:
            assert isinstance(value, (int, float)) and not isinstance(value, bool), pname
        elif expected in (int, bool, str):
            assert type(value) is expected, f"{name}.{pname}: {value!r} is not {expected.__name__}"
        values[pname] = value
    cls(a_spec(name), **values)


def space_corners() -> list:
    """Every choice and both ends of every int range of each default space, one at a time."""
    out = []
    for name in FAMILIES:
        for pname, raw in get_family(name).default_space.items():
            space = ParamSpace.model_validate(raw)
            values = space.value if space.kind in ("choice", "int") else ()
            out += [pytest.param(name, pname, v, id=f"{name}-{pname}={v}") for v in values]
    return out


@pytest.mark.parametrize("name, pname, value", space_corners())
def test_every_corner_of_the_default_space_trains(name, pname, value):
    spec = a_spec(name)
    model = make(name, spec, **{pname: value, "epochs": 1})
    model.fit(tiny_data(spec))
    check_encoded(model.sample(3, torch.Generator().manual_seed(0)), spec, 3, name)


# ---- fit, sample, persist -------------------------------------------------------------


@pytest.mark.parametrize("name, spec_key", cases())
def test_fit_reports_every_epoch_and_samples_in_the_encoded_space(name, spec_key):
    model, epochs = fitted(name, spec_key)
    if "epochs" in model.param_names():
        assert epochs == list(range(1, EPOCHS + 1))
    else:  # a family without epochs (e.g. counting) still reports, from 1 up
        assert epochs and epochs == list(range(1, len(epochs) + 1))
    check_encoded(model.sample(7, torch.Generator().manual_seed(3)), SPECS[spec_key], 7, name)


@pytest.mark.parametrize("name, spec_key", cases())
def test_sampling_is_reproducible_given_the_generator(name, spec_key):
    model, _ = fitted(name, spec_key)
    a = model.sample(9, torch.Generator().manual_seed(5))
    b = model.sample(9, torch.Generator().manual_seed(5))
    c = model.sample(9, torch.Generator().manual_seed(6))
    assert torch.equal(a, b)
    if not SPECS[spec_key].discrete:  # two epochs may not move discrete samples off one level
        assert not torch.equal(a, c)


@pytest.mark.parametrize("name, spec_key", cases())
def test_state_round_trips_through_a_weights_only_checkpoint(name, spec_key, tmp_path):
    model, _ = fitted(name, spec_key)
    spec = SPECS[spec_key]
    state = model.state()
    assert state and all(isinstance(v, torch.Tensor) for v in state.values())
    torch.save(state, tmp_path / "model.pt")
    loaded = type(model)(spec, **model.get_params())
    loaded.load_state(torch.load(tmp_path / "model.pt", weights_only=True))
    assert torch.equal(model.sample(11, torch.Generator().manual_seed(1)), loaded.sample(11, torch.Generator().manual_seed(1)))
    if model.has_likelihood:
        x = tiny_data(spec, n=10, seed=1)
        assert torch.allclose(model.log_likelihood(x), loaded.log_likelihood(x))


@pytest.mark.parametrize("name, spec_key", cases())
def test_to_moves_every_learned_module(name, spec_key):
    # load_state builds on the CPU; to() must find every module, nested families included.
    # The meta device shows a move without a GPU: a tensor left behind stays on the CPU.
    model, _ = fitted(name, spec_key)
    loaded = type(model)(SPECS[spec_key], **model.get_params())
    loaded.load_state(model.state())
    assert loaded.to("meta") is loaded and loaded.device_ == torch.device("meta")

    def tensors(family):
        for value in vars(family).values():
            if isinstance(value, torch.nn.Module):
                yield from value.parameters()
                yield from value.buffers()
            elif isinstance(value, Family):
                yield from tensors(value)

    moved = list(tensors(loaded))
    assert all(t.is_meta for t in moved)
    assert moved or name == "ngram"  # the n-gram's counts are plain arrays, with nothing to move


@pytest.mark.parametrize("name, spec_key", cases(likelihood_only=True))
def test_log_likelihood_is_finite_per_example_and_deterministic(name, spec_key):
    model, _ = fitted(name, spec_key)
    x = tiny_data(SPECS[spec_key], n=13, seed=2)
    ll = model.log_likelihood(x)
    assert ll.shape == (13,) and ll.is_floating_point()
    assert torch.isfinite(ll).all()
    assert torch.equal(ll, model.log_likelihood(x))


LIKELIHOOD_FAMILIES = [n for n in FAMILIES if get_family(n).has_likelihood]


@pytest.mark.parametrize("name", LIKELIHOOD_FAMILIES)
def test_likelihood_of_all_discrete_vectors_sums_to_at_most_one(name):
    """An exact likelihood sums to 1 over every possible vector; a lower bound to at most 1."""
    spec = EncodedSpec("vector", 2, 3)
    if not get_family(name).supports(spec):
        pytest.skip(f"{name} does not model discrete vectors")
    model = make(name, spec)
    model.fit(tiny_data(spec, n=20))
    every = torch.tensor(list(itertools.product(range(3), repeat=2)))  # all 9 vectors
    total = float(model.log_likelihood(every).exp().sum())
    assert total <= 1 + 1e-4
    if name == "rnn":
        assert total == pytest.approx(1.0, abs=1e-4)


def test_rnn_continuous_density_integrates_to_one():
    # Piecewise constant on the bin grid, so the integral is a sum over bin centres.
    bins, spec = 4, EncodedSpec("vector", 2)
    model = make("rnn", spec, bins=bins)
    model.fit(tiny_data(spec, n=20))
    centres = (torch.arange(bins) + 0.5) / bins
    grid = torch.cartesian_prod(centres, centres)
    assert float(model.log_likelihood(grid).exp().sum()) / bins**2 == pytest.approx(1.0, abs=1e-4)


#: nats per example that 14 more epochs must add. The hybrid's n-gram part is fully
#: counted before its first epoch ends, so only the network's share can still improve.
MIN_GAIN = {"hybrid": 0.1}


@pytest.mark.parametrize("name", [n for n in LIKELIHOOD_FAMILIES if "epochs" in get_family(n).param_names()])
def test_training_raises_the_likelihood_of_held_out_data(name):
    spec = a_spec(name)
    data = tiny_data(spec, n=240)
    train, held_out = data[:200], data[200:]
    short, longer = make(name, spec, epochs=1), make(name, spec, epochs=15)
    short.fit(train, seed=0)
    longer.fit(train, seed=0)
    before, after = (float(m.log_likelihood(held_out).mean()) for m in (short, longer))
    print(f"{name}: held-out log-likelihood {before:.2f} after 1 epoch, {after:.2f} after 15")
    assert after > before + MIN_GAIN.get(name, 0.5)


# ---- epochs alike: what cv's rungs and extended final training rely on ---------------


def extendable() -> list[str]:
    return [name for name in FAMILIES if get_family(name).extends_epochs and "epochs" in get_family(name).param_names()]


@pytest.mark.parametrize("name", extendable())
def test_a_kept_training_continued_after_scoring_is_the_straight_run(name):
    """A fit planned at 4 epochs, paused at 1 and sampled from (as cv scores a rung, drawing
    from the global generators too), then continued to 2, leaves exactly the model a fit of 2
    epochs leaves: the planned length and the pause change nothing (genautoml/pipeline/continued.py)."""
    import numpy as np

    from genautoml.pipeline.continued import KeptTraining

    spec = a_spec(name)
    data = tiny_data(spec)
    straight = make(name, spec, epochs=2).fit(data, seed=7)
    paused = make(name, spec, epochs=4)
    kept = KeptTraining(lambda hook: paused.fit(data, hook, seed=7), paused, None)
    try:
        assert kept.run_to(1, lambda epoch: None).epochs == 1
        paused.sample(5, torch.Generator().manual_seed(0))
        torch.rand(100), np.random.rand(10)  # the caller's own draws between the rungs
        assert kept.run_to(2, lambda epoch: None).epochs == 2
        a, b = straight.state(), paused.state()
        assert a.keys() == b.keys()
        changed = [k for k in a if not torch.equal(a[k], b[k])]
        assert not changed, f"{name}: continued training differs from a 2-epoch fit in {changed[:5]}"
    finally:
        kept.end()


# ---- failure paths --------------------------------------------------------------------


@pytest.mark.parametrize("name", FAMILIES)
def test_an_exception_from_report_stops_fit(name):
    spec = a_spec(name)
    seen = []

    def report(epoch):
        seen.append(epoch)
        raise TrialPruned()

    with pytest.raises(TrialPruned):
        make(name, spec).fit(tiny_data(spec), report=report)
    assert seen == [1]


@pytest.mark.parametrize("name", FAMILIES)
def test_nan_input_is_a_diverged_trial(name):
    spec = a_spec(name)
    if spec.discrete:
        pytest.skip(f"{name} only models integer levels, which cannot be NaN")
    data = tiny_data(spec)
    data[3, 2] = float("nan")
    with pytest.raises(TrialDiverged):
        make(name, spec).fit(data)


@pytest.mark.parametrize("name", [n for n in FAMILIES if "lr" in get_family(n).param_names()])
def test_absurd_learning_rate_is_a_diverged_trial(name):
    spec = a_spec(name)
    with pytest.raises(TrialDiverged):
        make(name, spec, lr=1e30, epochs=3).fit(tiny_data(spec), seed=0)


@pytest.mark.parametrize("name", FAMILIES)
def test_sampling_before_fit_is_an_error(name):
    with pytest.raises(RuntimeError):
        make(name, a_spec(name)).sample(2, torch.Generator().manual_seed(0))


# ---- the Autoregressive protocol ---------------------------------------------------------

#: the families that continue a prompt of tokens (their `generate`)
AUTOREGRESSIVE = {"hybrid", "ngram", "rnn", "transformer"}


@pytest.mark.parametrize("name", FAMILIES)
def test_autoregressive_families_and_only_they_satisfy_the_protocol(name):
    model = make(name, a_spec(name))
    assert isinstance(model, Autoregressive) is (name in AUTOREGRESSIVE)
    assert issubclass(get_family(name), Autoregressive) is (name in AUTOREGRESSIVE)


@pytest.mark.parametrize("name", sorted(AUTOREGRESSIVE))
def test_autoregressive_generate_continues_a_prompt(name):
    model, _ = fitted(name, "levels5")
    assert isinstance(model, Autoregressive)
    prompt = tiny_data(SPECS["levels5"], n=3)[:, :5]
    draw = model.generate(prompt, 12, torch.Generator().manual_seed(0), temperature=0.7, top_k=2)
    assert draw.shape == (3, 12) and draw.dtype == torch.long
    assert int(draw.min()) >= 0 and int(draw.max()) < SPECS["levels5"].levels
    again = model.generate(prompt, 12, torch.Generator().manual_seed(0), temperature=0.7, top_k=2)
    assert torch.equal(draw, again)
