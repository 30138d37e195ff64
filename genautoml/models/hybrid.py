"""``hybrid``: an LSTM/GRU language model interpolated with a Kneser-Ney n-gram.

The two kinds of model are good at different things: a long-order n-gram is nearly
certain, and right, inside passages the training text repeats, and helpless elsewhere;
a small recurrent network generalises (spelling, syntax) but learns slowly on a CPU.
Interpolating them is the classic remedy (Jelinek-Mercer mixing of a neural and an
n-gram model, as in Mikolov's RNNME systems):

    P(token | history) = w_b * P_rnn(token | history) + (1 - w_b) * P_ngram(token | history)

with one weight per bucket ``b`` of the n-gram's *match length*, how many tokens of the
history its counts have seen: after a long match the n-gram deserves more trust. The
weights are fitted by EM on a held-out share of the training windows (``mix_share``),
scored by an n-gram and a network that were fitted without them, so the weights learn
how each part does on unseen text, not on text it memorised. Each row of the mixture
sums to one, so the log-likelihood stays exact and comparable with every other family.

Fitting: split off the held-out windows; count an n-gram on the rest, which scores the
held-out windows for the weights, and the model's own n-gram on all the training windows
(counting takes seconds); train the network on the rest; after each epoch refit the
weights, then report (the caller scores the mixture there, like any family). So the model
after any epoch is complete, and every epoch is alike: training may stop early (cv's cut
to the budget) or run past its epochs (extended final training).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

import numpy as np

from genautoml.models._kneser_ney import KneserNey
from genautoml.models.base import Family, Report
from genautoml.models.registry import register
from genautoml.models.rnn import RNN
from genautoml.spec import EncodedSpec

if TYPE_CHECKING:
    import torch

#: lower edges of the match-length buckets: one weight per bucket (finer where it matters)
MATCH_EDGES = np.array([0, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48])
_EM_ROUNDS = 50
#: pseudo-counts pulling a bucket's weight to 1/2 (a Beta(2, 2) prior): a bucket the
#: held-out windows hardly visit keeps a safe middle weight instead of 0 or 1
_PRIOR = 1.0
_EVAL_BATCH = 256


def buckets(matched: np.ndarray) -> np.ndarray:
    return np.searchsorted(MATCH_EDGES, matched, side="right") - 1


def fit_weights(p_rnn: np.ndarray, p_ngram: np.ndarray, bucket: np.ndarray) -> np.ndarray:
    """EM for the network's weight in each bucket, maximising sum log(mixture) (concave)."""
    weights = np.full(len(MATCH_EDGES), 0.5)
    counts = np.bincount(bucket, minlength=len(MATCH_EDGES))
    for _ in range(_EM_ROUNDS):
        w = weights[bucket]
        mixed = w * p_rnn + (1 - w) * p_ngram
        share = w * p_rnn / np.maximum(mixed, 1e-300)  # the network's responsibility per token
        weights = (np.bincount(bucket, weights=share, minlength=len(MATCH_EDGES)) + _PRIOR) / (counts + 2 * _PRIOR)
    return weights


