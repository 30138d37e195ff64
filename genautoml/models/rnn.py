"""``rnn``: an autoregressive LSTM/GRU over the flat vector, one token per dimension.

Exact likelihood and exact ancestral sampling. Discrete levels are the tokens. Continuous
values in [0, 1] are cut into ``bins`` equal bins and modelled as a piecewise-uniform
density (bin probability / bin width), so log p(x) is an exact density, not a bound.

``TokenRNN`` is the reusable part: a next-token model over integer tokens with an
optional learned position embedding, meant to serve a text token stream as well.
"""

from __future__ import annotations

import math
from typing import Callable, Optional

import torch
from torch import nn

from genautoml.models._torch_utils import (
    categorical,
    check_vectors,
    load_module_state,
    minibatches,
    module_state,
    require_fitted,
    temper,
    uniform,
)
from genautoml.errors import TrialDiverged
from genautoml.models.base import Family, Report
from genautoml.spec import EncodedSpec
from genautoml.models.registry import register

_CELLS = {"lstm": nn.LSTM, "gru": nn.GRU}
_CLIP_NORM = 1.0
# Saturated gates keep the loss of an exploded LSTM finite, so NaN alone does not catch
# divergence: a mean loss this many times worse than uniform guessing (log vocab) does.
_DIVERGED_VS_UNIFORM = 100.0
# How many logits log_likelihood holds at once (64 MiB of float32).
_EVAL_FLOATS = 2**24


class TokenRNN(nn.Module):
    """Next-token logits over tokens 0..vocab-1; token ``vocab`` is the start token.

    ``max_len`` adds a learned embedding of the position being predicted (fixed-length
    vectors, where pixel 17 means something); None leaves it out (open-ended streams).
    """

    def __init__(self, vocab: int, embed_dim: int, hidden: int, layers: int, dropout: float, cell: str, max_len: Optional[int]):
        super().__init__()
        self.vocab = vocab
        self.embed = nn.Embedding(vocab + 1, embed_dim)
        self.position = nn.Embedding(max_len, embed_dim) if max_len else None
        # torch only applies inter-layer dropout with two or more layers (and warns otherwise)
        self.rnn = _CELLS[cell](embed_dim, hidden, layers, batch_first=True, dropout=dropout if layers > 1 else 0.0)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, inputs: torch.Tensor, state=None, offset: int = 0):
        """inputs (B, T) tokens -> logits (B, T, vocab) for the token after each, and the new state."""
        h = self.embed(inputs)  # (B, T, E)
        if self.position is not None:
            h = h + self.position(torch.arange(offset, offset + inputs.shape[1], device=inputs.device))
        out, state = self.rnn(self.drop(h), state)  # (B, T, H)
        return self.head(self.drop(out)), state

    def start(self, batch: int, device: torch.device) -> torch.Tensor:
        return torch.full((batch, 1), self.vocab, dtype=torch.long, device=device)

    def token_log_probs(self, tokens: torch.Tensor) -> torch.Tensor:
        """log P(each token | the tokens before it), (B, T) -> (B, T), by teacher forcing."""
        inputs = torch.cat([self.start(len(tokens), tokens.device), tokens[:, :-1]], dim=1)
        logits, _ = self(inputs)
        return logits.log_softmax(-1).gather(-1, tokens.unsqueeze(-1)).squeeze(-1)

    def log_prob(self, tokens: torch.Tensor) -> torch.Tensor:
        """Exact log P(tokens) (B, T) -> (B,)."""
        return self.token_log_probs(tokens).sum(-1)

    @torch.no_grad()
    def generate(self, u: torch.Tensor) -> torch.Tensor:
        """Ancestral sampling of (B, T) tokens, step t drawn by inverse CDF from uniforms ``u[:, t]``."""
        batch, length = u.shape
        inputs, state, tokens = self.start(batch, u.device), None, []
        for t in range(length):
            logits, state = self(inputs, state, offset=t)
            inputs = categorical(logits[:, -1].softmax(-1), u[:, t]).unsqueeze(1)
            tokens.append(inputs)
        return torch.cat(tokens, dim=1) if tokens else inputs.new_zeros((batch, 0))


def _detached(state):
    """An LSTM's (h, c) or a GRU's h, cut from the graph of the chunk that made it."""
    return tuple(t.detach() for t in state) if isinstance(state, tuple) else state.detach()


