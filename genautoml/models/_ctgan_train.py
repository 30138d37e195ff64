"""The training half of ``ctgan`` (private): training-by-sampling, the WGAN-GP loop, sampling.

CTGAN (Xu et al. 2019) in our block terms. Each training row gets a condition: a category
block chosen uniformly (among blocks of at least two categories), a category of it chosen
with probability proportional to log(count + 1), so rare categories are seen far more
often than their share, and the real row is drawn among the rows having that category.
Both players see the condition; the generator also pays the cross-entropy of the
conditioned block, so it honours it. Samples draw conditions from the empirical counts
instead, so they follow the data's own frequencies.

``family.model_`` is the generator (``build`` here is the one OneNetworkState calls).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

import torch
from torch.nn import functional as F

from genautoml.models._ctgan_net import BlockLayout, ConditionalGenerator, PackedCritic, build, build_critic
from genautoml.models._torch_utils import categorical, check_vectors, descend, require_fitted, train_epochs, uniform
from genautoml.models.base import Report

if TYPE_CHECKING:
    from genautoml.models.ctgan import CTGAN

__all__ = ["build", "fit", "sample"]

#: WGAN-GP's penalty weight (Gulrajani et al.; CTGAN's 10)
GP_WEIGHT = 10.0
#: Adam for both players, as CTGAN: beta1 0.5 for adversarial training, a touch of weight decay
ADAM_BETAS, WEIGHT_DECAY = (0.5, 0.9), 1e-6

Draw = tuple[torch.Tensor, Optional[torch.Tensor], Optional[torch.Tensor], torch.Tensor]


class ConditionSampler:
    """Conditions and matching real rows for training, drawn from ``data`` (N, dim).

    ``counts`` (n_blocks, max_k): how many rows have each category of each conditioning
    block. ``pool`` (n_blocks, N): per block, the row numbers sorted by category, so the
    rows of category c of block b are ``pool[b, start[b, c] : start[b, c] + counts[b, c]]``.
    """

    def __init__(self, layout: BlockLayout, data: torch.Tensor):
        self.layout, self.n_rows = layout, len(data)
        self.n_blocks = len(layout.cond_rows)
        if self.n_blocks == 0:
            return
        values = data[:, layout.cond_rows].masked_fill(~layout.cond_valid, -1.0)  # (N, n_blocks, max_k)
        codes = values.argmax(-1)  # (N, n_blocks): each row's category in each block
        self.counts = F.one_hot(codes, layout.cond_rows.shape[1]).sum(0).float()  # (n_blocks, max_k)
        weights = torch.log1p(self.counts) * layout.cond_valid  # a category no row has gets weight 0
        self.train_probs = weights / weights.sum(-1, keepdim=True)
        self.pool = codes.T.argsort(dim=1, stable=True)
        self.start = (self.counts.cumsum(-1) - self.counts).long()

    def empirical_counts(self) -> torch.Tensor:
        """The counts laid out as the conditional vector (condition_dim,), for the generator to keep."""
        out = torch.zeros(self.layout.condition_dim, device=self.layout.cond_rows.device)
        if self.n_blocks:
            out[self.layout.cond_slots[self.layout.cond_valid]] = self.counts[self.layout.cond_valid]
        return out

    def draw(self, batch: int) -> Draw:
        """(condition (B, condition_dim), block (B,), category (B,), real row numbers (B,)).
        Without a conditioning block: an empty condition, None, None and rows drawn alike."""
        device = self.layout.cond_rows.device
        if self.n_blocks == 0:
            return torch.zeros((batch, 0), device=device), None, None, torch.randint(self.n_rows, (batch,), device=device)
        block = torch.randint(self.n_blocks, (batch,), device=device)
        category = torch.multinomial(self.train_probs[block], 1).squeeze(1)
        condition = one_hot_condition(self.layout, block, category)
        count = self.counts[block, category]
        within = (torch.rand(batch, device=device) * count).long().minimum(count.long() - 1)
        rows = self.pool[block, self.start[block, category] + within]
        return condition, block, category, rows


def one_hot_condition(layout: BlockLayout, block: torch.Tensor, category: torch.Tensor) -> torch.Tensor:
    condition = torch.zeros((len(block), layout.condition_dim), device=block.device)
    condition[torch.arange(len(block), device=block.device), layout.cond_slots[block, category]] = 1.0
    return condition


def condition_loss(layout: BlockLayout, raw: torch.Tensor, block: Optional[torch.Tensor],
                   category: Optional[torch.Tensor]) -> torch.Tensor:
    """Cross-entropy of each row's conditioned block against the asked category (0 without one)."""
    if block is None or category is None:
        return raw.new_zeros(())
    logits = raw.gather(1, layout.cond_rows[block])  # (B, max_k); padding masked out below
    return F.cross_entropy(logits.masked_fill(~layout.cond_valid[block], float("-inf")), category)


