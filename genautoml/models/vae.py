"""``vae``: an MLP variational autoencoder over flat vectors.

The decoder is a proper density on the encoded space, so the ELBO (and the importance
weighted bound used by ``log_likelihood``) is a true lower bound on log p(x):
continuous values get a Gaussian truncated to [0, 1] per dimension (the same support as
the exact densities of other families, so the nats compare); discrete levels get a
categorical per dimension (for two levels that is a Bernoulli).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from genautoml.models._one_network import OneNetworkState
from genautoml.models.base import Family
from genautoml.models.registry import register
from genautoml.spec import EncodedSpec

if TYPE_CHECKING:

    from genautoml.models._vae_net import VAENet


@register
class VAE(OneNetworkState, Family):
    name = "vae"
    network_module = "genautoml.models._vae_net"
    modalities = ("image", "audio", "tabular")
    has_likelihood = True
    extends_epochs = True
    summary = "MLP variational autoencoder; likelihood is an importance-weighted lower bound"
    default_space = {
        "lr": {"loguniform": [3e-4, 3e-3]},
        "batch_size": {"choice": [32, 64, 128]},
        "epochs": {"int": [20, 100]},
        "latent_dim": {"choice": [4, 8, 16, 32]},
        "hidden": {"choice": [128, 256, 512]},
        "depth": {"int": [1, 3]},
        "beta": {"uniform": [0.25, 1.5]},
        "noisy_samples": {"choice": [False, True]},
    }

    def __init__(
        self,
        spec: EncodedSpec,
        *,
        lr: float = 2e-3,
        batch_size: int = 64,
        epochs: int = 60,
        latent_dim: int = 16,
        hidden: int = 256,
        depth: int = 2,
        beta: float = 1.0,
        noisy_samples: bool = False,
    ):
        super().__init__(spec)
        self.lr = lr
        self.batch_size = batch_size
        self.epochs = epochs
        self.latent_dim = latent_dim
        self.hidden = hidden
        self.depth = depth
        # beta only weights the KL term in training (a knob for sample quality);
        # log_likelihood always uses the true bound (weight 1).
        self.beta = beta
        # False: decoder mode/location (smooth images); True: a draw from the full density.
        self.noisy_samples = noisy_samples
        self.model_: Optional[VAENet] = None
