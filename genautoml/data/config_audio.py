"""The ``data:`` and ``features:`` schema of audio experiments."""

from __future__ import annotations

from typing import Annotated, Literal, Optional

from pydantic import Field

from genautoml.data.config_base import Strict


class AudioData(Strict):
    modality: Literal["audio"]
    #: builtin:tones | a folder of .wav files
    source: str = "builtin:tones"
    test_fraction: float = Field(0.2, gt=0, lt=1)
    #: every clip is resampled to this rate (Hz)
    sample_rate: int = Field(8000, ge=1000, le=192000)
    #: every clip is cut or zero-padded to this length (seconds)
    clip_seconds: float = Field(0.5, gt=0, le=30)
    max_examples: Optional[Annotated[int, Field(gt=0)]] = None


class AudioFeature(Strict):
    """One candidate representation of sound."""

    #: waveform: 8-bit mu-law samples; mel: log-mel spectrogram frames (inverted by Griffin-Lim)
    representation: Literal["waveform", "mel"] = "waveform"
    #: the rate the model works at (decoded back to data.sample_rate); None: data.sample_rate
    sample_rate: Optional[Annotated[int, Field(ge=1000, le=192000)]] = None
