"""``ctgan``: the conditional tabular GAN of Xu et al. (2019) over a table's encoded blocks.

A residual MLP generator reads noise and a conditional vector (one category of one
category block) and writes numbers through a sigmoid and category blocks through a
Gumbel-softmax; a PacGAN critic judges packs of ``pac`` rows with a WGAN-GP loss.
Training-by-sampling (genautoml/models/_ctgan_train.py) shows rare categories often
enough to be learnt. Needs the spec's blocks (genautoml/data/tabular). No likelihood.

The defaults are sized for a CPU and small tables, not CTGAN's 300 epochs of batch 500:
on 100 to 5000 rows an "epoch" is one to fifty steps, so the epoch range (30 to 200) and
batch sizes (100 to 500, clipped to the table) give a few hundred to a few thousand
steps, which is where the samples' marginals settle on tables of this size.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from genautoml.models._one_network import OneNetworkState
from genautoml.models.base import Bound, Family
from genautoml.models.registry import register
from genautoml.spec import EncodedSpec

if TYPE_CHECKING:
    from genautoml.models._ctgan_net import ConditionalGenerator


@register
class CTGAN(OneNetworkState, Family):
    name = "ctgan"
    # the generator (and the category counts it keeps) is the whole state; the critic only trains it
    network_module = "genautoml.models._ctgan_train"
    modalities = ("tabular",)
    has_likelihood = False
    extends_epochs = True
    summary = "conditional tabular GAN (CTGAN: WGAN-GP, PacGAN critic, training-by-sampling); samples only"
    default_space = {
        "lr": {"loguniform": [1e-4, 1e-3]},
        "batch_size": {"choice": [100, 200, 500]},
        "epochs": {"int": [30, 200]},
        "latent_dim": {"choice": [32, 64, 128]},
        "hidden": {"choice": [64, 128, 256]},
        "depth": {"int": [1, 2]},
        "pac": {"choice": [1, 5, 10]},
    }
    bounds = {"pac": Bound(1, 64)}

    def __init__(
        self,
        spec: EncodedSpec,
        *,
        lr: float = 2e-4,
        batch_size: int = 200,
        epochs: int = 150,
        latent_dim: int = 64,
        hidden: int = 128,
        depth: int = 2,
        pac: int = 10,
    ):
        super().__init__(spec)
        self.lr = lr
        # rows per step, clipped to the table and rounded to a whole number of packs
        self.batch_size = batch_size
        self.epochs = epochs
        self.latent_dim = latent_dim
        self.hidden = hidden
        self.depth = depth
        # rows the critic judges together (PacGAN): a collapsed generator makes packs too alike
        self.pac = pac
        self.model_: Optional[ConditionalGenerator] = None

    @classmethod
    def supports(cls, spec: EncodedSpec) -> bool:
        # the block structure tells which values are numbers and which are one-hot categories
        return spec.blocks is not None
