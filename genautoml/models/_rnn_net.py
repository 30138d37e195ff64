"""The torch half of ``rnn`` (private): ``TokenRNN``, its training loop and its samplers.

``TokenRNN`` is the reusable part: a next-token model over integer tokens with an
optional learned position embedding, meant to serve a text token stream as well.
Imported by ``genautoml.models.rnn`` inside its methods.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Callable, Optional

import torch
from torch import nn

from genautoml.errors import TrialDiverged
from genautoml.models._torch_utils import (
    EpochSlices,
    categorical,
    check_vectors,
    descend,
    draw_next,
    require_fitted,
    start_state,
    uniform,
)
from genautoml.models.base import Report

if TYPE_CHECKING:
    from genautoml.models.rnn import RNN

_CELLS = {"lstm": nn.LSTM, "gru": nn.GRU}
_CLIP_NORM = 1.0
# Saturated gates keep the loss of an exploded LSTM finite, so NaN alone does not catch
# divergence: a mean loss this many times worse than uniform guessing (log vocab) does.
_DIVERGED_VS_UNIFORM = 100.0

Mix = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


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


def build(family: RNN) -> TokenRNN:
    return TokenRNN(family._vocab, family.embed_dim, family.hidden, family.layers, family.dropout, family.cell,
                    family.spec.dim)


def fit(family: RNN, train: torch.Tensor, report: Report) -> None:
    """Train ``family.model_`` by teacher forcing, in chunks of ``bptt`` steps when set."""
    check_vectors(train, family.spec, "train")
    device, dim = family.device_, family.spec.dim
    tokens = family._tokens(train)
    model = family.model_ = build(family).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=family.lr)
    epoch_batches = EpochSlices(len(tokens), family.epoch_share, family.batch_size, device)
    for epoch in range(1, family.epochs + 1):
        model.train()
        total = torch.zeros((), device=device)
        updates = 0
        for index in epoch_batches():
            batch = tokens[index]
            inputs = torch.cat([model.start(len(batch), device), batch[:, :-1]], dim=1)
            state = None
            for begin in range(0, dim, family.bptt or dim):
                end = begin + (family.bptt or dim)
                logits, state = model(inputs[:, begin:end], state, offset=begin)
                loss = nn.functional.cross_entropy(logits.transpose(1, 2), batch[:, begin:end])  # nats per token
                # Recurrent nets occasionally take one huge gradient step; clipping keeps high lr usable.
                descend(optimizer, loss, clip=(model.parameters(), _CLIP_NORM))
                total += loss.detach()
                updates += 1
                state = _detached(state)
        family.check_finite(total)
        mean_loss = float(total) / max(updates, 1)
        if mean_loss > _DIVERGED_VS_UNIFORM * math.log(family._vocab):
            raise TrialDiverged(f"loss became {mean_loss:.3g} nats per token")
        model.eval()
        report(epoch)


@torch.no_grad()
def sample(family: RNN, n: int, generator: torch.Generator) -> torch.Tensor:
    model = require_fitted(family.model_, family.name).eval()
    tokens = model.generate(uniform((n, family.spec.dim), generator, family.device_))
    if family.spec.discrete:
        return tokens.cpu()
    # A uniform offset inside the bin: exactly the piecewise-uniform density.
    offset = uniform((n, family.spec.dim), generator, family.device_)
    return ((tokens + offset) / family.bins).clamp_(0.0, 1.0).float().cpu()


@torch.no_grad()
def generate(family: RNN, prompt: torch.Tensor, length: int, generator: torch.Generator, *,
             temperature: float, top_k: Optional[int], mix: Optional[Mix], guard: Any = None) -> torch.Tensor:
    """``RNN.generate_mixed``: (n, P) prompt tokens -> (n, length) new tokens, on the CPU."""
    model = require_fitted(family.model_, family.name).eval()
    window, device = family.spec.dim, family.device_
    u = uniform((len(prompt), length), generator, device)
    tokens = prompt.to(device).long()
    allowed_state = start_state(guard, prompt)  # the guard's; ``state`` is the network's

    def prefill(context: torch.Tensor):
        inputs = torch.cat([model.start(len(context), device), context], dim=1)  # (n, C + 1)
        logits, state = model(inputs)
        return logits[:, -1], state, inputs.shape[1]

    logits, state, position = prefill(tokens[:, max(0, tokens.shape[1] - (window - 1)):])
    for t in range(length):
        probs = logits.float().softmax(-1)
        if mix is not None:
            probs = mix(probs, tokens)
        token, allowed_state = draw_next(probs, u[:, t], temperature, top_k, guard, allowed_state)
        tokens = torch.cat([tokens, token.unsqueeze(1)], dim=1)
        if t == length - 1:
            break
        if position < window:
            out, state = model(token.unsqueeze(1), state, offset=position)
            logits, position = out[:, -1], position + 1
        else:  # the window is full
            logits, state, position = prefill(tokens[:, -(window // 2):])
    return tokens[:, prompt.shape[1]:].cpu()
