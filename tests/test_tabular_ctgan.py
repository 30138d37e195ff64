"""``ctgan`` on tiny hand-encoded tables: it learns frequencies and dependencies between
blocks, trains by sampling rare categories up, and copes with tables without conditions."""

from __future__ import annotations

import math

import pytest
import torch
from torch.nn import functional as F

from genautoml.models.ctgan import CTGAN
from genautoml.spec import EncodedSpec

pytestmark = pytest.mark.usefixtures("one_thread_per_module")

#: block A (3 categories), block B (2 categories), one number
SPEC = EncodedSpec("vector", 6, blocks=(("category", 3), ("category", 2), ("number", 1)))
A_FREQUENCIES = (0.6, 0.3, 0.1)
#: B copies "A is its first category" for this share of rows; the rest flip it
B_AGREES = 0.95


def dependent_table(n: int, seed: int = 0) -> torch.Tensor:
    """Rows where B almost always says whether A is 0, and the number is low when A is 0."""
    g = torch.Generator().manual_seed(seed)
    a = torch.multinomial(torch.tensor(A_FREQUENCIES), n, replacement=True, generator=g)
    first = (a == 0).long()
    agrees = (torch.rand(n, generator=g) < B_AGREES).long()
    b = first * agrees + (1 - first) * (1 - agrees)  # B = 1 means "A is 0", mostly
    number = torch.where(a == 0, 0.25, 0.75) + 0.05 * torch.randn(n, generator=g)
    return torch.cat([F.one_hot(a, 3).float(), F.one_hot(b, 2).float(), number.clamp(0, 1).unsqueeze(1)], dim=1)


def codes(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    return x[:, 0:3].argmax(1), x[:, 3:5].argmax(1)


@pytest.fixture(scope="module")
def learned() -> tuple[torch.Tensor, torch.Tensor]:
    torch.manual_seed(0)
    data = dependent_table(500)
    model = CTGAN(SPEC, lr=1e-3, batch_size=100, epochs=100, latent_dim=16, hidden=64, depth=2, pac=10)
    model.fit(data, seed=0)
    return data, model.sample(2000, torch.Generator().manual_seed(1))


def test_samples_reproduce_the_category_frequencies(learned):
    data, samples = learned
    a, _ = codes(samples)
    frequencies = torch.bincount(a, minlength=3).float() / len(a)
    real = torch.bincount(codes(data)[0], minlength=3).float() / len(data)
    # the rare category keeps its own share: sampling conditions follow the data, not the log-weighted training draw
    assert torch.allclose(frequencies, real, atol=0.08), (frequencies, real)


def test_samples_reproduce_the_dependency_between_blocks(learned):
    _, samples = learned
    a, b = codes(samples)
    b_given_a0 = float((b[a == 0] == 1).float().mean())
    b_given_other = float((b[a != 0] == 1).float().mean())
    # independent draws would give both about P(B = 1) = 0.59; the data gives 0.95 and 0.05
    assert b_given_a0 > 0.8 and b_given_other < 0.25, (b_given_a0, b_given_other)
    number = samples[:, 5]
    assert float(number[a != 0].mean() - number[a == 0].mean()) > 0.25


def test_training_by_sampling_draws_rare_categories_up_and_matching_rows():
    from genautoml.models._ctgan_net import BlockLayout
    from genautoml.models._ctgan_train import ConditionSampler

    torch.manual_seed(0)
    data = dependent_table(1000)
    sampler = ConditionSampler(BlockLayout(SPEC), data)
    condition, block, category, rows = sampler.draw(20000)
    a, b = codes(data)
    asked_a = category[block == 0]
    # category weights are log(count + 1), not counts: the rare third category gains
    counts = torch.bincount(a, minlength=3).float()
    expected = torch.log1p(counts) / torch.log1p(counts).sum()
    assert torch.allclose(torch.bincount(asked_a, minlength=3).float() / len(asked_a), expected, atol=0.02)
    assert float((block == 0).float().mean()) == pytest.approx(0.5, abs=0.02)
    # every real row has the category its condition asks for, and the condition says so
    assert torch.equal(torch.where(block == 0, a[rows], b[rows]), category)
    assert torch.equal(condition.argmax(1), torch.where(block == 0, category, 3 + category))
    assert torch.equal(condition.sum(1), torch.ones(len(rows)))


@pytest.mark.parametrize("blocks", [(("number", 1), ("number", 1)), (("number", 1), ("category", 1))],
                         ids=["numbers-only", "one-category-block"])
def test_a_table_without_a_conditioning_block_trains_unconditioned(blocks):
    spec = EncodedSpec("vector", 2, blocks=blocks)
    data = torch.rand(60, 2)
    if blocks[1][0] == "category":
        data[:, 1] = 1.0
    model = CTGAN(spec, batch_size=20, epochs=2, hidden=16, latent_dim=8, pac=5)
    model.fit(data, seed=0)
    samples = model.sample(30, torch.Generator().manual_seed(0))
    assert samples.shape == (30, 2) and samples.dtype == torch.float32
    assert float(samples.min()) >= 0 and float(samples.max()) <= 1
    if blocks[1][0] == "category":
        assert torch.equal(samples[:, 1], torch.ones(30))


def test_batches_round_to_whole_packs_and_tables_smaller_than_a_batch_train():
    # 23 rows, batch 50, pac 10: the batch is clipped to the table, then down to 20 rows (two packs)
    model = CTGAN(SPEC, batch_size=50, epochs=1, hidden=16, latent_dim=8, pac=10)
    model.fit(dependent_table(23), seed=0)
    samples = model.sample(5, torch.Generator().manual_seed(0))
    assert (samples[:, 0:3].sum(1) == 1).all() and (samples[:, 3:5].sum(1) == 1).all()


def test_the_same_seed_trains_the_same_model():
    data = dependent_table(40)
    first, second = (CTGAN(SPEC, batch_size=20, epochs=2, hidden=16, latent_dim=8, pac=5) for _ in range(2))
    first.fit(data, seed=3)
    second.fit(data, seed=3)
    generator = torch.Generator()
    assert torch.equal(first.sample(10, generator.manual_seed(0)), second.sample(10, generator.manual_seed(0)))


def test_only_specs_with_blocks_are_supported():
    assert CTGAN.supports(SPEC)
    assert not CTGAN.supports(EncodedSpec("vector", 6))
    assert not CTGAN.supports(EncodedSpec("vector", 6, 4))
    assert CTGAN.modalities == ("tabular",) and not CTGAN.has_likelihood and CTGAN.extends_epochs


def test_pac_out_of_range_is_named_by_the_bounds():
    assert CTGAN.param_bounds()["pac"].problem(0) is not None
    assert CTGAN.param_bounds()["pac"].problem(10) is None
    assert math.isfinite(CTGAN.param_bounds()["pac"].high)