def gradient_penalty(critic: PackedCritic, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """WGAN-GP: (|grad critic| - 1)^2 at points between real and fake packs (one mix per pack)."""
    pac, width = critic.pac, real.shape[1]
    alpha = torch.rand(len(real) // pac, 1, 1, device=real.device).expand(-1, pac, 1).reshape(-1, 1)
    mixed = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(mixed).sum(), mixed, create_graph=True)
    return ((grad.reshape(-1, pac * width).norm(dim=1) - 1) ** 2).mean()


def batch_rows(batch_size: int, n_rows: int, pac: int) -> int:
    """Rows per step: at most the table, a whole number of packs, and at least two (BatchNorm)."""
    rows = max(pac, min(batch_size, n_rows) // pac * pac)
    return rows if rows >= 2 else 2 * rows


def train_step(family: CTGAN, players: tuple[ConditionalGenerator, PackedCritic], sampler: ConditionSampler,
               data: torch.Tensor, batch: int, optimizers: tuple[torch.optim.Optimizer, torch.optim.Optimizer]) -> torch.Tensor:
    """One critic step then one generator step; returns the sum of both losses (detached)."""
    generator, critic = players
    g_opt, d_opt = optimizers
    layout, device = generator.layout, data.device
    condition, _, _, rows = sampler.draw(batch)
    fake = layout.soft(generator(torch.randn(batch, family.latent_dim, device=device), condition)).detach()
    real, fake = torch.cat([data[rows], condition], 1), torch.cat([fake, condition], 1)
    # one critic pass over both: batch is a whole number of packs, so no pack mixes real and fake
    d_real, d_fake = critic(torch.cat([real, fake])).split(batch // family.pac)
    d_loss = d_fake.mean() - d_real.mean() + GP_WEIGHT * gradient_penalty(critic, real, fake)
    descend(d_opt, d_loss)
    # fresh conditions for the generator's step, as CTGAN (real rows are not needed here)
    condition, block, category, _ = sampler.draw(batch)
    raw = generator(torch.randn(batch, family.latent_dim, device=device), condition)
    g_loss = -critic(torch.cat([layout.soft(raw), condition], 1)).mean() + condition_loss(layout, raw, block, category)
    descend(g_opt, g_loss)
    return d_loss.detach() + g_loss.detach()


def fit(family: CTGAN, train: torch.Tensor, report: Report) -> None:
    """Train ``family.model_`` (the generator) on ``train``, calling ``report(epoch)`` after every epoch."""
    check_vectors(train, family.spec, "train")
    data = train.float().clamp(0.0, 1.0)
    generator = build(family).to(family.device_)
    sampler = ConditionSampler(generator.layout, data)
    generator.category_counts.copy_(sampler.empirical_counts())
    critic = build_critic(family, generator.layout.condition_dim).to(family.device_)
    optimizers = tuple(torch.optim.Adam(player.parameters(), lr=family.lr, betas=ADAM_BETAS, weight_decay=WEIGHT_DECAY)
                       for player in (generator, critic))
    batch = batch_rows(family.batch_size, len(data), family.pac)
    # an epoch is about one pass over the table (rows are drawn with replacement)
    steps = max(1, len(data) // batch)
    family.model_ = generator
    train_epochs(family, [generator, critic], lambda: range(steps),
                 lambda _: train_step(family, (generator, critic), sampler, data, batch, optimizers), report)


def sample_conditions(generator: ConditionalGenerator, u_block: torch.Tensor, u_category: torch.Tensor) -> torch.Tensor:
    """Conditions (n, condition_dim) for sampling: a block uniformly, then a category at its
    empirical frequency, so the samples' categories follow the training rows'."""
    layout = generator.layout
    n_blocks = len(layout.cond_rows)
    if n_blocks == 0:
        return torch.zeros((len(u_block), 0), device=u_block.device)
    block = (u_block * n_blocks).long().clamp(max=n_blocks - 1)
    counts = generator.category_counts[layout.cond_slots] * layout.cond_valid  # (n_blocks, max_k)
    return one_hot_condition(layout, block, categorical(counts[block], u_category))


@torch.no_grad()
def sample(family: CTGAN, n: int, generator: torch.Generator) -> torch.Tensor:
    """``n`` rows (n, dim) on the CPU; every draw comes from ``generator``."""
    model = require_fitted(family.model_, family.name).eval()
    device, layout = family.device_, model.layout
    z = torch.randn((n, family.latent_dim), generator=generator).to(device)
    u = uniform((n, 2 + layout.n_categories), generator, device)  # block, category, then one per category block
    raw = model(z, sample_conditions(model, u[:, 0], u[:, 1]))
    return layout.hard(raw, u[:, 2:]).clamp(0.0, 1.0).float().cpu()
