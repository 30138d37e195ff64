"""``wavegan``: a WaveGAN-style 1-D convolutional GAN over fixed-length clips.

After Donahue, McAuley and Puckette, "Adversarial Audio Synthesis" (2019), shrunk to train
on a few hundred short clips on a CPU. The generator maps a latent vector to a short, wide
sequence, then ``layers`` times upsamples it 4x with a sub-pixel convolution (a convolution
at the short length with 4x the channels, shuffled into time: no checkerboard artefacts,
unlike transposed convolutions) while halving the channels. The discriminator mirrors it
with stride-4 convolutions; between its layers "phase shuffle" shifts each clip by a few
steps, so it cannot tell real from fake by the exact phase of periodic artefacts.
Non-saturating loss with spectral norm in the discriminator and an EMA of the generator,
as in ``gan``: stable without WGAN-GP's second backward pass, which would double the cost
on a CPU.

The vector is read as one channel over time, which is what a waveform is. Discrete levels
(mu-law codes) are trained as evenly spaced floats in [0, 1] and rounded back. No likelihood.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from genautoml.models.base import Family
from genautoml.models.gan import GAN
from genautoml.models.registry import register
from genautoml.spec import EncodedSpec

if TYPE_CHECKING:
    from torch import nn

    from genautoml.models._wavegan_net import WaveGenerator


@register
class WaveGAN(GAN):
    """The GAN family's training loop, losses, EMA and checkpoint, with 1-D conv networks."""

    name = "wavegan"
    modalities = ("audio",)
    has_likelihood = False
    summary = "WaveGAN-style 1-D convolutional GAN over the waveform (phase shuffle); samples only"
    default_space = {
        "lr": {"loguniform": [2e-4, 3e-3]},
        "d_lr_ratio": {"loguniform": [0.5, 4.0]},
        "batch_size": {"choice": [16, 32, 64]},
        "epochs": {"int": [20, 120]},
        "latent_dim": {"choice": [16, 32, 64]},
        "width": {"choice": [32, 64, 128]},
        "layers": {"int": [3, 5]},
        "kernel_size": {"choice": [3, 5, 9]},
        "phase_shuffle": {"int": [0, 2]},
        "ema": {"choice": [0.0, 0.99, 0.999]},
    }

    def __init__(
        self,
        spec: EncodedSpec,
        *,
        lr: float = 1e-3,
        d_lr_ratio: float = 1.0,
        batch_size: int = 32,
        epochs: int = 40,
        latent_dim: int = 32,
        width: int = 64,
        layers: int = 4,
        kernel_size: int = 5,
        phase_shuffle: int = 2,
        ema: float = 0.99,
    ):
        Family.__init__(self, spec)  # not GAN.__init__: the networks take other parameters
        if layers < 1:
            raise ValueError(f"layers: expected at least 1, got {layers}")
        if kernel_size < 1 or kernel_size % 2 == 0:
            raise ValueError(f"kernel_size: expected an odd positive number, got {kernel_size}")
        self.lr = lr
        # discriminator lr = lr * d_lr_ratio (TTUR)
        self.d_lr_ratio = d_lr_ratio
        self.batch_size = batch_size
        self.epochs = epochs
        self.latent_dim = latent_dim
        # channels of the deepest generator layer; each 4x upsampling halves them
        self.width = width
        self.layers = layers
        self.kernel_size = kernel_size
        # samples each discriminator feature map is shifted by at most (0: off)
        self.phase_shuffle = phase_shuffle
        # decay of the moving average of the generator that samples come from (0: off)
        self.ema = ema
        self.generator_: Optional[nn.Module] = None

    adam_betas = (0.5, 0.9)

    def _build_generator(self) -> WaveGenerator:
        from genautoml.models._wavegan_net import WaveGenerator

        return WaveGenerator(self.spec.dim, self.latent_dim, self.width, self.layers, self.kernel_size)

    def _build_discriminator(self) -> nn.Module:
        from genautoml.models._wavegan_net import WaveDiscriminator

        return WaveDiscriminator(self.spec.dim, self.width, self.layers, self.kernel_size, self.phase_shuffle)
