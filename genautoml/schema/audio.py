"""The ``data:`` and ``features:`` schema of audio experiments."""

from __future__ import annotations

from typing import Annotated, Literal, Optional

from pydantic import Field, model_validator

from genautoml.schema.base import Strict

Rate = Annotated[int, Field(ge=1000, le=192000)]


class AudioData(Strict):
    modality: Literal["audio"]
    #: builtin:tones | a folder of .wav files (searched recursively)
    source: str = "builtin:tones"
    test_fraction: float = Field(0.2, gt=0, lt=1)
    #: every clip is resampled to this rate (Hz)
    sample_rate: Rate = 8000
    #: every clip is cut or zero-padded to this length (seconds). Short by default: a
    #: sample-level autoregressive model draws one sample after the other.
    clip_seconds: float = Field(0.5, gt=0, le=30)
    #: use at most this many clips (a seeded random subset), for quick experiments
    max_examples: Optional[Annotated[int, Field(gt=0)]] = None


class AudioFeature(Strict):
    """One candidate representation of sound.

    ``waveform``: one value per sample, mu-law companded (mu = 255). ``mu_law: codes`` (the
    default) gives 8-bit codes, discrete with 256 levels: what a sample-level autoregressive
    model predicts, with an exact likelihood. ``mu_law: continuous`` gives the companded
    amplitude as a float in [0, 1]: one output per sample, so a VAE's decoder stays small
    (with 256-level codes it would need 256 outputs per sample).

    ``mel``: log-mel spectrogram frames, scaled into [0, 1] per band with statistics of the
    training folds; decoded by inverting the mel filterbank (least squares) and Griffin-Lim.
    """

    representation: Literal["waveform", "mel"] = "waveform"
    #: the rate the model works at (decoded back to data.sample_rate); None: data.sample_rate
    sample_rate: Optional[Rate] = None
    #: waveform only: codes (8-bit, the default when omitted) or continuous
    mu_law: Optional[Literal["codes", "continuous"]] = None
    #: mel only: number of mel bands (default 64 when omitted)
    n_mels: Optional[Annotated[int, Field(ge=8, le=128)]] = None

    @model_validator(mode="after")
    def _options_match(self) -> "AudioFeature":
        if self.representation == "mel" and self.mu_law is not None:
            raise ValueError("'mu_law' applies only to representation 'waveform'")
        if self.representation == "waveform" and self.n_mels is not None:
            raise ValueError("'n_mels' applies only to representation 'mel'")
        return self
