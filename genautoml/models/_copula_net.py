"""The torch half of ``copula`` (private): the fitted marginals and correlation as buffers.

Imported by ``genautoml.models.copula`` inside its methods, so that reading the family's
declaration does not import torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import nn

from genautoml.models._torch_utils import categorical, check_vectors, require_fitted
from genautoml.models.base import Report
from genautoml.spec import EncodedSpec

if TYPE_CHECKING:
    from genautoml.models.copula import GaussianCopula

#: points of each number's quantile function kept; a fixed count (not the row count) so that
#: the state has the same shape for every table and load_state can build it from the spec
_QUANTILES = 1000
#: uniforms are kept this far inside (0, 1) so their normal scores stay finite
_EDGE = 1e-6
#: smallest eigenvalue kept in the correlation matrix: duplicated or constant variables make
#: it singular when shrinkage is 0, and the Cholesky factor needs it positive definite
_MIN_EIGENVALUE = 1e-6


class CopulaNet(nn.Module):
    """Buffers only: ``quantiles`` (numbers, Q), ``frequencies`` (dim,) with each category
    column's training share (0 under numbers), ``cholesky`` (variables, variables)."""

    def __init__(self, spec: EncodedSpec):
        super().__init__()
        self.spec = spec
        self.blocks = spec.block_slices()
        numbers = sum(kind == "number" for kind, _ in self.blocks)
        self.register_buffer("quantiles", torch.zeros(numbers, _QUANTILES))
        self.register_buffer("frequencies", torch.zeros(spec.dim))
        self.register_buffer("cholesky", torch.eye(len(self.blocks)))

    @torch.no_grad()
    def fit(self, train: torch.Tensor, shrinkage: float) -> None:
        x = train.double()
        scores = torch.empty((len(x), len(self.blocks)), dtype=torch.float64, device=x.device)
        levels = torch.linspace(0, 1, _QUANTILES, dtype=torch.float64, device=x.device)
        number = 0
        for i, (kind, columns) in enumerate(self.blocks):
            if kind == "number":
                values = x[:, columns.start].contiguous()
                scores[:, i] = number_scores(values)
                self.quantiles[number] = torch.quantile(values, levels).float()
                number += 1
            else:
                codes = x[:, columns].argmax(1)
                shares = torch.bincount(codes, minlength=columns.stop - columns.start).double() / len(x)
                scores[:, i] = category_scores(codes, shares)
                self.frequencies[columns] = shares.float()
        self.cholesky.copy_(correlation_factor(scores, shrinkage).float())

    def forward(self, eps: torch.Tensor) -> torch.Tensor:
        """Standard normals (n, variables) -> rows in the encoded space (n, dim)."""
        u = torch.special.ndtr(eps @ self.cholesky.T)  # (n, variables), correlated uniforms
        out = torch.zeros((len(eps), self.spec.dim), device=eps.device)
        number = 0
        for i, (kind, columns) in enumerate(self.blocks):
            if kind == "number":
                out[:, columns.start] = quantile_function(self.quantiles[number], u[:, i])
                number += 1
            else:
                # each category owns an interval as wide as its share: the draw is the one u falls in
                code = categorical(self.frequencies[columns].expand(len(u), -1), u[:, i])
                out[:, columns] = nn.functional.one_hot(code, columns.stop - columns.start).float()
        return out.clamp_(0.0, 1.0)


def number_scores(values: torch.Tensor) -> torch.Tensor:
    """Normal scores Φ^-1(rank / (n + 1)) of one column (n,); ties share their mean rank, so
    a value repeated many times (a spike, a clipped bound) is one point, not a spread."""
    ordered = values.sort().values
    below = torch.searchsorted(ordered, values, side="left")
    through = torch.searchsorted(ordered, values, side="right")
    rank = (below + through + 1).double() / 2  # 1-based mean rank of the ties
    return torch.special.ndtri(rank / (len(values) + 1))


def category_scores(codes: torch.Tensor, shares: torch.Tensor) -> torch.Tensor:
    """Normal scores of one category column: a random point of each row's interval of (0, 1)
    (drawn from torch's default generator, which Family.fit seeds)."""
    low = shares.cumsum(0) - shares  # (k,) left ends of the intervals
    u = low[codes] + shares[codes] * torch.rand(len(codes), dtype=torch.float64, device=codes.device)
    return torch.special.ndtri(u.clamp(_EDGE, 1 - _EDGE))


def correlation_factor(scores: torch.Tensor, shrinkage: float) -> torch.Tensor:
    """Lower Cholesky factor of the shrunk correlation matrix of ``scores`` (n, variables)."""
    variables = scores.shape[1]
    eye = torch.eye(variables, dtype=scores.dtype, device=scores.device)
    if len(scores) < 2:
        return eye
    correlation = torch.corrcoef(scores.T).reshape(variables, variables)
    # a constant variable has no correlation (NaN from 0 / 0): independent of the others
    correlation = torch.nan_to_num(correlation, nan=0.0)
    correlation = (1 - shrinkage) * correlation + shrinkage * eye
    correlation.fill_diagonal_(1.0)
    values, vectors = torch.linalg.eigh(correlation)
    repaired = vectors @ torch.diag(values.clamp_min(_MIN_EIGENVALUE)) @ vectors.T
    scale = repaired.diagonal().rsqrt()
    return torch.linalg.cholesky(repaired * scale[:, None] * scale[None, :])


def quantile_function(quantiles: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """The empirical quantile function (Q,) at ``u`` (n,), linear between the stored points."""
    position = u.clamp(0.0, 1.0) * (len(quantiles) - 1)
    below = position.floor().long().clamp_(max=len(quantiles) - 2)
    weight = position - below
    return torch.lerp(quantiles[below], quantiles[below + 1], weight)


def build(family: GaussianCopula) -> CopulaNet:
    return CopulaNet(family.spec)


def fit(family: GaussianCopula, train: torch.Tensor, report: Report) -> None:
    """Fit the marginals and the correlation; the whole fit is one "epoch"."""
    check_vectors(train, family.spec, "train")
    if len(train) == 0:
        raise ValueError("train: the copula needs at least one row")
    model = CopulaNet(family.spec).to(family.device_)
    model.fit(train, family.shrinkage)
    family.check_finite(model.cholesky.sum(), "correlation")
    family.model_ = model.eval()
    report(1)


@torch.no_grad()
def sample(family: GaussianCopula, n: int, generator: torch.Generator) -> torch.Tensor:
    model = require_fitted(family.model_, family.name)
    eps = torch.randn((n, len(model.blocks)), generator=generator).to(family.device_)
    return model(eps).cpu()
