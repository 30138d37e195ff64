"""``diffusion``: a denoising diffusion model (DDPM training, DDIM sampling).

The family behind most current image and audio generators. Training regresses the noise
added at a random time of a cosine schedule; sampling runs ``steps`` deterministic DDIM
steps from noise, so the number of steps trades sampling time for quality without
retraining. The network follows the layout the representation declares: a residual MLP
for flat vectors and small grids (8x8 digits), dilated 1-D convolutions for waveforms,
a small U-Net for 2-D grids of 16x16 and up (genautoml/models/_denoisers.py).

No likelihood: the variational bound of a diffusion model needs its own decoder at t = 0
and a pass over every time step; it is not built yet, so ``diffusion`` cannot be selected
by a likelihood metric (validate says so).
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
class Diffusion(OneNetworkState, Family):
    name = "diffusion"
    network_module = "genautoml.models._diffusion_net"
    modalities = ("image", "audio", "tabular")
    # Every epoch is alike (no schedule tied to the count), and the moving average is the
    # model at any epoch: final training may run past the tuned count.
    extends_epochs = True
    summary = "denoising diffusion (DDPM training, DDIM sampling with eta); MLP, dilated 1-D conv or U-Net by layout"
    bounds = {"steps": Bound(1, 10_000), "channels": Bound(1, 1024), "eta": Bound(0, 1)}
    default_space = {
        "lr": {"loguniform": [3e-4, 3e-3]},
        "batch_size": {"choice": [32, 64, 128]},
        "epochs": {"int": [100, 600]},
        "hidden": {"choice": [256, 512]},
        "depth": {"int": [2, 4]},
        "steps": {"choice": [25, 50, 100]},
        "eta": {"choice": [0.0, 0.5, 1.0]},
        "ema": {"choice": [0.99, 0.995, 0.999]},
    }

    def __init__(
        self,
        spec: EncodedSpec,
        *,
        lr: float = 1e-3,
        batch_size: int = 32,
        epochs: int = 150,
        hidden: int = 256,
        depth: int = 2,
        channels: int = 32,
        steps: int = 50,
        ema: float = 0.995,
        prediction: Literal["x0", "eps", "v"] = "x0",
        eta: float = 0.5,
        network: Literal["auto", "mlp"] = "auto",
    ):
        super().__init__(spec)
        self.lr = lr
        self.batch_size = batch_size
        self.epochs = epochs
        # hidden: the MLP's width; channels: the width of the convolutional networks.
        self.hidden = hidden
        # depth: residual blocks of the MLP, cycles of dilations of the 1-D stack, middle
        # blocks of the U-Net.
        self.depth = depth
        self.channels = channels
        # DDIM steps at sampling time (the network is the same for any count).
        self.steps = steps
        self.ema = ema
        # what the network regresses: the clean data, the noise or the velocity
        self.prediction = prediction
        # the share of DDPM's fresh noise at each sampling step (0: deterministic DDIM)
        self.eta = eta
        # "auto": the network the representation's layout calls for; "mlp": always the MLP.
        self.network = network
        self.model_: Optional[nn.Module] = None

    def width(self) -> int:
        """The width the chosen network is built with."""
        from genautoml.models._denoisers import choose

        return self.hidden if choose(self.spec, self.network) == "mlp" else self.channels
