"""The variational bound of ``diffusion`` (private): a lower bound on log p(x), nats per example.

The continuous-time bound of Kingma et al. (2021, Variational Diffusion Models), for the
model the (moving-average) network defines: the forward process of genautoml/models/
_diffusion_net.py, z_t = alpha_t y + sigma_t eps with alpha_t^2 = alpha_bar(t) and
sigma_t^2 = 1 - alpha_bar(t) (variance preserving), on y = 2 u - 1 in [-1, 1]^dim (u the
data in [0, 1]); its reverse process takes each step to the posterior q(z_s | z_t, x = x_hat)
at the network's clean-data estimate x_hat(z_t, t), in the limit of infinitely many steps.
Written with lambda = log SNR = log(alpha^2 / sigma^2):

    -log p(y) <= KL(q(z_1 | y) || N(0, I))                      the prior term, closed form
               + E_q(z_0 | y)[-log p(y | z_0)]                   the reconstruction term
               + 1/2 int_{lambda_1}^{lambda_0} e^lambda E_eps ||y - x_hat(z_lambda)||^2 dlambda

(VDM's eq. 17 with SNR as the variable of integration). The model starts at
t = ``_T_START`` = 0.01 (lambda_0 = 7.4, sigma_0 / alpha_0 = 0.025 on [-1, 1], a fifth of
the 17 digit levels' spacing): below it the network has seen too few training times to be
accurate, and every error is weighted by e^lambda, so starting earlier loosened the bound
(digits, 60 s of training, 17 levels, bits per dimension at t = 3e-4, 1e-3, 3e-3, 0.01,
0.03: eps 4.57, 3.92, 3.29, 2.54, 2.36; x0 651, 188, 57, 13.4, 3.9; a 2-D logit-normal
barely moved between 1e-3 and 0.01 for eps and v). It ends at t = 1, where alpha_bar is
held at _MIN_ALPHA_BAR (a flat stretch of the schedule adds nothing to the integral).

How tight it is depends on the parameterisation: a network that predicts x0 (the default)
is inaccurate at high SNR, where its error is weighted most, so its bound is loose (13 bits
per dimension on digits' 17 levels where the eps network's is 2.5, and the uniform 4.09);
eps and v come within 0.05 nats of the exact log-likelihood of a 2-D logit-normal.

x_hat is the network's output turned into a clean-data estimate (x0, eps or v, as the
family predicts) and clipped to [-1, 1], as the sampler does; clipping is a valid choice of
the reverse process and only shrinks ||y - x_hat|| since y lies in [-1, 1].

The decoder p(y | z_0):
- continuous data: N(y; z_0 / alpha_0, sigma_0^2 / alpha_0^2), whose term is the closed form
  dim/2 (1 + log(2 pi sigma_0^2 / alpha_0^2)). The bound is on a density over R^dim; in the
  data's units it gains dim log 2 (u = (y + 1) / 2). The model puts some mass outside
  [0, 1]^dim, so on [0, 1]^dim (where the flow's and the vae's densities live) its density
  integrates to at most 1: the bound is a valid, looser, bound there too.
- levels: VDM's discretised decoder, a softmax over the levels' values y_k per dimension
  with logits -(z_0 / alpha_0 - y_k)^2 / (2 sigma_0^2 / alpha_0^2). It is a distribution over
  the levels, so the bound is a true lower bound on the probability of the levels (the same
  nats as the flow's dequantized bound); on 17 levels its term is 0 to float precision.

The estimator: ``_DRAWS`` draws per example, lambda stratified over [lambda_1, lambda_0]
(one uniform draw in each of ``_DRAWS`` equal cells; uniform in lambda is importance
sampling of t by the weight -dSNR/dt / SNR) with fresh Gaussian noise each, from a fixed
generator, so the figure is deterministic. It is an unbiased estimate of the bound (not a
bound draw by draw). Measured over 4 seeds on digits (397 held-out examples, 17 levels,
60 s of training): per example a standard deviation of 8.8 nats around -113 (eps) and 102
around -598 (x0); of the held-out mean, 0.009 (eps) and 0.04 (x0) bits per dimension.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import torch

from genautoml.models._diffusion_net import _COSINE_OFFSET, _MIN_ALPHA_BAR
from genautoml.models._torch_utils import check_vectors, require_fitted, to_unit

if TYPE_CHECKING:
    from genautoml.models.diffusion import Diffusion

#: where the model starts: below it the network is untrained (see the module docstring)
_T_START = 0.01
#: Monte Carlo draws of (lambda, eps) per example, and their fixed seed
_DRAWS, _SEED = 16, 0
#: floats one network pass may hold (examples x draws x dim)
_EVAL_FLOATS = 1 << 21
_LOG_2PI = math.log(2 * math.pi)


def _f(t: torch.Tensor) -> torch.Tensor:
    return torch.cos((t + _COSINE_OFFSET) / (1 + _COSINE_OFFSET) * math.pi / 2) ** 2


def log_snr(t: float) -> float:
    """lambda(t) = log(alpha_bar / (1 - alpha_bar)) of the training schedule, in float64."""
    t64 = torch.tensor(t, dtype=torch.float64)
    signal = (_f(t64) / _f(torch.zeros_like(t64))).clamp(_MIN_ALPHA_BAR, 1.0)
    return float(torch.log(signal) - torch.log1p(-signal))


def time_of(lam: torch.Tensor) -> torch.Tensor:
    """The time t at which the schedule has log-SNR ``lam`` (float64, inverse of ``log_snr``)."""
    f0 = _f(torch.zeros((), dtype=torch.float64))
    angle = torch.arccos((torch.sigmoid(lam) * f0).sqrt().clamp(max=1.0))
    return (angle * 2 * (1 + _COSINE_OFFSET) / math.pi - _COSINE_OFFSET).clamp(0.0, 1.0)


def clean_estimate(out: torch.Tensor, z: torch.Tensor, alpha: torch.Tensor, sigma: torch.Tensor,
                   prediction: str) -> torch.Tensor:
    """The clean data that the network's ``out`` at ``z`` implies, clipped to [-1, 1]."""
    if prediction == "eps":
        clean = (z - sigma * out) / alpha
    elif prediction == "v":
        clean = alpha * z - sigma * out
    else:
        clean = out
    return clean.clamp(-1.0, 1.0)


