"""``rnn``: an autoregressive LSTM/GRU over the flat vector, one token per dimension.

Exact likelihood and exact ancestral sampling. Discrete levels are the tokens. Continuous
values in [0, 1] are cut into ``bins`` equal bins and modelled as a piecewise-uniform
density (bin probability / bin width), so log p(x) is an exact density, not a bound.

The network (``TokenRNN``), its training loop and samplers live in the private
genautoml/models/_rnn_net.py, imported when a method needs them.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Callable, Optional

from genautoml.models._one_network import OneNetworkState
from genautoml.models.base import Family
from genautoml.models.registry import register
from genautoml.spec import EncodedSpec

if TYPE_CHECKING:
    import torch

    from genautoml.models._rnn_net import TokenRNN

#: the recurrent cells ``cell`` may name (genautoml/models/_rnn_net.py maps them to torch's)
CELLS = ("gru", "lstm")
# How many logits token_log_probs holds at once (64 MiB of float32).
_EVAL_FLOATS = 2**24


@register
class RNN(OneNetworkState, Family):
    name = "rnn"
    network_module = "genautoml.models._rnn_net"
    modalities = ("image", "text", "audio")
    has_likelihood = True
    extends_epochs = True
    summary = "autoregressive LSTM/GRU over the sequence (pixels, tokens, mu-law samples); exact likelihood"
    default_space = {
        "lr": {"loguniform": [2e-3, 1e-2]},
        "batch_size": {"choice": [64, 128]},
        "epochs": {"int": [8, 20]},
        "hidden": {"choice": [64, 128]},
        "layers": {"int": [1, 2]},
        "embed_dim": {"choice": [16, 32, 64]},
        "dropout": {"uniform": [0.0, 0.3]},
        "cell": {"choice": ["lstm", "gru"]},
        "bins": {"choice": [8, 16, 32]},
    }

    def __init__(
        self,
        spec: EncodedSpec,
        *,
        lr: float = 5e-3,
        batch_size: int = 64,
        epochs: int = 15,
        hidden: int = 128,
        layers: int = 1,
        embed_dim: int = 32,
        dropout: float = 0.1,
        cell: str = "lstm",
        bins: int = 16,
        bptt: int = 0,
        epoch_share: float = 1.0,
    ):
        super().__init__(spec)
        if cell not in CELLS:
            raise ValueError(f"cell: expected one of {sorted(CELLS)}, got {cell!r}")
        if bins < 2:
            raise ValueError(f"bins: expected at least 2, got {bins}")
        if bptt < 0:
            raise ValueError(f"bptt: expected 0 (the whole vector) or a positive length, got {bptt}")
        self.lr = lr
        self.batch_size = batch_size
        self.epochs = epochs
        self.hidden = hidden
        self.layers = layers
        self.embed_dim = embed_dim
        self.dropout = dropout
        self.cell = cell
        # Only used for continuous data; discrete data uses its own levels as the tokens.
        self.bins = bins
        # Truncated backpropagation: a long window (text) trained in chunks of this many
        # steps, the state carried across them, takes one optimiser step per chunk: more
        # updates for the same compute. 0: one step per whole vector.
        self.bptt = bptt
        # The share of the training examples one epoch visits (1: a whole pass). Below 1 an
        # epoch is a slice of a shuffled stream of passes: the unit cv cuts and scales in,
        # small enough on a large corpus (models/_torch_utils.py's EpochSlices).
        self.epoch_share = epoch_share
        self.model_: Optional[TokenRNN] = None

    @property
    def _vocab(self) -> int:
        return self.spec.levels if self.spec.discrete else self.bins

    def _tokens(self, x: torch.Tensor) -> torch.Tensor:
        if self.spec.discrete:
            return x.long()
        # Bins are [k/bins, (k+1)/bins); 1.0 belongs to the last one.
        return (x.float() * self.bins).floor().long().clamp_(0, self.bins - 1)

    def generate(self, prompt: torch.Tensor, length: int, generator: torch.Generator, *,
                 temperature: float = 1.0, top_k: Optional[int] = None, guard: Any = None) -> torch.Tensor:
        """(n, P) prompt tokens -> (n, length) tokens continuing them (on the CPU); discrete data only.

        Exact ancestral sampling within one window of ``spec.dim`` positions (the length the
        position embedding knows); past it, the model restarts on the last half window.
        """
        return self.generate_mixed(prompt, length, generator, temperature=temperature, top_k=top_k, guard=guard)

    def generate_mixed(self, prompt: torch.Tensor, length: int, generator: torch.Generator, *,
                       temperature: float = 1.0, top_k: Optional[int] = None,
                       mix: Optional[Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = None,
                       guard: Any = None) -> torch.Tensor:
        """``generate``, where ``mix(probs, tokens)`` may replace the network's next-token
        probabilities (n, V) given every token so far (n, P + t) before they are tempered
        and drawn from: how a model built on this one (``hybrid``) samples from its mixture."""
        if not self.spec.discrete:
            raise ValueError("rnn.generate continues discrete tokens; use sample() for continuous data")
        from genautoml.models import _rnn_net

        return _rnn_net.generate(self, prompt, length, generator, temperature=temperature, top_k=top_k, mix=mix,
                                 guard=guard)

    def log_likelihood(self, x: torch.Tensor) -> torch.Tensor:
        """Exact log p(x) in nats, (N,): a probability mass for levels, a density on [0, 1]^dim otherwise."""
        from genautoml.models._torch_utils import check_vectors, require_fitted

        require_fitted(self.model_, self.name)
        check_vectors(x, self.spec, "x")
        # Density of a bin = its probability / its width (1 / bins), per dimension.
        log_width = 0.0 if self.spec.discrete else self.spec.dim * math.log(self.bins)
        return self.token_log_probs(x).sum(-1) + log_width

    def token_log_probs(self, x: torch.Tensor) -> torch.Tensor:
        """log P(each token | the tokens before it in its window), (N, dim) float32 on the CPU."""
        import torch

        from genautoml.models._torch_utils import require_fitted

        model = require_fitted(self.model_, self.name).eval()
        rows = max(1, _EVAL_FLOATS // (self.spec.dim * self._vocab))
        with torch.no_grad():
            out = [model.token_log_probs(self._tokens(xb.to(self.device_))).cpu() for xb in x.split(rows)]
        return torch.cat(out) if out else torch.zeros((0, self.spec.dim))