@register
class Hybrid(Family):
    name = "hybrid"
    modalities = ("text",)
    has_likelihood = True
    # Every epoch ends in a complete model (both n-grams are counted before the first), and
    # the network's learning rate is constant: stopping at any epoch is sound.
    extends_epochs = True
    summary = "LSTM/GRU language model interpolated with a Kneser-Ney n-gram (weights per match length); exact likelihood"
    # Small batches: on a CPU the network learns more from many cheap steps than from few large ones.
    default_space = {
        "order": {"int": [8, 64]},
        "lr": {"loguniform": [2e-3, 8e-3]},
        "batch_size": {"choice": [8, 16]},
        "epochs": {"int": [8, 32]},
        "hidden": {"choice": [128, 256]},
        "embed_dim": {"choice": [32, 64]},
        "dropout": {"uniform": [0.0, 0.2]},
        "cell": {"choice": ["lstm", "gru"]},
    }

    def __init__(
        self,
        spec: EncodedSpec,
        *,
        order: int = 32,
        lr: float = 4e-3,
        batch_size: int = 8,
        epochs: int = 16,
        hidden: int = 256,
        layers: int = 1,
        embed_dim: int = 64,
        dropout: float = 0.0,
        cell: str = "lstm",
        bptt: int = 256,
        mix_share: float = 0.1,
        epoch_share: float = 0.25,
    ):
        super().__init__(spec)
        if order < 1:
            raise ValueError(f"order: expected at least 1, got {order}")
        if not 0 < mix_share < 1:
            raise ValueError(f"mix_share: expected a share between 0 and 1, got {mix_share}")
        self.order = order
        self.lr = lr
        self.batch_size = batch_size
        self.epochs = epochs
        self.hidden = hidden
        self.layers = layers
        self.embed_dim = embed_dim
        self.dropout = dropout
        self.cell = cell
        self.bptt = bptt
        self.mix_share = mix_share
        # An epoch is a quarter of a pass over the windows (the rnn's epoch_share): the unit
        # cv cuts and scales in stays small on a large corpus.
        self.epoch_share = epoch_share
        # Built now, so that a bad network parameter is an error before any fitting.
        self.rnn_ = self._network()
        self.ngram_: Optional[KneserNey] = None
        self.weights_: Optional[np.ndarray] = None

    @classmethod
    def supports(cls, spec: EncodedSpec) -> bool:
        return spec.kind == "vector" and spec.discrete

    def _network(self) -> RNN:
        return RNN(self.spec, lr=self.lr, batch_size=self.batch_size, epochs=self.epochs, hidden=self.hidden,
                   layers=self.layers, embed_dim=self.embed_dim, dropout=self.dropout, cell=self.cell,
                   bptt=self.bptt, epoch_share=self.epoch_share)

    def _fit(self, train: torch.Tensor, report: Report) -> None:
        import torch

        from genautoml.models._torch_utils import check_vectors

        check_vectors(train, self.spec, "train")
        if len(train) < 2:
            raise ValueError(f"hybrid needs at least 2 training windows (one held out to fit the weights), got {len(train)}")
        windows = train.cpu().long()
        order = torch.randperm(len(windows))  # seeded by fit()
        held_count = min(len(windows) - 1, max(1, round(self.mix_share * len(windows))))
        held, rest = windows[order[:held_count]], windows[order[held_count:]]
        # The weights learn how the n-gram does on text it has not counted; the model's own
        # n-gram counts every training window (the held-out ones too).
        p_ngram, matched = KneserNey.fit_windows(rest.numpy(), self.spec.levels, self.order) \
            .window_probs_matched(held.numpy())
        held_buckets = buckets(matched.reshape(-1))
        self.ngram_ = KneserNey.fit_windows(windows.numpy(), self.spec.levels, self.order)

        def after_epoch(epoch: int) -> None:
            p_rnn = self.rnn_.token_log_probs(held).double().exp().numpy().reshape(-1)
            self.weights_ = fit_weights(p_rnn, p_ngram.reshape(-1), held_buckets)
            report(epoch)

        self.rnn_.fit(rest, after_epoch, seed=torch.initial_seed(), device=str(self.device_))

    def _fitted(self) -> tuple[KneserNey, np.ndarray]:
        if self.ngram_ is None or self.weights_ is None:
            raise RuntimeError(f"family {self.name!r} is not fitted: call fit() or load_state() first")
        return self.ngram_, self.weights_

    def token_probs(self, x: torch.Tensor) -> torch.Tensor:
        """P(each token | its window so far) under the mixture, (N, dim) float64."""
        import torch

        from genautoml.models._torch_utils import check_vectors

        ngram, weights = self._fitted()
        check_vectors(x, self.spec, "x")
        out = []
        for xb in x.cpu().long().split(_EVAL_BATCH):
            p_ngram, matched = ngram.window_probs_matched(xb.numpy())
            p_rnn = self.rnn_.token_log_probs(xb).double().exp().numpy()
            w = weights[buckets(matched)]
            out.append(torch.from_numpy(w * p_rnn + (1 - w) * p_ngram))
        return torch.cat(out) if out else torch.zeros((0, self.spec.dim), dtype=torch.float64)

    def log_likelihood(self, x: torch.Tensor) -> torch.Tensor:
        """Exact log P(window) in nats, (N,), each window scored from its start."""
        return self.token_probs(x).log().sum(-1)

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        import torch

        return self.generate(torch.zeros((n, 0), dtype=torch.long), self.spec.dim, generator)

    def generate(self, prompt: torch.Tensor, length: int, generator: torch.Generator, *,
                 temperature: float = 1.0, top_k: Optional[int] = None, guard: Any = None) -> torch.Tensor:
        """(n, P) prompt tokens -> (n, length) tokens: the network's sampler, drawing each
        token from the mixture with the n-gram (exact within one window)."""
        import torch

        ngram, weights = self._fitted()

        def mix(p_rnn: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
            p_ngram, matched = ngram.next_distribution_matched(tokens.cpu().numpy())
            w = torch.from_numpy(weights[buckets(matched)]).to(p_rnn)[:, None]
            return w * p_rnn + (1 - w) * torch.from_numpy(p_ngram).to(p_rnn)

        return self.rnn_.generate_mixed(prompt, length, generator, temperature=temperature, top_k=top_k, mix=mix,
                                        guard=guard)

    def state(self) -> dict[str, torch.Tensor]:
        import torch

        ngram, weights = self._fitted()
        state = {f"rnn.{k}": v for k, v in self.rnn_.state().items()}
        state.update({f"ngram.{k}": v for k, v in ngram.state().items()})
        state["weights"] = torch.from_numpy(weights.copy())
        return state

    def load_state(self, state: dict[str, torch.Tensor]) -> None:
        import torch

        def part(prefix: str) -> dict[str, torch.Tensor]:
            return {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}

        network = self._network()
        network.load_state(part("rnn."))
        self.rnn_, self.device_ = network, torch.device("cpu")
        self.ngram_ = KneserNey.from_state(part("ngram."), self.spec.levels, self.order)
        self.weights_ = state["weights"].numpy().astype(np.float64)