def prior_term(y: torch.Tensor, lam_end: float) -> torch.Tensor:
    """KL(N(alpha_1 y, sigma_1^2 I) || N(0, I)) per row of ``y`` (float64)."""
    signal = torch.sigmoid(torch.tensor(lam_end, dtype=torch.float64))
    return 0.5 * (signal * y.pow(2) - signal - torch.log1p(-signal)).sum(-1)


def gaussian_reconstruction(dim: int, lam_start: float) -> float:
    """E[-log N(y; z_0 / alpha_0, sigma_0^2 / alpha_0^2)] per example: dim/2 (1 + log(2 pi e^-lambda_0))."""
    return 0.5 * dim * (1.0 + _LOG_2PI - lam_start)


def levels_reconstruction(y: torch.Tensor, x: torch.Tensor, levels: int, lam_start: float,
                          eps: torch.Tensor) -> torch.Tensor:
    """-log p(x | z_0) of the discretised decoder at z_0 / alpha_0 = y + eps e^(-lambda_0 / 2),
    averaged over the K draws of eps; y: (B, dim); eps: (B, K, dim); x: (B, dim) levels. (B,)"""
    values = torch.linspace(-1.0, 1.0, levels, dtype=y.dtype, device=y.device)  # (L,)
    scaled = y.unsqueeze(1) + eps * math.exp(-lam_start / 2)  # (B, K, dim)
    logits = -0.5 * (scaled.unsqueeze(-1) - values).pow(2) * math.exp(lam_start)  # (B, K, dim, L)
    index = x.unsqueeze(1).expand(eps.shape).unsqueeze(-1)
    log_probs = torch.log_softmax(logits, dim=-1).gather(-1, index).squeeze(-1)  # (B, K, dim)
    return -log_probs.sum(-1).mean(-1)


def diffusion_term(model, y: torch.Tensor, prediction: str, lams: torch.Tensor, eps: torch.Tensor,
                   span: float) -> torch.Tensor:
    """1/2 (lambda_0 - lambda_1) mean_k e^lambda_k ||y - x_hat(z_k)||^2 per row of ``y``.

    y: (B, dim) float64; lams: (B, K) float64; eps: (B, K, dim). (B,) float64."""
    b, k, dim = eps.shape
    alpha = torch.sigmoid(lams).sqrt().unsqueeze(-1)  # (B, K, 1)
    sigma = torch.sigmoid(-lams).sqrt().unsqueeze(-1)
    z = alpha * y.unsqueeze(1) + sigma * eps  # (B, K, dim)
    t = time_of(lams).reshape(-1).float()
    out = model(z.reshape(-1, dim).float(), t).double().view(b, k, dim)
    error = (y.unsqueeze(1) - clean_estimate(out, z, alpha, sigma, prediction)).pow(2).sum(-1)  # (B, K)
    return 0.5 * span * (lams.exp() * error).mean(-1)


@torch.no_grad()
def log_likelihood(family: Diffusion, x: torch.Tensor) -> torch.Tensor:
    """The bound on log p(x) in nats per example of encoded ``x`` (module docstring), (N,);
    deterministic."""
    model = require_fitted(family.model_, family.name).eval()
    spec, device = family.spec, family.device_
    check_vectors(x, spec, "x")
    lam_start, lam_end = log_snr(_T_START), log_snr(1.0)
    span, generator = lam_start - lam_end, torch.Generator().manual_seed(_SEED)
    chunk = max(1, _EVAL_FLOATS // (_DRAWS * spec.dim * (spec.levels or 1)))
    bounds = []
    for start in range(0, len(x), chunk):
        xb = x[start : start + chunk]
        y = (to_unit(xb, spec).double() * 2 - 1).to(device)  # (B, dim)
        cells = torch.arange(_DRAWS, dtype=torch.float64) + torch.rand((len(xb), _DRAWS), generator=generator,
                                                                        dtype=torch.float64)
        lams = (lam_end + cells / _DRAWS * span).to(device)  # (B, K), one in each cell
        eps = torch.randn((len(xb), _DRAWS, spec.dim), generator=generator, dtype=torch.float64).to(device)
        loss = prior_term(y, lam_end) + diffusion_term(model, y, family.prediction, lams, eps, span)
        if spec.discrete:
            decoder_eps = torch.randn(eps.shape, generator=generator, dtype=torch.float64).to(device)
            loss = loss + levels_reconstruction(y, xb.to(device), spec.levels, lam_start, decoder_eps)
        else:
            loss = loss + gaussian_reconstruction(spec.dim, lam_start) - spec.dim * math.log(2)
        bounds.append((-loss).float().cpu())
    return torch.cat(bounds) if bounds else torch.zeros(0)
