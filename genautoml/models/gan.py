"""``gan``: an MLP GAN over flat vectors, tuned to train stably on ~1000 examples.

Non-saturating loss, Adam with betas (0.5, 0.999) and, optionally, spectral norm in the
discriminator. Discrete levels are trained as evenly spaced floats in [0, 1] and samples
are rounded back to the nearest level. No likelihood.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from genautoml.models.base import Family, Report
from genautoml.models.registry import register
from genautoml.spec import EncodedSpec

if TYPE_CHECKING:
    import torch
    from torch import nn


@register
class GAN(Family):
    name = "gan"
    modalities = ("image", "audio", "tabular")
    has_likelihood = False
    extends_epochs = True
    summary = "MLP GAN (non-saturating loss, optional spectral norm); samples only"
    default_space = {
        "lr": {"loguniform": [1e-4, 1e-3]},
        "d_lr_ratio": {"loguniform": [1.0, 8.0]},
        "batch_size": {"choice": [64, 128]},
        "epochs": {"int": [60, 150]},
        "latent_dim": {"choice": [16, 32, 64]},
        "hidden": {"choice": [128, 256]},
        "depth": {"int": [1, 2]},
        "spectral_norm": {"choice": [True, False]},
        "ema": {"choice": [0.0, 0.99, 0.999]},
    }

    def __init__(
        self,
        spec: EncodedSpec,
        *,
        lr: float = 2e-4,
        d_lr_ratio: float = 4.0,
        batch_size: int = 64,
        epochs: int = 120,
        latent_dim: int = 32,
        hidden: int = 256,
        depth: int = 2,
        spectral_norm: bool = True,
        ema: float = 0.99,
    ):
        super().__init__(spec)
        self.lr = lr
        # discriminator lr = lr * d_lr_ratio: the usual TTUR knob for balancing the two players
        self.d_lr_ratio = d_lr_ratio
        self.batch_size = batch_size
        self.epochs = epochs
        self.latent_dim = latent_dim
        self.hidden = hidden
        self.depth = depth
        self.spectral_norm = spectral_norm
        # Decay of an exponential moving average of the generator, which is what samples
        # come from (0 turns it off): it smooths the oscillation of adversarial training.
        self.ema = ema
        self.generator_: Optional[nn.Module] = None

    #: Adam's betas for both networks (a low beta1 is the usual choice for GANs)
    adam_betas = (0.5, 0.999)

    def _build_generator(self) -> nn.Module:
        from genautoml.models._gan_net import mlp_generator

        return mlp_generator(self.spec, self.latent_dim, self.hidden, self.depth)

    def _build_discriminator(self) -> nn.Module:
        from genautoml.models._gan_net import mlp_discriminator

        return mlp_discriminator(self.spec, self.hidden, self.depth, self.spectral_norm)

    def _fit(self, train: torch.Tensor, report: Report) -> None:
        from genautoml.models import _gan_net

        _gan_net.fit(self, train, report)

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        from genautoml.models import _gan_net

        return _gan_net.sample(self, n, generator)

    def state(self) -> dict[str, torch.Tensor]:
        from genautoml.models._torch_utils import module_state, require_fitted

        # Only the (averaged) generator: the discriminator is not needed to sample.
        return module_state(generator=require_fitted(self.generator_, self.name))

    def load_state(self, state: dict[str, torch.Tensor]) -> None:
        import torch

        from genautoml.models._torch_utils import load_module_state

        model = self._build_generator()
        load_module_state(state, generator=model)
        self.generator_, self.device_ = model.eval(), torch.device("cpu")
