"""``tabddpm``: diffusion over the rows of a table (TabDDPM, Kotelnikov et al., 2023).

Number blocks diffuse with Gaussian noise (DDPM, the network predicting the noise) and
each category block with multinomial diffusion (Hoogeboom et al., 2021: the one-hot mixed
with the uniform distribution over the block's categories, the network predicting x_0's
probabilities), both on one schedule of ``timesteps`` discrete steps and through one MLP
that reads the whole noisy row. Sampling walks every step from noise and draws each
category, so every category block of a sample is an exact one-hot row.

No likelihood: the variational bound (the sum of the per-step KL terms of both processes
over all ``timesteps``, plus the decoder at t = 0) is a future addition, so ``tabddpm``
cannot be selected by a likelihood metric.

The torch half is ``genautoml/models/_tabddpm_net.py`` (network, training, sampling) and
``_tabddpm_process.py`` (the schedule and both processes).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, Optional

from genautoml.models._one_network import OneNetworkState
from genautoml.models.base import Bound, Family
from genautoml.models.registry import register
from genautoml.spec import EncodedSpec

if TYPE_CHECKING:
    from torch import nn


@register
class TabDDPM(OneNetworkState, Family):
    name = "tabddpm"
    network_module = "genautoml.models._tabddpm_net"
    modalities = ("tabular",)
    has_likelihood = False
    # A constant learning rate and a moving average that is the model at any epoch: every
    # epoch is alike, so final training may run past the tuned count.
    extends_epochs = True
    summary = "TabDDPM: Gaussian diffusion for numbers, multinomial diffusion for categories, one MLP; samples only"
    bounds = {"timesteps": Bound(2, 10_000), "weight_decay": Bound(0, 1)}
    default_space = {
        "lr": {"loguniform": [7e-4, 3e-3]},
        "batch_size": {"choice": [256, 512]},
        "epochs": {"int": [100, 600]},
        "hidden": {"choice": [128, 256, 512]},
        "depth": {"int": [2, 3]},
        "timesteps": {"choice": [100, 250, 500]},
        "schedule": {"choice": ["cosine", "linear"]},
    }

    def __init__(
        self,
        spec: EncodedSpec,
        *,
        lr: float = 2e-3,
        weight_decay: float = 1e-5,
        batch_size: int = 256,
        epochs: int = 300,
        hidden: int = 256,
        depth: int = 2,
        timesteps: int = 100,
        schedule: Literal["cosine", "linear"] = "cosine",
        numbers: Literal["normal", "linear"] = "normal",
        ema: float = 0.999,
    ):
        super().__init__(spec)
        self.lr = lr
        self.weight_decay = weight_decay
        # clipped to the table: a table smaller than a batch trains one full batch an epoch
        self.batch_size = batch_size
        # passes over the training rows
        self.epochs = epochs
        # the MLP's width and its hidden layers after the input projection
        self.hidden = hidden
        self.depth = depth
        # discrete diffusion steps; sampling walks all of them, so they cost sampling time
        self.timesteps = timesteps
        self.schedule = schedule
        # how numbers in [0, 1] enter the Gaussian process: "normal" (standard normal
        # quantile: uniform ranks become N(0, 1), the prior's own shape) or "linear" (2v - 1)
        self.numbers = numbers
        # decay of the moving average of the weights that samples come from
        self.ema = ema
        self.model_: Optional[nn.Module] = None

    @classmethod
    def supports(cls, spec: EncodedSpec) -> bool:
        # needs the block structure to know which values are numbers and which categories
        return spec.blocks is not None
