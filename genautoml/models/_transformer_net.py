"""The torch half of ``transformer`` (private): the GPT-style network, its training loop
and its sampler. Imported by ``genautoml.models.transformer`` inside its methods.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Optional

import torch
from torch import nn
from torch.nn import functional as F

from genautoml.models._torch_utils import (
    EpochSlices,
    check_vectors,
    descend,
    draw_next,
    require_fitted,
    start_state,
    train_epochs,
    uniform,
)
from genautoml.models.base import Report

if TYPE_CHECKING:
    from genautoml.models.transformer import Transformer

_CLIP_NORM = 1.0
_WEIGHT_DECAY = 0.01
#: the learning rate warms up over this share of the first pass (then ``_warmup_rsqrt``)
_WARMUP_PASSES = 0.1
_EVAL_BATCH = 256


class _Block(nn.Module):
    def __init__(self, width: int, heads: int, dropout: float):
        super().__init__()
        self.heads, self.dropout = heads, dropout
        self.norm1 = nn.LayerNorm(width)
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)
        self.norm2 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width))
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, past: Optional[tuple[torch.Tensor, torch.Tensor]] = None):
        """x (B, T, W) -> (B, T, W) and this layer's keys and values so far (for generation).

        Without ``past``: causal attention within x. With ``past``: x is one new position
        (T = 1) that attends to every earlier one and itself.
        """
        batch, length, width = x.shape
        # (B, T, 3W) -> three (B, heads, T, W/heads)
        q, k, v = self.qkv(self.norm1(x)).view(batch, length, 3, self.heads, width // self.heads).permute(2, 0, 3, 1, 4)
        if past is not None:
            k, v = torch.cat([past[0], k], dim=2), torch.cat([past[1], v], dim=2)
        attended = F.scaled_dot_product_attention(
            q, k, v, is_causal=past is None, dropout_p=self.dropout if self.training else 0.0
        )
        x = x + self.drop(self.proj(attended.transpose(1, 2).reshape(batch, length, width)))
        return x + self.drop(self.mlp(self.norm2(x))), (k, v)


class CausalTransformer(nn.Module):
    """Hidden states after a start vector and after each token of a prefix; logits through
    the (tied) token embedding."""

    def __init__(self, vocab: int, length: int, width: int, layers: int, heads: int, dropout: float):
        super().__init__()
        self.length = length
        self.embed = nn.Embedding(vocab, width)
        self.start = nn.Parameter(torch.zeros(width))
        self.position = nn.Embedding(length, width)
        self.blocks = nn.ModuleList(_Block(width, heads, dropout) for _ in range(layers))
        self.norm = nn.LayerNorm(width)
        self.drop = nn.Dropout(dropout)
        # Small embeddings: with the output tied to them, N(0, 1) would start with huge logits.
        nn.init.normal_(self.embed.weight, std=0.02)
        nn.init.normal_(self.position.weight, std=0.02)
        for block in self.blocks:  # residual branches start small, so depth does not blow up the stream
            nn.init.normal_(block.proj.weight, std=0.02 / math.sqrt(2 * layers))
            nn.init.normal_(block.mlp[2].weight, std=0.02 / math.sqrt(2 * layers))

    def _inputs(self, prefix: torch.Tensor, offset: int, with_start: bool) -> torch.Tensor:
        h = self.embed(prefix)  # (B, T, W)
        if with_start:
            h = torch.cat([self.start.expand(len(prefix), 1, -1), h], dim=1)
        return self.drop(h + self.position.weight[offset : offset + h.shape[1]])

    def forward(self, prefix: torch.Tensor) -> torch.Tensor:
        """prefix (B, T) tokens, T < length -> final hidden states (B, T+1, W)."""
        h = self._inputs(prefix, 0, with_start=True)
        for block in self.blocks:
            h, _ = block(h)
        return self.norm(h)

    def logits(self, hidden: torch.Tensor) -> torch.Tensor:
        return hidden @ self.embed.weight.T

    def token_log_probs(self, tokens: torch.Tensor) -> torch.Tensor:
        """log P(each token | its window so far), (B, L) -> (B, L), by teacher forcing."""
        hidden = self(tokens[:, :-1])  # (B, L, W)
        return -F.cross_entropy(self.logits(hidden).transpose(1, 2), tokens, reduction="none")

    @torch.no_grad()
    def prefill(self, prefix: torch.Tensor):
        """Start a window: hidden state after the last token (B, W) and the per-layer cache."""
        h, cache = self._inputs(prefix, 0, with_start=True), []
        for block in self.blocks:
            h, kv = block(h)
            cache.append(kv)
        return self.norm(h[:, -1]), cache

    @torch.no_grad()
    def step(self, token: torch.Tensor, cache: list, position: int):
        """One more token (B,) at ``position`` of the window -> hidden state (B, W), cache."""
        h, new_cache = self._inputs(token.unsqueeze(1), position, with_start=False), []
        for block, past in zip(self.blocks, cache):
            h, kv = block(h, past)
            new_cache.append(kv)
        return self.norm(h[:, -1]), new_cache


def build(family: Transformer) -> CausalTransformer:
    return CausalTransformer(family.spec.levels, family.spec.dim, family.width, family.layers, family.heads,
                             family.dropout)


def _warmup_rsqrt(steps_per_pass: int):
    """The learning-rate factor at each step: a linear warmup over the first _WARMUP_PASSES
    of a pass over the training windows, then 1 / sqrt(passes made) from the end of the
    first pass on. It depends on the steps taken, never on the epochs planned, so a run
    stopped after k epochs is the model a k-epoch run gives (cv's cut, extended training)."""
    warmup = max(1, int(_WARMUP_PASSES * steps_per_pass))

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return 1.0 / math.sqrt(max(1.0, step / steps_per_pass))

    return factor


def fit(family: Transformer, train: torch.Tensor, report: Report) -> None:
    """Train ``family.model_`` by teacher forcing on whole windows."""
    check_vectors(train, family.spec, "train")
    device = family.device_
    tokens = train.long()
    model = family.model_ = build(family).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=family.lr, betas=(0.9, 0.99), weight_decay=_WEIGHT_DECAY)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, _warmup_rsqrt(math.ceil(len(tokens) / family.batch_size)))
    epoch_batches = EpochSlices(len(tokens), family.epoch_share, family.batch_size, device)

    def step(index: torch.Tensor) -> torch.Tensor:
        loss = -model.token_log_probs(tokens[index]).mean()  # nats per token
        descend(optimizer, loss, clip=(model.parameters(), _CLIP_NORM))
        schedule.step()
        return loss

    train_epochs(family, [model], epoch_batches, step, report)


