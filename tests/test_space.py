
import pytest
from hyperopt import pyll
from pydantic import ValidationError

from genautoml.search.space import ParamSpace, family_space, plain, to_hyperopt


def draw(expr, n=200, seed=0):
    import numpy as np

    rng = np.random.default_rng(seed)
    return [pyll.stochastic.sample(expr, rng=rng) for _ in range(n)]


def test_round_trip_every_kind():
    for raw in ({"choice": [1, "a"]}, {"uniform": [0.0, 1.0]}, {"loguniform": [1e-4, 1e-2]},
                {"int": [1, 4]}, {"quniform": [32, 256, 32]}, {"const": 5}):
        assert ParamSpace.model_validate(raw).model_dump() == raw


def test_bare_value_is_const():
    assert ParamSpace.model_validate(7).model_dump() == {"const": 7}


@pytest.mark.parametrize("raw, message", [
    ({"uniform": [1.0, 1.0]}, "low < high"),
    ({"int": [5, 2]}, "low < high"),
    ({"loguniform": [0.0, 1.0]}, "positive"),
    ({"loguniform": [-1.0, 1.0]}, "positive"),
    ({"quniform": [0, 10, 0]}, "step must be positive"),
    ({"quniform": [10, 20, 32]}, "no multiple of 32"),
    ({"uniform": [0, 1], "int": [0, 1]}, "exactly one"),
    ({"normal": [0, 1]}, "Extra inputs"),
])
def test_bad_ranges_rejected(raw, message):
    with pytest.raises(ValidationError, match=message):
        ParamSpace.model_validate(raw)


def test_loguniform_uses_real_units():
    values = draw(to_hyperopt("lr", ParamSpace.model_validate({"loguniform": [1e-4, 1e-2]})))
    assert all(1e-4 <= v <= 1e-2 for v in values)
    # log-uniform: about half the draws below the geometric mean
    below = sum(v < 1e-3 for v in values) / len(values)
    assert 0.35 < below < 0.65


def test_int_and_quniform_come_back_as_ints():
    ints = draw(to_hyperopt("n", ParamSpace.model_validate({"int": [1, 3]})))
    assert set(ints) == {1, 2, 3} and all(isinstance(plain(v), int) for v in ints)
    widths = draw(to_hyperopt("w", ParamSpace.model_validate({"quniform": [32, 128, 32]})))
    assert set(plain(widths)) <= {32, 64, 96, 128} and all(isinstance(plain(v), int) for v in widths)


def test_quniform_stays_inside_its_bounds():
    # hyperopt's own quniform draws 0 here: round(uniform(10, 100) / 32) * 32
    widths = draw(to_hyperopt("w", ParamSpace.model_validate({"quniform": [10, 100, 32]})))
    assert set(plain(widths)) == {32, 64, 96}
    steps = draw(to_hyperopt("s", ParamSpace.model_validate({"quniform": [0.1, 1.0, 0.25]})))
    assert {round(v, 9) for v in plain(steps)} == {0.25, 0.5, 0.75, 1.0}


def test_family_space_namespaces_labels():
    space = family_space({
        "vae": {"lr": ParamSpace.model_validate({"uniform": [0, 1]})},
        "gan": {"lr": ParamSpace.model_validate({"uniform": [0, 1]}), "depth": ParamSpace(const=2)},
    })
    points = draw(space, n=50)
    assert {p["family"] for p in points} == {"vae", "gan"}
    assert all(p["params"]["depth"] == 2 for p in points if p["family"] == "gan")
    labels = {node.arg["label"].obj for node in pyll.dfs(space) if node.name == "hyperopt_param"}
    assert {"family", "vae.lr", "gan.lr"} <= labels
