"""Small torch helpers shared by the built-in families (private to genautoml.models)."""

from __future__ import annotations

import math
from typing import Any, Callable, Iterable, Iterator, Optional, Sequence

import torch
from torch import nn

from genautoml.errors import TrialDiverged
from genautoml.spec import EncodedSpec

#: continuous values may carry float noise from a representation; beyond this it is a bug upstream
_RANGE_SLACK = 1e-4


def check_vectors(x: torch.Tensor, spec: EncodedSpec, what: str = "input") -> None:
    """Raise if ``x`` is not (N, dim) data of ``spec``.

    Non-finite values raise TrialDiverged rather than ValueError: a trial fed NaNs must be
    recorded as failed, not abort the whole search.
    """
    if x.dim() != 2 or x.shape[1] != spec.dim:
        raise ValueError(f"{what}: expected shape (N, {spec.dim}), got {tuple(x.shape)}")
    if spec.discrete:
        if x.is_floating_point():
            raise ValueError(f"{what}: expected integer levels, got {x.dtype}")
        if x.numel() and (int(x.min()) < 0 or int(x.max()) >= spec.levels):
            raise ValueError(f"{what}: levels must lie in 0..{spec.levels - 1}")
        return
    if not x.is_floating_point():
        raise ValueError(f"{what}: expected float values in [0, 1], got {x.dtype}")
    if not bool(torch.isfinite(x).all()):
        raise TrialDiverged(f"{what} contains NaN or infinite values")
    if x.numel() and (float(x.min()) < -_RANGE_SLACK or float(x.max()) > 1 + _RANGE_SLACK):
        raise ValueError(f"{what}: continuous values must lie in [0, 1]")


def to_unit(x: torch.Tensor, spec: EncodedSpec) -> torch.Tensor:
    """Encoded data as float32 in [0, 1] (levels spread evenly), for networks that read floats."""
    if spec.discrete:
        return x.float() / max(spec.levels - 1, 1)
    return x.float().clamp(0.0, 1.0)


def from_unit(u: torch.Tensor, spec: EncodedSpec) -> torch.Tensor:
    """The inverse of ``to_unit``: floats in [0, 1] back to the encoded space (nearest level)."""
    u = u.clamp(0.0, 1.0)
    if spec.discrete:
        return torch.round(u * (spec.levels - 1)).long()
    return u.float()


def mlp(
    sizes: list[int],
    *,
    activation: Callable[[], nn.Module] = nn.SiLU,
    spectral_norm: bool = False,
) -> nn.Sequential:
    """Linear layers through ``sizes`` with an activation between them (none after the last)."""
    layers: list[nn.Module] = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        linear = nn.Linear(fan_in, fan_out)
        if spectral_norm:
            linear = nn.utils.parametrizations.spectral_norm(linear)
        layers.append(linear)
        if i < len(sizes) - 2:
            layers.append(activation())
    return nn.Sequential(*layers)


def minibatches(n: int, batch_size: int, device: torch.device) -> Iterator[torch.Tensor]:
    """Shuffled index batches for one epoch.

    The permutation is drawn on the CPU from torch's default generator (seeded by
    ``Family.fit``), so the order of batches does not depend on the device.
    """
    yield from even_batches(torch.randperm(n).to(device), batch_size)


def even_batches(order: torch.Tensor, batch_size: int) -> list[torch.Tensor]:
    """``order`` cut into as few batches of at most ``batch_size`` as hold it, of sizes that
    differ by at most one, not full batches and a ragged remainder: a last batch of a few
    examples takes a full-size step on a gradient far noisier than the others (measured:
    digits diffusion for 3 minutes at batch 256 scored Fréchet 0.211 with a last batch of
    157, 0.621 at batch 287 with a last batch of 2; docs/benchmarks.md)."""
    count = max(1, math.ceil(len(order) / batch_size))
    return list(torch.tensor_split(order, count))


class EpochSlices:
    """Index batches for epochs that are each a share of a pass over ``n`` examples.

    The examples stream through one shuffled pass after another (each permutation drawn on
    the CPU from torch's default generator, as ``minibatches`` does), and each epoch takes
    the next ``round(share * n)`` of them. With share 1 an epoch is exactly one pass, batch
    for batch what ``minibatches`` gives. Why a share: an epoch is the unit in which cv cuts
    a family short to its budget and raises its fidelity; on a large corpus a whole pass
    can outlast a small budget's share of it.
    """

    def __init__(self, n: int, share: float, batch_size: int, device: torch.device):
        self.n, self.size = n, max(1, round(share * n))
        self.batch_size, self.device = batch_size, device
        self._pending = torch.zeros(0, dtype=torch.long)

    def __call__(self) -> Iterator[torch.Tensor]:
        """The index batches of the next epoch."""
        while len(self._pending) < self.size:
            self._pending = torch.cat([self._pending, torch.randperm(self.n)])
        epoch, self._pending = self._pending[: self.size].to(self.device), self._pending[self.size:]
        return iter(even_batches(epoch, self.batch_size))


def train_epochs(family, modules: Sequence[nn.Module], batches: Callable[[], Iterable[Any]],
                 step: Callable[[Any], torch.Tensor], report: Callable[[int], None]) -> None:
    """The epoch loop the gradient-trained families share. Each of ``family.epochs`` epochs:
    ``modules`` in training mode; ``step(batch)`` (one update, returning its loss) for every
    batch ``batches()`` yields; the epoch's losses summed on the device and checked once (one
    host sync per epoch, and a NaN anywhere in the epoch survives into the sum); the modules
    back in eval mode; then ``report(epoch)``, which may score the model or end training."""
    for epoch in range(1, family.epochs + 1):
        for module in modules:
            module.train()
        total = torch.zeros((), device=family.device_)
        for batch in batches():
            total += step(batch).detach()
        family.check_finite(total)
        for module in modules:
            module.eval()
        report(epoch)