@torch.no_grad()
def log_likelihood(family: Transformer, x: torch.Tensor) -> torch.Tensor:
    """Exact log P(window) in nats, (N,), each window scored from its start."""
    model = require_fitted(family.model_, family.name).eval()
    check_vectors(x, family.spec, "x")
    out = []
    for xb in x.split(_EVAL_BATCH):
        xb = xb.to(family.device_).long()
        out.append(model.token_log_probs(xb).sum(-1).cpu())
    return torch.cat(out) if out else torch.zeros(0)


@torch.no_grad()
def generate(family: Transformer, prompt: torch.Tensor, length: int, generator: torch.Generator, *,
             temperature: float, top_k: Optional[int], guard: Any = None) -> torch.Tensor:
    """``Transformer.generate``: (n, P) prompt tokens -> (n, length) new tokens, on the CPU."""
    model = require_fitted(family.model_, family.name).eval()
    window = family.spec.dim
    u = uniform((len(prompt), length), generator, family.device_)
    tokens = prompt.to(family.device_).long()
    state = start_state(guard, prompt)
    hidden, cache = model.prefill(tokens[:, max(0, tokens.shape[1] - (window - 1)):])
    position = min(tokens.shape[1], window - 1) + 1  # positions used: the start and the tokens
    for t in range(length):
        token, state = draw_next(model.logits(hidden).float().softmax(-1), u[:, t], temperature, top_k, guard, state)
        tokens = torch.cat([tokens, token.unsqueeze(1)], dim=1)
        if t == length - 1:
            break
        if position < window:
            hidden, cache = model.step(token, cache, position)
            position += 1
        else:  # the window is full
            keep = tokens[:, -(window // 2):]
            hidden, cache = model.prefill(keep)
            position = keep.shape[1] + 1
    return tokens[:, prompt.shape[1]:].cpu()
