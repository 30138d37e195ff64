"""The tabular representations: every column to values in [0, 1] in blocks, and back."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from genautoml.data.tabular.representations import TabularRepresentation
from genautoml.data.tabular.table import BOOLEAN_CATEGORIES, Column, Table
from genautoml.schema.tabular import TabularFeature

FEATURES = [
    TabularFeature(numbers="quantile", categories="onehot"),
    TabularFeature(numbers="modes", categories="onehot"),
    TabularFeature(numbers="quantile", categories="uniform"),
    TabularFeature(numbers="modes", categories="uniform", max_modes=3),
    TabularFeature(numbers="quantile", categories="embedding"),
]


def a_table(n: int = 300, seed: int = 0) -> Table:
    """Every column type, missing values in two of them, a bimodal number."""
    rng = np.random.default_rng(seed)
    bimodal = np.where(rng.random(n) < 0.4, rng.normal(-5, 0.5, n), rng.normal(3, 1.0, n))
    income = rng.lognormal(10, 0.5, n)
    income[rng.random(n) < 0.1] = np.nan
    region = rng.choice(3, n, p=[0.6, 0.3, 0.1])
    region[rng.random(n) < 0.05] = -1
    columns = (
        Column("bimodal", "continuous", low=float(bimodal.min()), high=float(bimodal.max())),
        Column("income", "continuous", low=float(np.nanmin(income)), high=float(np.nanmax(income)), has_missing=True),
        Column("visits", "integer", low=0.0, high=20.0),
        Column("signup", "datetime", low=1.5e9, high=1.7e9),
        Column("region", "categorical", ("north", "south", "west"), has_missing=True),
        Column("member", "boolean", BOOLEAN_CATEGORIES),
    )
    values = {
        "bimodal": bimodal, "income": income, "visits": rng.poisson(4, n).clip(0, 20).astype(float),
        "signup": rng.uniform(1.5e9, 1.7e9, n), "region": region, "member": rng.integers(0, 2, n),
    }
    return Table(columns, values, target="member")


@pytest.mark.parametrize("feature", FEATURES, ids=lambda f: f"{f.numbers}-{f.categories}")
def test_encoding_is_blocks_of_unit_values_and_decodes_back(feature):
    table = a_table()
    representation = TabularRepresentation(feature).fit(table)
    spec = representation.spec
    encoded = representation.encode(table)
    assert encoded.shape == (len(table), spec.dim) and encoded.dtype == torch.float32
    assert float(encoded.min()) >= 0 and float(encoded.max()) <= 1
    for kind, columns in spec.block_slices():
        if kind == "category":  # exactly one 1 per row
            block = encoded[:, columns]
            assert ((block == 0) | (block == 1)).all() and (block.sum(1) == 1).all()
    decoded = representation.decode(encoded)
    assert decoded.names == table.names and decoded.target == "member"
    for name in ("region", "member", "visits"):  # exact: categories, integers
        np.testing.assert_array_equal(decoded.values[name], table.values[name])
    for name in ("income", "bimodal", "signup"):  # numbers within a small share of their range
        np.testing.assert_array_equal(np.isnan(decoded.values[name]), np.isnan(table.values[name]))
        present = ~np.isnan(table.values[name])
        spread = np.ptp(table.values[name][present])
        assert np.max(np.abs(decoded.values[name][present] - table.values[name][present])) < 0.02 * spread


def test_missing_values_get_a_presence_block_and_categories_one_more_category():
    table = a_table()
    spec = TabularRepresentation(TabularFeature()).fit(table).spec
    # bimodal (1), income (1 + presence 2), visits (1), signup (1), region (3 + missing), member (2)
    assert spec.blocks == (("number", 1), ("number", 1), ("category", 2), ("number", 1), ("number", 1),
                           ("category", 4), ("category", 2))


def test_modes_keep_a_bimodal_column_apart():
    table = a_table()
    representation = TabularRepresentation(TabularFeature(numbers="modes")).fit(table)
    coder = representation.coders_[0]
    assert len(coder.values.means) >= 2
    assert min(coder.values.means) < -3 and max(coder.values.means) > 1
    # quantile ranks are uniform; mode offsets sit around the middle of [0, 1]
    offsets = representation.encode(table)[:, 0].numpy()
    assert abs(float(np.median(offsets)) - 0.5) < 0.1


def test_decoded_samples_keep_types_and_constraints():
    table = a_table()
    representation = TabularRepresentation(TabularFeature()).fit(table)
    noise = torch.rand(500, representation.spec.dim, generator=torch.Generator().manual_seed(0))
    decoded = representation.decode(noise)
    visits = decoded.values["visits"]
    assert np.all(visits == np.round(visits)) and visits.min() >= 0 and visits.max() <= 20
    present = decoded.values["income"][~np.isnan(decoded.values["income"])]
    assert present.min() >= table.column("income").low and present.max() <= table.column("income").high
    assert set(np.unique(decoded.values["region"])) <= {-1, 0, 1, 2}


def test_uniform_categories_decode_by_frequency_interval():
    table = a_table()
    representation = TabularRepresentation(TabularFeature(categories="uniform")).fit(table)
    region = next(c for c in representation.coders_ if c.column.name == "region")
    # uniform values over [0, 1] decode to categories at their training frequencies
    u = np.linspace(0, 1, 10001)[:, None]
    decoded = region.decode(u)
    expected = np.bincount(np.where(table.values["region"] < 0, 3, table.values["region"]), minlength=4) / len(table)
    observed = np.bincount(np.where(decoded < 0, 3, decoded), minlength=4) / len(decoded)
    np.testing.assert_allclose(observed, expected, atol=0.002)


def test_state_round_trips_through_a_weights_only_checkpoint(tmp_path):
    table = a_table()
    for feature in FEATURES:
        fitted = TabularRepresentation(feature).fit(table)
        torch.save(fitted.state(), tmp_path / "rep.pt")
        loaded = TabularRepresentation(feature)
        loaded.load_state(torch.load(tmp_path / "rep.pt", weights_only=True))
        assert loaded.spec == fitted.spec
        torch.testing.assert_close(loaded.encode(table), fitted.encode(table))
        again = loaded.decode(fitted.encode(table))
        for name in table.names:
            np.testing.assert_array_equal(again.values[name], fitted.decode(fitted.encode(table)).values[name])


def test_fitted_on_training_rows_only():
    """Values beyond the training range decode into it (ranks saturate; the schema's bounds clip)."""
    table = a_table()
    train = table.subset(np.flatnonzero(table.values["bimodal"] < 0))
    representation = TabularRepresentation(TabularFeature()).fit(train)
    decoded = representation.decode(representation.encode(table))
    assert np.nanmax(decoded.values["bimodal"]) <= np.nanmax(train.values["bimodal"]) + 1e-9


def test_samples_keep_the_decimals_of_the_training_values():
    rng = np.random.default_rng(1)
    price = np.round(rng.lognormal(3, 1, 200), 2)
    seconds = np.round(rng.uniform(1.5e9, 1.6e9, 200))
    table = Table((Column("price", "continuous", low=float(price.min()), high=float(price.max())),
                   Column("when", "datetime", low=1.5e9, high=1.6e9)), {"price": price, "when": seconds})
    representation = TabularRepresentation(TabularFeature()).fit(table)
    decoded = representation.decode(torch.rand(300, representation.spec.dim, generator=torch.Generator().manual_seed(0)))
    np.testing.assert_allclose(decoded.values["price"], np.round(decoded.values["price"], 2), rtol=0, atol=1e-9)
    assert not np.allclose(decoded.values["price"], np.round(decoded.values["price"], 1))  # not rounded further
    np.testing.assert_array_equal(decoded.values["when"], np.round(decoded.values["when"]))
