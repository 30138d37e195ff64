"""``tabddpm``: the processes' maths, and that a short fit learns a small table's structure."""

from __future__ import annotations

import pytest
import torch

from genautoml.models._tabddpm_process import TabularProcess
from genautoml.models.tabddpm import TabDDPM
from genautoml.spec import EncodedSpec

pytestmark = pytest.mark.usefixtures("one_thread_per_module")

#: a number, a 3-way category A and a 2-way category B that follows A
SPEC = EncodedSpec("vector", 6, blocks=(("number", 1), ("category", 3), ("category", 2)))
A_FREQUENCIES = torch.tensor([0.5, 0.3, 0.2])
#: B copies whether A is 0, except for this share of rows
B_FLIP = 0.05


def dependent_table(n: int, seed: int = 0) -> torch.Tensor:
    """Rows where B is (almost) a function of A, and the number is low when A is 0, high otherwise."""
    g = torch.Generator().manual_seed(seed)
    a = torch.multinomial(A_FREQUENCIES, n, replacement=True, generator=g)
    b = (a != 0).long() ^ (torch.rand(n, generator=g) < B_FLIP).long()
    number = torch.where(a == 0, 0.4 * torch.rand(n, generator=g), 0.6 + 0.4 * torch.rand(n, generator=g))
    onehot = torch.nn.functional.one_hot
    return torch.cat([number.unsqueeze(1), onehot(a, 3).float(), onehot(b, 2).float()], dim=1)


def columns(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    return x[:, 0], x[:, 1:4].argmax(1), x[:, 4:6].argmax(1)


def test_a_short_fit_reproduces_frequencies_and_the_dependency_between_blocks():
    data = dependent_table(400)
    model = TabDDPM(SPEC, epochs=100, batch_size=64, hidden=128, depth=2, timesteps=50, lr=2e-3, ema=0.99)
    model.fit(data, seed=0)
    number, a, b = columns(model.sample(600, torch.Generator().manual_seed(0)))
    frequencies, in_data = (torch.bincount(codes, minlength=3).float() / len(codes) for codes in (a, columns(data)[1]))
    assert (frequencies - in_data).abs().sum() / 2 < 0.1, (frequencies, in_data)
    # Independent draws of A and B would put P(B=0 | A=0) at P(B=0), about 0.5; the table has 0.95.
    b_follows_a = float((b[a == 0] == 0).float().mean())
    b_follows_not_a = float((b[a != 0] == 1).float().mean())
    assert b_follows_a > 0.8 and b_follows_not_a > 0.8, (b_follows_a, b_follows_not_a)
    # The number is below 0.4 for A = 0 and above 0.6 otherwise in the data: the samples keep most of the gap.
    low, high = float(number[a == 0].mean()), float(number[a != 0].mean())
    assert high - low > 0.4, (low, high)


@pytest.mark.parametrize("blocks", [(("number", 1), ("number", 1)), (("category", 3), ("category", 1))],
                         ids=["numbers-only", "categories-only"])
def test_a_table_of_one_kind_of_block_fits_and_samples(blocks):
    spec = EncodedSpec("vector", sum(width for _, width in blocks), blocks=blocks)
    data = dependent_table(32)
    x = data[:, :2] if spec.dim == 2 else torch.cat([data[:, 1:4], torch.ones(32, 1)], dim=1)
    model = TabDDPM(spec, epochs=2, batch_size=16, hidden=16, timesteps=10).fit(x, seed=0)
    out = model.sample(5, torch.Generator().manual_seed(0))
    assert out.shape == (5, spec.dim) and float(out.min()) >= 0 and float(out.max()) <= 1
    if spec.dim == 4:
        assert torch.equal(out[:, 3], torch.ones(5))  # a block of one category is always that category
        assert torch.equal(out[:, :3].sum(1), torch.ones(5))


def test_a_category_block_that_is_not_one_hot_is_refused_with_its_columns():
    x = dependent_table(20)
    x[7, 1:4] = torch.tensor([0.5, 0.5, 0.5])
    with pytest.raises(ValueError, match=r"columns 1\.\.3 is not one-hot in row 7"):
        TabDDPM(SPEC, epochs=1, hidden=16, timesteps=10).fit(x)


def test_supports_only_specs_with_blocks():
    assert TabDDPM.supports(SPEC)
    assert not TabDDPM.supports(EncodedSpec("vector", 6))
    assert not TabDDPM.supports(EncodedSpec("vector", 6, 2))


# ---- the multinomial process against Bayes' rule ---------------------------------------------


def transition_matrices(process: TabularProcess, k: int) -> list[torch.Tensor]:
    """One-step matrices Q_t[i, j] = q(x_t = j | x_{t-1} = i) for a block of k categories."""
    alphas = (process.log_alpha.double().exp())
    return [a * torch.eye(k, dtype=torch.float64) + (1 - a) / k for a in alphas]


@pytest.mark.parametrize("schedule", ["cosine", "linear"])
def test_the_closed_forms_agree_with_chained_steps_and_bayes_rule(schedule):
    spec = EncodedSpec("vector", 4, blocks=(("category", 4),))
    process = TabularProcess(spec, timesteps=12, schedule=schedule, numbers="normal")
    steps = transition_matrices(process, 4)
    x0 = torch.tensor([2])  # category 2 in one row
    log_x0 = process.log_onehot(x0.view(1, 1))
    marginal = torch.eye(4, dtype=torch.float64)[2]  # q(x_t | x_0) by chaining one-step matrices
    for t in range(12):
        before, marginal = marginal, marginal @ steps[t]
        closed = process.log_q_xt(log_x0, torch.tensor([t])).exp().double().view(4)
        assert torch.allclose(closed, marginal, atol=1e-5), t
        if t == 0:
            continue
        for xt in range(4):  # Bayes: q(x_{t-1} | x_t, x_0) is q(x_t | x_{t-1}) q(x_{t-1} | x_0), normalised
            bayes = steps[t][:, xt] * before
            bayes = bayes / bayes.sum()
            posterior = process.log_posterior(log_x0, torch.tensor([[xt]]), torch.tensor([t])).exp().double().view(4)
            assert torch.allclose(posterior, bayes, atol=1e-5), (t, xt)


def test_padding_of_narrow_blocks_gets_no_probability():
    spec = EncodedSpec("vector", 6, blocks=(("category", 2), ("category", 4)))
    process = TabularProcess(spec, timesteps=5, schedule="cosine", numbers="normal")
    log_x0 = process.log_onehot(torch.tensor([[1, 3]]))
    for t in range(5):
        posterior = process.log_posterior(log_x0, torch.tensor([[0, 2]]), torch.tensor([t])).exp()
        assert torch.allclose(posterior.sum(-1), torch.ones(1, 2))
        assert float(posterior[0, 0, 2:].sum()) == 0.0  # the 2-way block's padded entries


@pytest.mark.parametrize("numbers", ["normal", "linear"])
def test_numbers_map_to_the_model_space_and_back(numbers):
    process = TabularProcess(SPEC, timesteps=5, schedule="cosine", numbers=numbers)
    values = torch.linspace(1e-3, 1 - 1e-3, 50)
    assert torch.allclose(process.from_model(process.to_model(values)), values, atol=1e-5)
    limit = process.number_limit()
    assert float(process.to_model(torch.tensor([0.0, 1.0])).abs().max()) == pytest.approx(limit, rel=1e-4)
