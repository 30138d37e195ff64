"""The networks of ``ctgan`` (private): the conditional generator and the packed critic.

The encoded row is consecutive blocks (genautoml/spec.py): ("number", 1) values in [0, 1]
and ("category", k) one-hot blocks. The generator emits one raw value per column; numbers
pass through a sigmoid, each category block through a softmax (Gumbel-softmax while
training, an exact draw when sampling). Blocks of one width are handled as one
(B, blocks, k) tensor, so a 30-column table costs a few tensor operations, not 30.
Imported by ``genautoml.models._ctgan_train`` (and so by the family's methods) only.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import torch
from torch import nn
from torch.nn import functional as F

from genautoml.models._torch_utils import categorical, mlp
from genautoml.spec import EncodedSpec

if TYPE_CHECKING:
    from genautoml.models.ctgan import CTGAN

#: Gumbel-softmax temperature of the category blocks in training (CTGAN's 0.2: nearly
#: one-hot, so the critic cannot tell fakes by their soft blocks alone, yet differentiable)
GUMBEL_TAU = 0.2
#: the critic's LeakyReLU slope and dropout (CTGAN's; dropout keeps the critic from
#: memorising a small table)
CRITIC_SLOPE, CRITIC_DROPOUT = 0.2, 0.5


class BlockLayout(nn.Module):
    """Where each block of ``spec`` lies, as index tensors (buffers, so they follow ``to``).

    ``numbers`` (n_numbers,): the number columns. ``groups``: one (blocks, k) index tensor
    per category width k. ``conditions``: the category blocks with at least two categories,
    which the conditional vector covers in order: ``cond_rows`` (n_cond_blocks, max_k)
    their columns in the row, ``cond_slots`` the same in the conditional vector, ``cond_valid``
    which of the max_k places are real (blocks are padded to the widest).
    None of these is persistent: they are rebuilt from the spec, not loaded.
    """

    def __init__(self, spec: EncodedSpec):
        super().__init__()
        slices = spec.block_slices()
        numbers = [s.start for kind, s in slices if kind == "number"]
        widths = sorted({s.stop - s.start for kind, s in slices if kind == "category"})
        self.group_names: list[str] = []
        for k in widths:
            rows = [list(range(s.start, s.stop)) for kind, s in slices if kind == "category" and s.stop - s.start == k]
            self.group_names.append(f"group_{k}")
            self.register_buffer(f"group_{k}", torch.tensor(rows, dtype=torch.long), persistent=False)
        self.register_buffer("numbers", torch.tensor(numbers, dtype=torch.long), persistent=False)
        order = torch.cat([self.numbers, *(getattr(self, g).flatten() for g in self.group_names)])
        # activated pieces are concatenated numbers first, then group by group; this puts them back
        self.register_buffer("unpermute", order.argsort(), persistent=False)
        self.n_categories = sum(len(getattr(self, g)) for g in self.group_names)
        self._conditions([(s.start, s.stop) for kind, s in slices if kind == "category" and s.stop - s.start >= 2])

    def _conditions(self, blocks: list[tuple[int, int]]) -> None:
        max_k = max((stop - start for start, stop in blocks), default=0)
        rows = torch.zeros((len(blocks), max_k), dtype=torch.long)
        slots = torch.zeros((len(blocks), max_k), dtype=torch.long)
        valid = torch.zeros((len(blocks), max_k), dtype=torch.bool)
        offset = 0
        for b, (start, stop) in enumerate(blocks):
            k = stop - start
            rows[b, :k] = torch.arange(start, stop)
            slots[b, :k] = torch.arange(offset, offset + k)
            valid[b, :k] = True
            offset += k
        self.condition_dim = offset
        self.register_buffer("cond_rows", rows, persistent=False)
        self.register_buffer("cond_slots", slots, persistent=False)
        self.register_buffer("cond_valid", valid, persistent=False)

    def groups(self) -> list[torch.Tensor]:
        return [getattr(self, g) for g in self.group_names]

    def soft(self, raw: torch.Tensor, tau: float = GUMBEL_TAU) -> torch.Tensor:
        """Training rows (B, dim): sigmoid numbers, Gumbel-softmax category blocks (differentiable)."""
        pieces = [torch.sigmoid(raw[:, self.numbers])]
        pieces += [F.gumbel_softmax(raw[:, index], tau=tau, dim=-1).flatten(1) for index in self.groups()]
        return torch.cat(pieces, dim=1)[:, self.unpermute]

    def hard(self, raw: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
        """Sampled rows (B, dim): sigmoid numbers, and each category drawn from its softmax with
        uniforms ``u`` (B, n_categories) as an exact one-hot block. (A draw, not the argmax:
        argmax(logits + Gumbel noise) at any temperature is exactly this draw.)"""
        pieces, used = [torch.sigmoid(raw[:, self.numbers])], 0
        for index in self.groups():
            blocks, k = index.shape
            drawn = categorical(raw[:, index].softmax(-1), u[:, used : used + blocks])  # (B, blocks)
            pieces.append(F.one_hot(drawn, k).to(raw.dtype).flatten(1))
            used += blocks
        return torch.cat(pieces, dim=1)[:, self.unpermute]


class Residual(nn.Module):
    """Linear -> BatchNorm -> ReLU, concatenated to its own input (CTGAN's residual), so
    the last layer sees the noise, the condition and every hidden layer's features."""

    def __init__(self, fan_in: int, fan_out: int):
        super().__init__()
        self.linear = nn.Linear(fan_in, fan_out)
        self.norm = nn.BatchNorm1d(fan_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([F.relu(self.norm(self.linear(x))), x], dim=1)


class ConditionalGenerator(nn.Module):
    """(noise (B, latent), condition (B, condition_dim)) -> raw outputs (B, dim), before activation.

    It also keeps how often each conditioning category occurs in the training rows
    (``category_counts``, a persistent buffer): samples draw their conditions from it,
    so the checkpoint is the whole sampler.
    """

    def __init__(self, spec: EncodedSpec, latent_dim: int, hidden: int, depth: int):
        super().__init__()
        self.spec, self.latent_dim = spec, latent_dim
        self.layout = BlockLayout(spec)
        width, layers = latent_dim + self.layout.condition_dim, []
        for _ in range(depth):
            layers.append(Residual(width, hidden))
            width += hidden
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(width, spec.dim)
        self.register_buffer("category_counts", torch.zeros(self.layout.condition_dim))

    def forward(self, z: torch.Tensor, condition: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(torch.cat([z, condition], dim=1)))


class PackedCritic(nn.Module):
    """The WGAN critic over PacGAN packs: ``pac`` rows (with their conditions) are judged
    together, (B, width) -> (B / pac,) scores, so a generator that collapses onto a few
    rows shows as packs with too little variety."""

    def __init__(self, width: int, hidden: int, depth: int, pac: int):
        super().__init__()
        self.pac = pac
        activation = functools.partial(_leaky_dropout, CRITIC_SLOPE, CRITIC_DROPOUT)
        self.net = mlp([pac * width, *[hidden] * depth, 1], activation=activation)

    def forward(self, rows: torch.Tensor) -> torch.Tensor:
        return self.net(rows.reshape(-1, self.pac * rows.shape[1])).squeeze(1)


def _leaky_dropout(slope: float, dropout: float) -> nn.Module:
    return nn.Sequential(nn.LeakyReLU(slope), nn.Dropout(dropout))


def build(family: CTGAN) -> ConditionalGenerator:
    """The untrained generator: the whole checkpointed state (the critic only trains it)."""
    return ConditionalGenerator(family.spec, family.latent_dim, family.hidden, family.depth)


def build_critic(family: CTGAN, condition_dim: int) -> PackedCritic:
    return PackedCritic(family.spec.dim + condition_dim, family.hidden, family.depth, family.pac)
