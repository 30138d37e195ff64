"""The text families: exact likelihoods (probabilities sum to one), sampling, persistence."""

import itertools
import math

import numpy as np
import pytest
import torch

from genautoml.models._torch_utils import temper
from genautoml.models.ngram import NGram
from genautoml.models.registry import get_family
from genautoml.models.transformer import Transformer
from genautoml.spec import EncodedSpec

pytestmark = pytest.mark.usefixtures("one_thread_per_module")


def all_windows(vocab: int, length: int) -> torch.Tensor:
    return torch.tensor(list(itertools.product(range(vocab), repeat=length)), dtype=torch.long)


def markov_windows(n: int, length: int, vocab: int, seed: int = 0) -> torch.Tensor:
    """Windows of a simple Markov chain: mostly token+1, sometimes a jump."""
    rng = np.random.default_rng(seed)
    out = np.zeros((n, length), dtype=np.int64)
    out[:, 0] = rng.integers(0, vocab, n)
    for t in range(1, length):
        jump = rng.random(n) < 0.2
        out[:, t] = np.where(jump, rng.integers(0, vocab, n), (out[:, t - 1] + 1) % vocab)
    return torch.from_numpy(out)


@pytest.mark.parametrize("order", [1, 2, 3, 5])
def test_ngram_window_probabilities_sum_to_one(order):
    # Every possible window of 3 tokens over 4 tokens: their probabilities must add up to 1.
    spec = EncodedSpec("vector", 3, 4)
    model = NGram(spec, order=order).fit(markov_windows(50, 3, 4))
    total = model.log_likelihood(all_windows(4, 3)).exp().sum().item()
    assert total == pytest.approx(1.0, abs=1e-9)


def test_ngram_next_token_distributions_are_normalised_and_match_the_likelihood():
    spec = EncodedSpec("vector", 12, 30)
    train = markov_windows(200, 12, 30)
    model = NGram(spec, order=4).fit(train)
    rng = np.random.default_rng(1)
    # Seen and unseen histories, of every length from the window start.
    for before_len in (0, 1, 2, 3, 7):
        before = torch.from_numpy(rng.integers(0, 30, (25, before_len)))
        probs = model.distribution(before)
        assert probs.shape == (25, 30) and bool((probs > 0).all())
        assert torch.allclose(probs.sum(-1), torch.ones(25, dtype=torch.float64), atol=1e-12)
    # log P(window) is the sum of the next-token log-probabilities along it.
    windows = markov_windows(5, 12, 30, seed=3)
    steps = sum(model.distribution(windows[:, :t]).gather(1, windows[:, t : t + 1]).log().squeeze(1) for t in range(12))
    assert torch.allclose(model.log_likelihood(windows), steps, atol=1e-9)


def test_ngram_learns_and_generalises():
    spec = EncodedSpec("vector", 32, 20)
    train, heldout = markov_windows(300, 32, 20), markov_windows(100, 32, 20, seed=9)
    uniform = 32 * math.log(20)
    nats = [-NGram(spec, order=k).fit(train).log_likelihood(heldout).mean().item() for k in (1, 2)]
    assert nats[0] == pytest.approx(uniform, rel=0.02)  # the chain's tokens are evenly used
    assert nats[1] < 0.6 * uniform  # the bigram sees the chain


def test_ngram_state_round_trip_and_generation():
    spec = EncodedSpec("vector", 16, 12)
    model = NGram(spec, order=3).fit(markov_windows(100, 16, 12))
    restored = NGram(spec, order=3)
    restored.load_state({k: v.clone() for k, v in model.state().items()})
    x = markov_windows(10, 16, 12, seed=5)
    assert torch.equal(restored.log_likelihood(x), model.log_likelihood(x))
    a = model.sample(8, torch.Generator().manual_seed(0))
    b = restored.sample(8, torch.Generator().manual_seed(0))
    assert a.shape == (8, 16) and a.dtype == torch.long and torch.equal(a, b)
    prompt = torch.tensor([[3, 4, 5]] * 4)
    greedy = model.generate(prompt, 20, torch.Generator().manual_seed(1), top_k=1)
    assert greedy.shape == (4, 20) and bool((greedy == greedy[0]).all())  # top-1: no randomness left
    assert greedy[0, 0].item() == 6  # the chain's most likely step


