"""``flow``: a normalizing flow of affine couplings (RealNVP) with an exact likelihood.

For users who want a likelihood they can trust: on continuous data ``log_likelihood`` is
the exact log density on [0, 1]^dim; on levels it is the dequantization bound (uniform
noise over each level's cell), so its bits are bits of the data's own values and compare
with the other families' (genautoml/models/_flow_net.py has the bijection).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from genautoml.models._one_network import OneNetworkState
from genautoml.models.base import Family
from genautoml.models.registry import register
from genautoml.spec import EncodedSpec

if TYPE_CHECKING:

    from genautoml.models._flow_net import FlowNet


@register
class Flow(OneNetworkState, Family):
    name = "flow"
    network_module = "genautoml.models._flow_net"
    modalities = ("image", "audio")
    has_likelihood = True
    extends_epochs = True
    summary = "normalizing flow (RealNVP affine couplings); exact likelihood, dequantized on levels"
    default_space = {
        "lr": {"loguniform": [3e-4, 3e-3]},
        "batch_size": {"choice": [64, 128, 256]},
        "epochs": {"int": [50, 300]},
        "layers": {"choice": [4, 8, 12]},
        "hidden": {"choice": [128, 256, 512]},
        "depth": {"int": [1, 3]},
    }

    def __init__(
        self,
        spec: EncodedSpec,
        *,
        lr: float = 1e-3,
        batch_size: int = 128,
        epochs: int = 150,
        layers: int = 8,
        hidden: int = 256,
        depth: int = 2,
    ):
        super().__init__(spec)
        self.lr = lr
        self.batch_size = batch_size
        self.epochs = epochs
        # layers: couplings (each pair transforms every dimension once)
        self.layers = layers
        # hidden, depth: the MLP of each coupling
        self.hidden = hidden
        self.depth = depth
        self.model_: Optional[FlowNet] = None
