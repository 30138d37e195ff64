"""Embedded categories: compact, alike categories near each other, exact round trip."""

from __future__ import annotations

import numpy as np
import torch

from genautoml.data.tabular.embedding import EmbeddedCategories, embedding_size
from genautoml.data.tabular.representations import TabularRepresentation
from genautoml.data.tabular.table import Column, Table
from genautoml.schema.tabular import TabularFeature

CITIES = ("a", "b", "c", "x", "y", "z", "never")


def cities_table(n: int = 600, seed: int = 0) -> Table:
    """Cities a-c go with high incomes, x-z with low ones; "never" is a category no row holds."""
    rng = np.random.default_rng(seed)
    city = rng.integers(0, 6, n)
    income = np.where(city < 3, 80.0, 20.0) + rng.normal(0, 5, n)
    columns = (Column("income", "continuous", low=float(income.min()), high=float(income.max())),
               Column("city", "categorical", CITIES))
    return Table(columns, {"income": income, "city": city})


def test_size_is_about_log2_of_the_categories():
    assert [embedding_size(k) for k in (2, 3, 4, 5, 8, 9, 40)] == [1, 2, 2, 3, 3, 4, 6]


def test_alike_categories_lie_near_each_other():
    representation = TabularRepresentation(TabularFeature(categories="embedding")).fit(cities_table())
    points = representation.coders_[1].points
    assert points.shape == (7, 3) and np.isnan(points[6]).all()  # no row holds "never": no point
    distance = np.linalg.norm(points[:6, None] - points[None, :6], axis=2)
    within = [distance[i, j] for group in ((0, 1, 2), (3, 4, 5)) for i in group for j in group if i < j]
    across = [distance[i, j] for i in (0, 1, 2) for j in (3, 4, 5)]
    assert max(within) < min(across)


def test_round_trip_is_exact_and_noise_lands_on_an_alike_category():
    table = cities_table()
    representation = TabularRepresentation(TabularFeature(categories="embedding")).fit(table)
    encoded = representation.encode(table)
    assert representation.spec.dim == 1 + 3 and float(encoded.min()) >= 0 and float(encoded.max()) <= 1
    np.testing.assert_array_equal(representation.decode(encoded).values["city"], table.values["city"])
    noisy = encoded.clone()
    noisy[:, 1:] += 0.1 * torch.randn(noisy[:, 1:].shape, generator=torch.Generator().manual_seed(0))
    decoded = representation.decode(noisy).values["city"]
    assert 6 not in decoded  # never the category no row holds
    moved = decoded != table.values["city"]
    same_group = (decoded < 3) == (table.values["city"] < 3)
    assert same_group[moved].mean() > 0.9  # a wrong category is still an alike one


def test_state_round_trip_keeps_the_points_and_the_unheld_category():
    table = cities_table()
    representation = TabularRepresentation(TabularFeature(categories="embedding")).fit(table)
    again = TabularRepresentation(TabularFeature(categories="embedding"))
    again.load_state(representation.state())
    coder = again.coders_[1]
    assert isinstance(coder, EmbeddedCategories)
    np.testing.assert_array_equal(coder.points, representation.coders_[1].points)
    assert torch.equal(again.encode(table), representation.encode(table))
