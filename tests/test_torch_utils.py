"""The batching the gradient-trained families share (genautoml/models/_torch_utils.py)."""

import math

import torch

from genautoml.models._torch_utils import EpochSlices, even_batches, kl_to_prior, minibatches, posterior_draw


def test_epoch_slices_cut_shuffled_passes_into_epochs():
    device = torch.device("cpu")
    torch.manual_seed(3)
    whole = [b.tolist() for b in minibatches(10, 4, device)]
    torch.manual_seed(3)
    assert [b.tolist() for b in EpochSlices(10, 1.0, 4, device)()] == whole  # share 1: a pass, batch for batch
    torch.manual_seed(3)
    quarters = EpochSlices(10, 0.25, 2, device)
    epochs = [torch.cat(list(quarters())).tolist() for _ in range(8)]  # 8 epochs of 2 examples each
    assert all(len(e) == 2 for e in epochs)  # round(0.25 * 10)
    stream = sum(epochs, [])
    assert sorted(stream[:10]) == list(range(10))  # the first five epochs are one whole pass


def test_batches_are_as_even_as_they_can_be():
    # No ragged last batch: 1 294 examples at batch 256 are six batches of 215-216, not five
    # of 256 and one of 14 (a step on 14 examples is far noisier than the others).
    for n, size in ((1294, 256), (1437, 32), (10, 4), (7, 7), (3, 10)):
        batches = even_batches(torch.arange(n), size)
        lengths = [len(b) for b in batches]
        assert len(batches) == -(-n // size) and max(lengths) <= size and max(lengths) - min(lengths) <= 1
        assert torch.equal(torch.cat(batches), torch.arange(n))
    torch.manual_seed(0)
    assert sorted(len(b) for b in minibatches(1294, 256, torch.device("cpu"))) == [215, 215, 216, 216, 216, 216]


def test_kl_to_prior_is_the_closed_form_kl_of_diagonal_gaussians():
    from torch.distributions import Independent, Normal, kl_divergence

    g = torch.Generator().manual_seed(0)
    mean, log_var = torch.randn(5, 3, generator=g), torch.randn(5, 3, generator=g)
    q = Independent(Normal(mean, (0.5 * log_var).exp()), 1)
    prior = Independent(Normal(torch.zeros(5, 3), torch.ones(5, 3)), 1)
    assert torch.allclose(kl_to_prior(mean, log_var), kl_divergence(q, prior), atol=1e-6)
    assert torch.equal(kl_to_prior(torch.zeros(2, 4), torch.zeros(2, 4)), torch.zeros(2))
    # draws have the posterior's mean and spread
    torch.manual_seed(1)
    draws = posterior_draw(torch.full((20000, 1), 2.0), torch.full((20000, 1), math.log(9.0)))
    assert abs(float(draws.mean()) - 2.0) < 0.1 and abs(float(draws.std()) - 3.0) < 0.1
