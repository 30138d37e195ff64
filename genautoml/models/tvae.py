"""``tvae``: TVAE (Xu et al. 2019), a variational autoencoder made for the rows of a table.

An MLP encoder and decoder over the encoded row; the decoder reads it block by block: each
number a mean in [0, 1] with a learned noise scale per number (a Gaussian likelihood whose
scale has a floor, as TVAE's), each category block logits trained with cross-entropy. The
loss is ``loss_factor`` x reconstruction + ``beta`` x KL to the N(0, I) prior. Samples
decode z ~ N(0, I): numbers take the mean (or a draw around it with ``noisy_samples``),
categories a draw from the softmax, as an exact one-hot block.

Samples only: the decoder is a density on the encoded space, but the one-hot blocks and the
mode-specific numbers a representation makes do not give likelihoods that compare across
representations, so none is offered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from genautoml.models._one_network import OneNetworkState
from genautoml.models.base import Bound, Family
from genautoml.models.registry import register
from genautoml.spec import EncodedSpec

if TYPE_CHECKING:
    from genautoml.models._tvae_net import TVAENet


@register
class TVAE(OneNetworkState, Family):
    name = "tvae"
    network_module = "genautoml.models._tvae_net"
    modalities = ("tabular",)
    has_likelihood = False
    extends_epochs = True
    summary = "TVAE: MLP VAE with per-block Gaussian / softmax outputs for table rows; samples only"
    default_space = {
        "lr": {"loguniform": [3e-4, 3e-3]},
        "batch_size": {"choice": [128, 256, 500]},
        "epochs": {"int": [50, 300]},
        "latent_dim": {"choice": [32, 64, 128]},
        "hidden": {"choice": [64, 128, 256]},
        "depth": {"int": [1, 3]},
        "beta": {"uniform": [0.25, 1.5]},
        "loss_factor": {"uniform": [1.0, 4.0]},
        "noisy_samples": {"choice": [True, False]},
    }
    bounds = {"loss_factor": Bound(0, 1000, open_low=True)}

    def __init__(
        self,
        spec: EncodedSpec,
        *,
        lr: float = 2e-3,
        batch_size: int = 256,
        epochs: int = 300,
        latent_dim: int = 128,
        hidden: int = 128,
        depth: int = 2,
        beta: float = 1.0,
        loss_factor: float = 2.0,
        noisy_samples: bool = True,
    ):
        super().__init__(spec)
        # TVAE's own defaults (lr 1e-3, 500 rows a step) take 2 steps an epoch on a table of
        # 1000 rows; twice the rate and steps of 256 rows learn more in the same 300 epochs
        # (about 8 s of one core on 1000 rows x 66 encoded values). A table smaller than a
        # batch trains on all of it at once.
        self.lr = lr
        self.batch_size = batch_size
        self.epochs = epochs
        # TVAE's "embedding_dim" (128)
        self.latent_dim = latent_dim
        self.hidden = hidden
        self.depth = depth
        # weight of the KL term
        self.beta = beta
        # weight of the reconstruction term (TVAE's 2.0): more reconstruction, less prior
        self.loss_factor = loss_factor
        # True: numbers are a draw around the decoded mean with the learned scale (TVAE's
        # own sampling); False: the mean itself
        self.noisy_samples = noisy_samples
        self.model_: Optional[TVAENet] = None

    @classmethod
    def supports(cls, spec: EncodedSpec) -> bool:
        return spec.kind == "vector" and spec.blocks is not None