def test_temper():
    probs = torch.tensor([[0.5, 0.3, 0.15, 0.05]])
    assert torch.allclose(temper(probs), probs)
    top2 = temper(probs, top_k=2)
    assert torch.allclose(top2, torch.tensor([[0.625, 0.375, 0.0, 0.0]]))
    cold, hot = temper(probs, 0.5), temper(probs, 2.0)
    assert cold[0, 0] > probs[0, 0] > hot[0, 0] and torch.allclose(cold.sum(), torch.tensor(1.0))
    with pytest.raises(ValueError):
        temper(probs, 0.0)


TINY = dict(epochs=2, width=16, layers=1, heads=2, batch_size=16, lr=1e-2, dropout=0.0)


def test_transformer_window_probabilities_sum_to_one():
    spec = EncodedSpec("vector", 3, 4)
    model = Transformer(spec, **TINY).fit(markov_windows(32, 3, 4), seed=0)
    total = model.log_likelihood(all_windows(4, 3)).exp().sum().item()
    assert total == pytest.approx(1.0, abs=1e-5)


def test_transformer_fit_sample_save_load_round_trip():
    spec = EncodedSpec("vector", 16, 10)
    train = markov_windows(128, 16, 10)
    epochs = []
    model = Transformer(spec, **{**TINY, "epochs": 3}).fit(train, report=epochs.append, seed=0)
    assert epochs == [1, 2, 3]
    heldout = markov_windows(20, 16, 10, seed=2)
    nats = model.log_likelihood(heldout)
    assert nats.shape == (20,) and bool(torch.isfinite(nats).all())
    assert -nats.mean().item() < 16 * math.log(10)  # learned something
    restored = get_family("transformer")(spec, **model.get_params())
    restored.load_state({k: v.clone() for k, v in model.state().items()})
    assert torch.allclose(restored.log_likelihood(heldout), nats, atol=1e-5)
    a = model.sample(6, torch.Generator().manual_seed(0))
    b = restored.sample(6, torch.Generator().manual_seed(0))
    assert a.shape == (6, 16) and a.dtype == torch.long and torch.equal(a, b)
    assert int(a.min()) >= 0 and int(a.max()) < 10
    # The same seed gives the same samples; a model trained with the same seed is the same.
    again = Transformer(spec, **{**TINY, "epochs": 3}).fit(train, seed=0)
    assert torch.allclose(again.log_likelihood(heldout), nats, atol=1e-5)


def test_transformer_cached_generation_matches_the_full_forward():
    spec = EncodedSpec("vector", 8, 10)
    model = Transformer(spec, **TINY).fit(markov_windows(64, 8, 10), seed=0)
    net = model.model_
    prefix = markov_windows(3, 5, 10, seed=4)
    full = net(prefix)  # hidden after the start and after each token
    hidden, cache = net.prefill(prefix[:, :2])
    assert torch.allclose(hidden, full[:, 2], atol=1e-5)
    for position in range(2, 5):
        hidden, cache = net.step(prefix[:, position], cache, position + 1)
        assert torch.allclose(hidden, full[:, position + 1], atol=1e-5)
    # Past the window: a prompt longer than the window and a continuation of two windows.
    out = model.generate(markov_windows(2, 20, 10), 17, torch.Generator().manual_seed(0), temperature=0.7, top_k=3)
    assert out.shape == (2, 17) and int(out.max()) < 10


