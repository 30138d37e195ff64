"""``ddsp``: a variational autoencoder whose decoder plays a differentiable synthesizer.

After Engel, Hantrakul, Gu and Roberts, "DDSP: Differentiable Digital Signal Processing"
(2020). A network does not write the waveform sample by sample, which a few hundred clips
and two CPU cores cannot teach it; it drives a synthesizer whose every step is
differentiable, and the waveform comes out of the synthesizer:

- a bank of ``oscillators`` sinusoids at fixed frequencies spaced evenly in log-frequency
  from 0.005 to 0.475 cycles per sample (40 Hz to 3.8 kHz at 8 kHz), each with an amplitude
  per frame of ``hop`` samples, interpolated linearly between frames (a pitch between two
  oscillators is shared by both, as a spectrogram shares it between bins);
- filtered noise: white noise shaped per frame by ``noise_bands`` gains over linear
  frequency (drums, bursts, breath);
- each clip starts every oscillator at a random phase, so its sound does not depend on
  phases the loss cannot see.

The decoder maps a latent vector to those controls through 1-D convolutions over frames;
the encoder reads a log-magnitude spectrogram. Training minimises a multi-resolution STFT
loss (linear and log magnitudes at several window sizes) plus ``beta`` times the KL
divergence to the prior; samples decode latents drawn from the prior. There is no
likelihood: the loss is a distance between spectrograms, not a density of samples.

It models waveform samples whose spec says how a value maps to an amplitude
(``EncodedSpec.signal``: the audio waveform representation, mu-law codes excepted).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from genautoml.models._one_network import OneNetworkState
from genautoml.models.base import Bound, Family
from genautoml.models.registry import register
from genautoml.spec import EncodedSpec

if TYPE_CHECKING:
    from genautoml.models._ddsp_net import DDSPNet


@register
class DDSP(OneNetworkState, Family):
    name = "ddsp"
    network_module = "genautoml.models._ddsp_net"
    modalities = ("audio",)
    has_likelihood = False
    # No schedule is tied to the count of epochs: final training may run past it.
    extends_epochs = True
    summary = ("VAE driving a differentiable synthesizer (sinusoid bank + filtered noise, DDSP) over the "
               "waveform; samples only")
    bounds = {"oscillators": Bound(1, 4096), "noise_bands": Bound(1, 1024), "hop": Bound(1, 65536)}
    default_space = {
        "lr": {"loguniform": [3e-4, 3e-3]},
        "batch_size": {"choice": [16, 32, 64]},
        "epochs": {"int": [100, 400]},
        "latent_dim": {"choice": [8, 16, 32]},
        "hidden": {"choice": [64, 128, 256]},
        "oscillators": {"choice": [128, 256, 384]},
        "beta": {"loguniform": [0.05, 0.5]},
    }

    def __init__(
        self,
        spec: EncodedSpec,
        *,
        lr: float = 1e-3,
        batch_size: int = 32,
        epochs: int = 200,
        latent_dim: int = 16,
        hidden: int = 128,
        oscillators: int = 256,
        noise_bands: int = 32,
        hop: int = 80,
        beta: float = 0.2,
    ):
        super().__init__(spec)
        self.lr = lr
        self.batch_size = batch_size
        self.epochs = epochs
        self.latent_dim = latent_dim
        # channels of the decoder's and the encoder's convolutions: at 256 they take two thirds
        # of a step on a CPU, and 128 trains more epochs in the time to a better figure
        self.hidden = hidden
        # sinusoids in the bank; 256 space them 1.8% apart (a third of a semitone)
        self.oscillators = oscillators
        self.noise_bands = noise_bands
        # samples per frame of controls (10 ms at 8 kHz)
        self.hop = hop
        # weight of the KL term (the loss is a spectral distance, not a log density, so the
        # scale is its own): too little and latents drawn from the prior decode poorly. These
        # defaults (latent 16, hidden 128, beta 0.2) are the best of the runs measured on
        # builtin:tones in docs/benchmarks.md
        self.beta = beta
        self.model_: Optional[DDSPNet] = None

    @classmethod
    def supports(cls, spec: EncodedSpec) -> bool:
        # continuous waveform samples with a known amplitude mapping, at least a frame long
        return (spec.kind == "vector" and not spec.discrete and spec.signal is not None
                and spec.shape is not None and len(spec.shape) == 1)
