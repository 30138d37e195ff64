"""Bits per character is honest whatever the tokenization; the sample metrics mean what they say."""

import math
from collections import Counter

import numpy as np
import pytest
import torch

from genautoml.data.text import MODALITY, TextRepresentation, load_texts
from genautoml.metrics.text import char_ngram_js, copy_rate, distinct_n, equal_slices
from genautoml.models.ngram import NGram
from genautoml.pipeline.trial import likelihood_figure
from genautoml.schema.text import TextData, TextFeature


class ByteUnigram:
    """An exact model of ASCII text: each character drawn independently with p(c).

    Under any tokenization a token's probability is the product of its characters'
    probabilities, so the figure must come out the same: the cost of the same characters.
    """

    has_likelihood = True
    device_ = torch.device("cpu")

    def __init__(self, representation, p: dict):
        self.representation, self.p = representation, p
        tokenizer = representation.tokenizer_
        # log-probability of every token id: the sum over its characters
        self.token_logp = torch.tensor([sum(math.log(p[c]) for c in tokenizer.decode([i])) if _ascii(tokenizer, i)
                                        else -1e9 for i in range(representation.spec.levels)], dtype=torch.float64)

    def log_likelihood(self, x):
        return self.token_logp[x].sum(-1)


def _ascii(tokenizer, i):
    text = tokenizer.decode([i])
    return text.isascii() and "\ufffd" not in text and text != ""


@pytest.fixture(scope="module")
def pydoc():
    documents = load_texts(TextData(modality="text", max_chars=120_000, block_chars=1000), None)
    documents = ["".join(c for c in d if c.isascii()) for d in documents]  # ASCII: bytes = characters
    return documents[::2], documents[1::2]


def representations(train, context=64):
    features = [TextFeature(tokenizer="char", context=context), TextFeature(tokenizer="bpe", vocab_size=400, context=context),
                TextFeature(tokenizer="bpe", vocab_size=1000, context=context)]
    return [TextRepresentation(f).fit(train) for f in features]


def test_same_exact_model_through_three_tokenizations_gives_the_same_bits_per_char(pydoc):
    train, heldout = pydoc
    counts = Counter("\n\n".join(train))
    total = sum(counts.values())
    p = {chr(c): (counts.get(chr(c), 0) + 1) / (total + 128) for c in range(128)}
    figures = []
    for representation in representations(train):
        encoded = representation.encode(heldout)
        figure = likelihood_figure(ByteUnigram(representation, p), representation, encoded, heldout)
        # Exactly the model's cost of the characters the windows cover, per character:
        covered = representation.decode_text(encoded.reshape(-1))
        direct = -sum(math.log2(p[c]) for c in covered) / len(covered)
        assert figure == pytest.approx(direct, rel=1e-9)
        figures.append(figure)
    # The windows cover (almost) the same text, so the figures agree across tokenizations.
    assert max(figures) - min(figures) < 0.01


def test_uniform_model_scores_log2_of_the_vocabulary(pydoc):
    train, heldout = pydoc
    representation = representations(train)[0]
    vocab = representation.spec.levels

    class Uniform:
        has_likelihood = True
        device_ = torch.device("cpu")

        def log_likelihood(self, x):
            return torch.full((len(x),), -x.shape[1] * math.log(vocab), dtype=torch.float64)

    encoded = representation.encode(heldout)
    assert likelihood_figure(Uniform(), representation, encoded, heldout) == pytest.approx(math.log2(vocab), rel=1e-12)


def test_memorising_the_training_text_does_not_score_well_on_held_out_text(pydoc):
    train, heldout = pydoc
    figures = {}
    for representation in representations(train)[:2]:
        train_x, heldout_x = representation.encode(train), representation.encode(heldout)
        for order in (3, 12):
            model = NGram(representation.spec, order=order).fit(train_x)
            figures[representation.label, order] = (
                likelihood_figure(model, representation, train_x, train),
                likelihood_figure(model, representation, heldout_x, heldout),
            )
    for (label, order), (on_train, on_heldout) in figures.items():
        assert on_heldout > on_train
        if order == 12:  # near-verbatim recall of the training text ...
            assert on_train < 0.8 and on_heldout > 2.5 * on_train  # ... is no use on unseen text
    # Both tokenizations of the same model family land in the same range on held-out text.
    heldout_12 = [v[1] for (label, order), v in figures.items() if order == 12]
    assert 1.0 < min(heldout_12) and max(heldout_12) < 1.25 * min(heldout_12) and max(heldout_12) < 4


def test_sample_metrics():
    train = ["the cat sat on the mat and the dog sat on the log " * 20]
    heldout = ["a bird sang in the tree while the sun rose over the hill " * 20]
    copies = [train[0][i : i + 96] for i in range(0, 600, 100)]
    assert copy_rate(copies, train) == 1.0
    rng = np.random.default_rng(0)
    noise = ["".join(rng.choice(list("abcdefgh "), 96)) for _ in range(6)]
    assert copy_rate(noise, train) == 0.0
    assert char_ngram_js(heldout, noise) > 0.8
    same = [heldout[0][i : i + 100] for i in range(0, 1000, 100)]
    assert char_ngram_js(heldout, same) < char_ngram_js(heldout, copies) < char_ngram_js(heldout, noise)
    assert distinct_n(["one two three four", "five six"]) == 1.0
    assert distinct_n(["la la la la la la"]) == pytest.approx(1 / 5)
    assert len(equal_slices(["x" * 1000], 100, 4)) == 100
    names = MODALITY.metrics()
    assert names["bits_per_char"].kind == "likelihood" and names["copy_rate"].direction == "minimize"
    scored = MODALITY.score_samples(heldout, same, train, ["char_ngram_js", "distinct_2", "copy_rate"])
    assert set(scored) == {"char_ngram_js", "distinct_2", "copy_rate"}