def test_text_families_refuse_continuous_data():
    spec = EncodedSpec("vector", 8, None)
    for cls in (NGram, Transformer):
        assert not cls.supports(spec)
        with pytest.raises(ValueError, match="cannot model"):
            cls(spec).fit(torch.rand(4, 8))


def test_modality_generate_continues_a_prompt_to_the_asked_length():
    from genautoml.data.text import MODALITY, TextRepresentation
    from genautoml.errors import ConfigError
    from genautoml.schema.text import TextFeature

    text = ("Lists are mutable sequences. Tuples are immutable sequences. Strings are sequences "
            "of characters. ") * 30
    for feature in (TextFeature(tokenizer="bpe", vocab_size=300, context=16), TextFeature(context=16)):
        representation = TextRepresentation(feature).fit([text])
        for family in (NGram(representation.spec, order=4), Transformer(representation.spec, **TINY),
                       hybrid(representation.spec, order=4)):
            family.fit(representation.encode([text]), seed=0)
            texts = MODALITY.generate(family, representation, 3, torch.Generator().manual_seed(0),
                                      length=90, prompt="Tuples ✓ are", top_k=5)
            assert len(texts) == 3 and all(len(t) == 90 and t.startswith("Tuples ✓ are") for t in texts)
            plain = MODALITY.generate(family, representation, 2, torch.Generator().manual_seed(0))
            assert len(plain) == 2 and all(isinstance(t, str) and t for t in plain)
    with pytest.raises(ConfigError, match="--top-k"):
        MODALITY.generate(family, representation, 1, torch.Generator(), top_k=0)


def test_rnn_generate_continues_a_prompt_past_its_window():
    import torch

    from genautoml.models.rnn import RNN
    from genautoml.spec import EncodedSpec

    spec = EncodedSpec("vector", 12, 5)
    model = RNN(spec, epochs=1, hidden=16).fit(torch.randint(0, 5, (40, 12)), None)
    prompt = torch.randint(0, 5, (3, 4))
    out = model.generate(prompt, 30, torch.Generator().manual_seed(0), temperature=0.7, top_k=2)
    again = model.generate(prompt, 30, torch.Generator().manual_seed(0), temperature=0.7, top_k=2)
    assert out.shape == (3, 30) and out.dtype == torch.int64 and 0 <= out.min() and out.max() < 5
    assert torch.equal(out, again)
    # top_k=1 is greedy: every row of the same prompt continues the same way
    greedy = model.generate(prompt[:1].repeat(4, 1), 8, torch.Generator().manual_seed(1), top_k=1)
    assert all(torch.equal(greedy[0], row) for row in greedy)


# ---- hybrid: the network interpolated with the n-gram ---------------------------------


def hybrid(spec, **overrides):
    from genautoml.models.hybrid import Hybrid

    return Hybrid(spec, **{"order": 3, "epochs": 2, "hidden": 16, "embed_dim": 8, "batch_size": 8, **overrides})


def test_hybrid_window_probabilities_sum_to_one():
    spec = EncodedSpec("vector", 3, 4)
    model = hybrid(spec).fit(markov_windows(60, 3, 4), seed=0)
    total = model.log_likelihood(all_windows(4, 3)).exp().sum().item()
    assert total == pytest.approx(1.0, abs=1e-6)


def test_hybrid_sampling_follows_its_mixture_token_by_token():
    # Greedy generation must pick the argmax of the *mixture*, whose probabilities the
    # likelihood reports: generate one token at a time and compare with token_probs.
    spec = EncodedSpec("vector", 6, 5)
    model = hybrid(spec).fit(markov_windows(80, 6, 5), seed=0)
    out = model.generate(torch.zeros((4, 0), dtype=torch.long), 6, torch.Generator().manual_seed(0), top_k=1)
    probs = model.token_probs(out)
    for t in range(6):
        for token in range(5):
            candidate = out.clone()
            candidate[:, t] = token
            assert bool((model.token_probs(candidate)[:, t] <= probs[:, t] + 1e-12).all())


