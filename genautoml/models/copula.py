"""``copula``: a Gaussian copula over the rows of a table: the fast tabular baseline.

Each block of the encoded row is one variable. A number keeps its empirical marginal (a
fixed grid of its training quantiles); a category keeps its training frequencies, each
category owning an interval of (0, 1) as wide as its frequency (SDV's frequency encoding).
The dependence between variables is one correlation matrix of their normal scores, shrunk
towards the identity. Sampling draws correlated normals, maps them to (0, 1) and through
each variable's quantile function (numbers) or intervals (categories, as exact one-hot).

Nothing is trained by gradient: fitting is sorts and one correlation matrix, seconds on any
table, so the family has no epochs and reports once. No likelihood.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from genautoml.models._one_network import OneNetworkState
from genautoml.models.base import Bound, Family
from genautoml.models.registry import register
from genautoml.spec import EncodedSpec

if TYPE_CHECKING:
    from genautoml.models._copula_net import CopulaNet


@register
class GaussianCopula(OneNetworkState, Family):
    name = "copula"
    network_module = "genautoml.models._copula_net"
    modalities = ("tabular",)
    has_likelihood = False
    summary = "Gaussian copula over empirical marginals and category frequencies; fits in seconds, samples only"
    default_space = {"shrinkage": {"uniform": [0.0, 0.3]}}
    bounds = {"shrinkage": Bound(0, 1)}

    def __init__(self, spec: EncodedSpec, *, shrinkage: float = 0.05):
        super().__init__(spec)
        # Weight of the identity in the correlation matrix: 0 keeps the estimate as it is,
        # more trusts fewer rows less (and keeps the matrix positive definite).
        self.shrinkage = shrinkage
        self.model_: Optional[CopulaNet] = None

    @classmethod
    def supports(cls, spec: EncodedSpec) -> bool:
        return spec.kind == "vector" and spec.blocks is not None