@register
class RNN(Family):
    name = "rnn"
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
    ):
        super().__init__(spec)
        if cell not in _CELLS:
            raise ValueError(f"cell: expected one of {sorted(_CELLS)}, got {cell!r}")
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
        self.model_: Optional[TokenRNN] = None
        self.device_ = torch.device("cpu")

    @property
    def _vocab(self) -> int:
        return self.spec.levels if self.spec.discrete else self.bins

    def _build(self) -> TokenRNN:
        return TokenRNN(self._vocab, self.embed_dim, self.hidden, self.layers, self.dropout, self.cell, self.spec.dim)

    def _tokens(self, x: torch.Tensor) -> torch.Tensor:
        if self.spec.discrete:
            return x.long()
        # Bins are [k/bins, (k+1)/bins); 1.0 belongs to the last one.
        return (x.float() * self.bins).floor().long().clamp_(0, self.bins - 1)

    def _fit(self, train: torch.Tensor, valid: Optional[torch.Tensor], report: Report) -> None:
        # valid is not used here: the caller scores the model in report(), the same way for every family.
        check_vectors(train, self.spec, "train")
        tokens = self._tokens(train)
        model = self.model_ = self._build().to(self.device_)
        optimizer = torch.optim.Adam(model.parameters(), lr=self.lr)
        for epoch in range(1, self.epochs + 1):
            model.train()
            total = torch.zeros((), device=self.device_)
            updates = 0
            for index in minibatches(len(tokens), self.batch_size, self.device_):
                batch = tokens[index]
                inputs = torch.cat([model.start(len(batch), self.device_), batch[:, :-1]], dim=1)
                state = None
                for begin in range(0, self.spec.dim, self.bptt or self.spec.dim):
                    end = begin + (self.bptt or self.spec.dim)
                    logits, state = model(inputs[:, begin:end], state, offset=begin)
                    loss = nn.functional.cross_entropy(logits.transpose(1, 2), batch[:, begin:end])  # nats per token
                    optimizer.zero_grad(set_to_none=True)
                    loss.backward()
                    # Recurrent nets occasionally take one huge gradient step; clipping keeps high lr usable.
                    nn.utils.clip_grad_norm_(model.parameters(), _CLIP_NORM)
                    optimizer.step()
                    total += loss.detach()
                    updates += 1
                    state = _detached(state)
            self.check_finite(total)
            mean_loss = float(total) / max(updates, 1)
            if mean_loss > _DIVERGED_VS_UNIFORM * math.log(self._vocab):
                raise TrialDiverged(f"loss became {mean_loss:.3g} nats per token")
            model.eval()
            report(epoch)

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        model = require_fitted(self.model_, self.name).eval()
        tokens = model.generate(uniform((n, self.spec.dim), generator, self.device_))
        if self.spec.discrete:
            return tokens.cpu()
        # A uniform offset inside the bin: exactly the piecewise-uniform density.
        offset = uniform((n, self.spec.dim), generator, self.device_)
        return ((tokens + offset) / self.bins).clamp_(0.0, 1.0).float().cpu()

    @torch.no_grad()
    def generate(self, prompt: torch.Tensor, length: int, generator: torch.Generator, *,
                 temperature: float = 1.0, top_k: Optional[int] = None) -> torch.Tensor:
        """(n, P) prompt tokens -> (n, length) tokens continuing them (on the CPU); discrete data only.

        Exact ancestral sampling within one window of ``spec.dim`` positions (the length the
        position embedding knows); past it, the model restarts on the last half window.
        """
        return self.generate_mixed(prompt, length, generator, temperature=temperature, top_k=top_k)

    @torch.no_grad()
    def generate_mixed(self, prompt: torch.Tensor, length: int, generator: torch.Generator, *,
                       temperature: float = 1.0, top_k: Optional[int] = None,
                       mix: Optional[Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = None) -> torch.Tensor:
        """``generate``, where ``mix(probs, tokens)`` may replace the network's next-token
        probabilities (n, V) given every token so far (n, P + t) before they are tempered
        and drawn from: how a model built on this one (``hybrid``) samples from its mixture."""
        if not self.spec.discrete:
            raise ValueError("rnn.generate continues discrete tokens; use sample() for continuous data")
        model = require_fitted(self.model_, self.name).eval()
        window = self.spec.dim
        u = uniform((len(prompt), length), generator, self.device_)
        tokens = prompt.to(self.device_).long()

        def prefill(context: torch.Tensor):
            inputs = torch.cat([model.start(len(context), self.device_), context], dim=1)  # (n, C + 1)
            logits, state = model(inputs)
            return logits[:, -1], state, inputs.shape[1]

        logits, state, position = prefill(tokens[:, max(0, tokens.shape[1] - (window - 1)):])
        for t in range(length):
            probs = logits.float().softmax(-1)
            if mix is not None:
                probs = mix(probs, tokens)
            token = categorical(temper(probs, temperature, top_k), u[:, t])
            tokens = torch.cat([tokens, token.unsqueeze(1)], dim=1)
            if t == length - 1:
                break
            if position < window:
                out, state = model(token.unsqueeze(1), state, offset=position)
                logits, position = out[:, -1], position + 1
            else:  # the window is full
                logits, state, position = prefill(tokens[:, -(window // 2):])
        return tokens[:, prompt.shape[1]:].cpu()

    @torch.no_grad()
    def log_likelihood(self, x: torch.Tensor) -> torch.Tensor:
        """Exact log p(x) in nats, (N,): a probability mass for levels, a density on [0, 1]^dim otherwise."""
        model = require_fitted(self.model_, self.name).eval()
        check_vectors(x, self.spec, "x")
        # Density of a bin = its probability / its width (1 / bins), per dimension.
        log_width = 0.0 if self.spec.discrete else self.spec.dim * math.log(self.bins)
        return self.token_log_probs(x).sum(-1) + log_width

    @torch.no_grad()
    def token_log_probs(self, x: torch.Tensor) -> torch.Tensor:
        """log P(each token | the tokens before it in its window), (N, dim) float32 on the CPU."""
        model = require_fitted(self.model_, self.name).eval()
        rows = max(1, _EVAL_FLOATS // (self.spec.dim * self._vocab))
        out = [model.token_log_probs(self._tokens(xb.to(self.device_))).cpu() for xb in x.split(rows)]
        return torch.cat(out) if out else torch.zeros((0, self.spec.dim))

    def state(self) -> dict[str, torch.Tensor]:
        return module_state(model=require_fitted(self.model_, self.name))

    def load_state(self, state: dict[str, torch.Tensor]) -> None:
        model = self._build()
        load_module_state(state, model=model)
        self.model_, self.device_ = model.eval(), torch.device("cpu")