def test_hybrid_weights_trust_the_part_that_predicts_held_out_tokens():
    from genautoml.models.hybrid import MATCH_EDGES, buckets, fit_weights

    bucket = buckets(np.array([0] * 500 + [20] * 500))
    p_rnn = np.r_[np.full(500, 0.6), np.full(500, 0.05)]    # the network is better after short matches,
    p_ngram = np.r_[np.full(500, 0.05), np.full(500, 0.9)]  # the n-gram after long ones
    weights = fit_weights(p_rnn, p_ngram, bucket)
    assert weights[buckets(np.array([0]))[0]] > 0.95
    assert weights[buckets(np.array([20]))[0]] < 0.05
    unvisited = [b for b in range(len(MATCH_EDGES)) if b not in set(bucket)]
    assert unvisited and all(weights[b] == 0.5 for b in unvisited)


def test_hybrid_beats_its_ngram_alone_where_the_network_generalises():
    # A Markov chain whose rule (mostly token+1) a network learns but short training
    # windows leave many long histories unseen: the mixture must not be worse than the
    # n-gram it contains, held out.
    spec = EncodedSpec("vector", 16, 12)
    data = markov_windows(500, 16, 12)
    train, held_out = data[:400], data[400:]
    mixed = hybrid(spec, order=6, epochs=4, hidden=32).fit(train, seed=0)
    alone = NGram(spec, order=6).fit(train)
    assert float(mixed.log_likelihood(held_out).mean()) > float(alone.log_likelihood(held_out).mean())


def test_hybrid_needs_two_windows_and_a_share():
    spec = EncodedSpec("vector", 4, 3)
    with pytest.raises(ValueError, match="mix_share"):
        hybrid(spec, mix_share=1.0)
    with pytest.raises(ValueError, match="at least 2 training windows"):
        hybrid(spec).fit(torch.zeros((1, 4), dtype=torch.long))


def test_rnn_truncated_backprop_learns_more_from_the_same_epochs():
    # Chunks of 4 tokens, the state carried across them: four optimiser steps per window
    # instead of one, so after the same few epochs the held-out likelihood is higher.
    from genautoml.models.rnn import RNN

    spec = EncodedSpec("vector", 16, 12)
    data = markov_windows(300, 16, 12)
    train, held_out = data[:240], data[240:]
    scores = {}
    for bptt in (0, 4):
        model = RNN(spec, epochs=2, hidden=32, batch_size=32, bptt=bptt).fit(train, seed=0)
        scores[bptt] = float(model.log_likelihood(held_out).mean())
    assert scores[4] > scores[0] + 1.0
    with pytest.raises(ValueError, match="bptt"):
        RNN(spec, bptt=-1)


class _StopAt(Exception):
    pass


@pytest.mark.parametrize("name", ["transformer", "hybrid"])
def test_stopping_after_k_epochs_leaves_the_model_a_k_epoch_run_gives(name):
    # What cv's cut to the budget and extended final training rely on (extends_epochs):
    # no learning-rate schedule tied to the planned epochs, nothing done after the last.
    spec = EncodedSpec("vector", 8, 5)
    data = markov_windows(120, 8, 5)
    small = {"transformer": {"width": 16, "heads": 2, "layers": 1, "batch_size": 16},
             "hybrid": {"order": 3, "hidden": 16, "embed_dim": 8, "batch_size": 8}}[name]
    family = get_family(name)
    assert family.extends_epochs
    planned_two = family(spec, epochs=2, **small).fit(data, seed=0)
    cut = family(spec, epochs=5, **small)

    def stop_after_two(epoch):
        if epoch == 2:
            raise _StopAt

    with pytest.raises(_StopAt):
        cut.fit(data, stop_after_two, seed=0)
    assert torch.allclose(cut.log_likelihood(data), planned_two.log_likelihood(data), atol=1e-6)

