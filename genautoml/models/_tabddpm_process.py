"""The forward processes of ``tabddpm`` and their posteriors (private to genautoml.models).

A row of a table arrives as blocks (``EncodedSpec.blocks``): numbers, one value in [0, 1]
each, and categories, a one-hot block of k values each. ``TabularProcess`` holds, as
buffers, the layout of those blocks and one noise schedule shared by both processes:

- numbers: Gaussian diffusion (Ho et al., 2020) in a "model space" where the data look
  roughly like the prior: "normal" maps a value v to the standard normal quantile of v (the
  numbers that arrive are mostly uniform ranks, so they become N(0, 1) exactly as the
  prior); "linear" maps v to 2v - 1. Time steps are discrete, t = 0 .. T-1.
- categories: multinomial diffusion (Hoogeboom et al., 2021): q(x_t | x_0) mixes the
  one-hot x_0 with the uniform distribution over the block's k categories, keeping a share
  alpha_bar_t of it. The posterior q(x_{t-1} | x_t, x_0) has a closed form, and the model's
  p(x_{t-1} | x_t) is that posterior with x_0 replaced by the network's predicted
  probabilities (the parametrisation of TabDDPM, Kotelnikov et al., 2023).

Categories are carried as log-probabilities in a padded (B, blocks, k_max) tensor; entries
past a block's k hold ``NEG`` (a finite "log 0", so that no NaN reaches a gradient).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from genautoml.spec import EncodedSpec

#: the log-probability of a padded entry: exp() of it is exactly 0 in float32, and the
#: differences of two such entries stay finite
NEG = -1e4
#: log of the zeros of a one-hot vector (Hoogeboom et al. clamp at 1e-30 the same way)
_LOG_ZERO = math.log(1e-30)
#: "normal" numbers are clamped to [eps, 1 - eps] before the normal quantile: +-3.72
_NORMAL_EPS = 1e-4
#: the largest single-step noise of the cosine schedule (Nichol & Dhariwal, 2021)
_MAX_BETA = 0.999
_COSINE_OFFSET = 0.008


def betas(schedule: str, timesteps: int) -> torch.Tensor:
    """The noise added at each of ``timesteps`` steps, float64 (T,).

    "linear": Ho et al.'s 1e-4 .. 0.02 over 1000 steps, rescaled so any T ends as noisy;
    "cosine": alpha_bar(t) = cos^2((t/T + s) / (1 + s) * pi/2), each step's beta capped."""
    if schedule == "linear":
        scale = 1000.0 / timesteps
        return torch.linspace(scale * 1e-4, min(scale * 0.02, _MAX_BETA), timesteps, dtype=torch.float64)
    if schedule == "cosine":
        steps = torch.arange(timesteps + 1, dtype=torch.float64) / timesteps
        alpha_bar = torch.cos((steps + _COSINE_OFFSET) / (1 + _COSINE_OFFSET) * math.pi / 2) ** 2
        return (1 - alpha_bar[1:] / alpha_bar[:-1]).clamp(max=_MAX_BETA)
    raise ValueError(f"schedule: expected 'cosine' or 'linear', got {schedule!r}")