def posterior_draw(mean: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
    """One reparameterised draw z = mean + sigma * noise from a diagonal Gaussian posterior
    (the VAE families': vae, tvae, ddsp); the noise from torch's default generator."""
    return mean + (0.5 * log_var).exp() * torch.randn_like(mean)


def kl_to_prior(mean: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
    """KL(q(z|x) || N(0, I)) per example, (B,), for a diagonal Gaussian q."""
    return 0.5 * (mean.pow(2) + log_var.exp() - 1 - log_var).sum(-1)


def descend(optimizer: torch.optim.Optimizer, loss: torch.Tensor, clip: Optional[tuple[Any, float]] = None) -> None:
    """One gradient step on ``loss``; ``clip`` (parameters, max norm) clips their gradients
    first (recurrent nets, flows and diffusion take the odd huge step early on)."""
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    if clip is not None:
        nn.utils.clip_grad_norm_(*clip)
    optimizer.step()


@torch.no_grad()
def update_average(average: nn.Module, current: nn.Module, decay: float) -> None:
    """Exponential moving average of ``current``'s parameters into ``average`` (``decay`` of
    the old value kept); buffers are copied, since they are not learnt by gradient."""
    for kept, new in zip(average.parameters(), current.parameters()):
        kept.lerp_(new, 1.0 - decay)
    for kept, new in zip(average.buffers(), current.buffers()):
        kept.copy_(new)


def warmed_decay(decay: float, step: int) -> float:
    """The EMA decay at optimiser step ``step``: ramped up to ``decay`` (the ramp of Ho et
    al.'s implementation), so that early on the average does not mostly hold the random
    initial weights."""
    return min(decay, (1 + step) / (10 + step))


def module_state(**modules: nn.Module) -> dict[str, torch.Tensor]:
    """A flat ``{"<module>.<key>": tensor}`` dict on the CPU, loadable with weights_only=True."""
    state: dict[str, torch.Tensor] = {}
    for prefix, module in modules.items():
        for key, value in module.state_dict().items():
            state[f"{prefix}.{key}"] = value.detach().cpu().clone()
    return state


def load_module_state(state: dict[str, torch.Tensor], **modules: nn.Module) -> None:
    """The inverse of ``module_state``; strict, so a checkpoint of another shape fails loudly."""
    for prefix, module in modules.items():
        head = prefix + "."
        own = {key[len(head) :]: value for key, value in state.items() if key.startswith(head)}
        module.load_state_dict(own, strict=True)


def require_fitted(module: Optional[nn.Module], family: str) -> nn.Module:
    if module is None:
        raise RuntimeError(f"family {family!r} is not fitted: call fit() or load_state() first")
    return module


def uniform(shape: tuple[int, ...], generator: torch.Generator, device: torch.device) -> torch.Tensor:
    """Uniform noise drawn on the CPU from ``generator``: the same draw on every device."""
    return torch.rand(shape, generator=generator).to(device)


def categorical(probs: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """Inverse-CDF draw from ``probs`` (..., K) given uniforms ``u`` (...): index tensor (...).

    torch.multinomial cannot take a CPU generator for CUDA probabilities, and pre-drawn
    uniforms keep samples reproducible across devices.
    """
    cdf = probs.cumsum(-1)
    index = (cdf < u.unsqueeze(-1) * cdf[..., -1:]).sum(-1)
    return index.clamp_(max=probs.shape[-1] - 1)


def draw_next(probs: torch.Tensor, u: torch.Tensor, temperature: float, top_k: Optional[int], guard: Any,
              state: Any) -> tuple[torch.Tensor, Any]:
    """The next tokens (n,) drawn from ``probs`` (n, V) with uniforms ``u`` (n,), and the
    guard's state after them. A ``guard`` (genautoml/data/text/utf8.py) masks the tokens it
    does not allow first; a row where no allowed token has probability draws among the
    allowed ones alike."""
    if guard is not None:
        allowed = guard.allowed(state).to(probs.device)
        kept = probs * allowed
        probs = torch.where(kept.sum(-1, keepdim=True) > 0, kept, allowed.to(probs.dtype))
    token = categorical(temper(probs, temperature, top_k), u)
    return token, (guard.advance(state, token.cpu()) if guard is not None else state)


def start_state(guard: Any, prompt: torch.Tensor) -> Any:
    """The guard's state after ``prompt`` (n, P) (None without a guard)."""
    return guard.after(prompt.cpu()) if guard is not None else None


def temper(probs: torch.Tensor, temperature: float = 1.0, top_k: Optional[int] = None) -> torch.Tensor:
    """Next-token probabilities (..., V) reshaped for sampling: only the ``top_k`` most
    likely kept, then sharpened (temperature < 1) or flattened (> 1); rows sum to one."""
    if not (math.isfinite(temperature) and temperature > 0):
        raise ValueError(f"temperature: expected a positive finite number, got {temperature}")
    if top_k is not None and top_k < probs.shape[-1]:
        kth = probs.topk(top_k, dim=-1).values[..., -1:]
        probs = torch.where(probs >= kth, probs, torch.zeros_like(probs))
    if temperature != 1.0:
        # p ** (1 / T), computed in logs; zeros (cut by top_k) stay zero.
        logs = torch.where(probs > 0, probs.log() / temperature, torch.full_like(probs, -math.inf))
        probs = (logs - logs.amax(-1, keepdim=True)).exp()
    return probs / probs.sum(-1, keepdim=True)
