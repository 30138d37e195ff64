"""``diffusion``: a denoising diffusion model (DDPM training, DDIM sampling).

The family behind most current image and audio generators. Training regresses the noise
added at a random time of a cosine schedule; sampling runs ``steps`` deterministic DDIM
steps from noise, so the number of steps trades sampling time for quality without
retraining. The network follows the layout the representation declares: a residual MLP
for flat vectors and small grids (8x8 digits), dilated 1-D convolutions for waveforms,
a small U-Net for 2-D grids of 16x16 and up (genautoml/models/_denoisers.py).

Its likelihood is a bound: ``log_likelihood`` is the continuous-time variational lower
bound of Kingma et al. (2021) for the model the moving-average network defines (the reverse
process in the limit of many steps, not the DDIM sampler of ``steps`` steps), estimated
with fixed draws: on continuous data a bound on the log density on [0, 1]^dim, on levels a
bound on the log probability of the levels through a discretised decoder
(genautoml/models/_diffusion_bound.py has the formula and the estimator).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, Optional

from genautoml.models._one_network import OneNetworkState
from genautoml.models.base import Bound, Family
from genautoml.models.registry import register
from genautoml.spec import EncodedSpec

if TYPE_CHECKING:
    import torch
    from torch import nn


@register
class Diffusion(OneNetworkState, Family):
    name = "diffusion"
    network_module = "genautoml.models._diffusion_net"
    modalities = ("image", "audio", "tabular")
    has_likelihood = True
    # Every epoch is alike (no schedule tied to the count), and the moving average is the
    # model at any epoch: final training may run past the tuned count.
    extends_epochs = True
    summary = ("denoising diffusion (DDPM training, DDIM sampling with eta); MLP, dilated 1-D conv or U-Net by layout; "
               "likelihood is a variational lower bound")
    bounds = {"steps": Bound(1, 10_000), "channels": Bound(1, 1024), "eta": Bound(0, 1)}
    default_space = {
        "lr": {"loguniform": [1e-3, 6e-3]},
        "batch_size": {"choice": [64, 128, 256]},
        "epochs": {"int": [150, 900]},
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
        lr: float = 3e-3,
        batch_size: int = 256,
        epochs: int = 300,
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
        # Large batches: on a CPU a step of 256 examples costs about what three of 32 do, and
        # the denoising loss (a random time and noise per example) is noisy. On digits for
        # 3 minutes, batch 32/64/128/256 (lr 1e-3 to 3e-3) scored Fréchet 0.256, 0.263, 0.222,
        # 0.211 (with ragged last batches; 0.211 again with even ones, docs/benchmarks.md).
        # 300 epochs of 256 cost about what 150 of 32 did.
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

    def log_likelihood(self, x: torch.Tensor) -> torch.Tensor:
        """A lower bound on log p(x), nats per example (the module docstring says which)."""
        from genautoml.models._diffusion_bound import log_likelihood

        return log_likelihood(self, x)

    def width(self) -> int:
        """The width the chosen network is built with."""
        from genautoml.models._denoisers import choose

        return self.hidden if choose(self.spec, self.network) == "mlp" else self.channels