def block_layout(spec: EncodedSpec) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The columns of the number blocks (n_num,), the columns of each category block padded
    to the widest one (blocks, k_max; padding repeats the block's first column) and which
    of those entries are real (blocks, k_max)."""
    numbers, categories = [], []
    for kind, columns in spec.block_slices():
        if kind == "number":
            numbers.append(columns.start)
        else:
            categories.append(list(range(columns.start, columns.stop)))
    k_max = max((len(c) for c in categories), default=1)
    padded = torch.tensor([c + [c[0]] * (k_max - len(c)) for c in categories], dtype=torch.long).view(-1, k_max)
    mask = torch.tensor([[i < len(c) for i in range(k_max)] for c in categories], dtype=torch.bool).view(-1, k_max)
    return torch.tensor(numbers, dtype=torch.long), padded, mask


class TabularProcess(nn.Module):
    """The layout and schedule of one spec, and the maths of both forward processes.

    Everything is a non-persistent buffer: it follows ``.to(device)`` but is rebuilt from
    the spec rather than saved (a checkpoint holds only learned weights)."""

    def __init__(self, spec: EncodedSpec, timesteps: int, schedule: str, numbers: str):
        super().__init__()
        self.timesteps, self.numbers = timesteps, numbers
        number_cols, category_cols, mask = block_layout(spec)
        self.n_numbers, self.n_blocks = len(number_cols), len(category_cols)
        beta = betas(schedule, timesteps)
        alpha = 1 - beta
        alpha_bar = alpha.cumprod(0)
        alpha_bar_prev = torch.cat([torch.ones(1, dtype=torch.float64), alpha_bar[:-1]])
        sizes = mask.sum(1, keepdim=True).to(torch.float64)  # (blocks, 1): k of each block
        buffers = {
            "number_cols": number_cols, "category_cols": category_cols, "mask": mask,
            "log_k": sizes.log(),
            "alpha_bar": alpha_bar,
            # the posterior of the Gaussian: mean = coef_x0 * x0 + coef_xt * x_t, its std
            "coef_x0": beta * alpha_bar_prev.sqrt() / (1 - alpha_bar),
            "coef_xt": (1 - alpha_bar_prev) * alpha.sqrt() / (1 - alpha_bar),
            "posterior_std": (beta * (1 - alpha_bar_prev) / (1 - alpha_bar)).sqrt(),
            # the logs the multinomial process mixes with; 1 - alpha_bar_prev is 0 at t = 0
            "log_alpha": alpha.log(), "log_1m_alpha": beta.log(),
            "log_alpha_bar": alpha_bar.log(), "log_1m_alpha_bar": (1 - alpha_bar).log(),
            "log_alpha_bar_prev": alpha_bar_prev.log(),
            "log_1m_alpha_bar_prev": (1 - alpha_bar_prev).clamp_min(1e-30).log(),
        }
        for name, value in buffers.items():
            self.register_buffer(name, value.float() if value.is_floating_point() else value, persistent=False)

    # ---- rows <-> (numbers, categories) -------------------------------------------------
    def split(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Encoded rows (B, dim) -> numbers in model space (B, n_num), category indices (B, blocks)."""
        blocks = x[:, self.category_cols].masked_fill(~self.mask, -1.0)  # (B, blocks, k_max)
        return self.to_model(x[:, self.number_cols]), blocks.argmax(-1)

    def join(self, numbers: torch.Tensor, categories: torch.Tensor, dim: int) -> torch.Tensor:
        """The inverse of ``split`` for numbers still in model space: (B, dim), one-hot blocks."""
        out = torch.zeros(len(numbers), dim, device=numbers.device)
        out[:, self.number_cols] = numbers
        columns = self.category_cols.expand(len(out), -1, -1).gather(2, categories.unsqueeze(-1)).squeeze(-1)
        return out.scatter_(1, columns, 1.0)

    # ---- numbers --------------------------------------------------------------------------
    def to_model(self, values: torch.Tensor) -> torch.Tensor:
        if self.numbers == "normal":
            return torch.special.ndtri(values.clamp(_NORMAL_EPS, 1 - _NORMAL_EPS))
        return values.clamp(0.0, 1.0) * 2 - 1

    def from_model(self, z: torch.Tensor) -> torch.Tensor:
        if self.numbers == "normal":
            return torch.special.ndtr(z)
        return ((z + 1) / 2).clamp(0.0, 1.0)

    def number_limit(self) -> float:
        """The largest magnitude a clean number has in model space (predictions are clipped to it)."""
        return -float(torch.special.ndtri(torch.tensor(_NORMAL_EPS))) if self.numbers == "normal" else 1.0

    def noisy_numbers(self, x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        signal = self.alpha_bar[t].unsqueeze(-1)
        return signal.sqrt() * x0 + (1 - signal).sqrt() * noise

    def number_step(self, x_t: torch.Tensor, eps: torch.Tensor, t: int, noise: torch.Tensor) -> torch.Tensor:
        """x_{t-1} from x_t and the predicted noise (DDPM's ancestral step; at t = 0, the clean prediction)."""
        signal = self.alpha_bar[t]
        limit = self.number_limit()
        x0 = ((x_t - (1 - signal).sqrt() * eps) / signal.sqrt()).clamp(-limit, limit)
        return self.coef_x0[t] * x0 + self.coef_xt[t] * x_t + self.posterior_std[t] * noise

    # ---- categories ---------------------------------------------------------------------
    def log_onehot(self, categories: torch.Tensor) -> torch.Tensor:
        """Category indices (B, blocks) -> log one-hot (B, blocks, k_max), padding at NEG."""
        k_max = self.mask.shape[1]
        onehot = torch.nn.functional.one_hot(categories, k_max).float()
        return onehot.clamp_min(1e-30).log().masked_fill(~self.mask, NEG)

    def log_predicted(self, out: torch.Tensor) -> torch.Tensor:
        """The network's output (B, dim) -> log-probabilities of x_0 per block (B, blocks, k_max)."""
        logits = out[:, self.category_cols].masked_fill(~self.mask, NEG)
        return logits.log_softmax(-1).masked_fill(~self.mask, NEG)

    def _mix(self, log_x: torch.Tensor, log_keep: torch.Tensor, log_spread: torch.Tensor) -> torch.Tensor:
        """log(keep * x + (1 - keep) / k) per block, padding kept at NEG; ``log_keep`` and
        ``log_spread`` (= log(1 - keep)) are (B,) and broadcast over blocks and entries."""
        mixed = torch.logaddexp(log_x + log_keep.view(-1, 1, 1), log_spread.view(-1, 1, 1) - self.log_k)
        return mixed.masked_fill(~self.mask, NEG)

    def log_q_xt(self, log_x0: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """log q(x_t | x_0) (B, blocks, k_max)."""
        return self._mix(log_x0, self.log_alpha_bar[t], self.log_1m_alpha_bar[t])

    def log_posterior(self, log_x0: torch.Tensor, categories_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """log q(x_{t-1} | x_t, x_0) (B, blocks, k_max) for x_0 given as log-probabilities
        (a one-hot: the true posterior; predicted probabilities: the model's p(x_{t-1} | x_t)).

        q(x_{t-1} | x_t, x_0) is proportional to q(x_t | x_{t-1}) q(x_{t-1} | x_0); the first
        factor, as a function of x_{t-1}, is the one-step mix of x_t's one-hot. At t = 0
        there is no step left: the posterior is x_0 itself."""
        step = self._mix(self.log_onehot(categories_t), self.log_alpha[t], self.log_1m_alpha[t])
        prior = self._mix(log_x0, self.log_alpha_bar_prev[t], self.log_1m_alpha_bar_prev[t])
        joint = (step + prior).masked_fill(~self.mask, NEG)
        posterior = (joint - joint.logsumexp(-1, keepdim=True)).masked_fill(~self.mask, NEG)
        return torch.where((t == 0).view(-1, 1, 1), log_x0, posterior)

    def kl(self, log_p: torch.Tensor, log_q: torch.Tensor) -> torch.Tensor:
        """KL(p || q) per block (B, blocks); padding contributes exp(NEG) * finite = 0."""
        return (log_p.exp() * (log_p - log_q)).sum(-1)
