"""Audio: loaders (builtin tones, folders of WAV files), the waveform and log-mel
representations, metrics and the WAV sample writer.

Raw audio is a ``Clips``: float32 waves (N, samples) in [-1, 1], every clip at
``data.sample_rate`` and cut or zero-padded to ``data.clip_seconds``. The rate travels with
the waves because the metrics' mel bands and the WAV headers need it.

One module per concern:

- ``clips``: the raw form, resampling and fitting a wave to the clip length;
- ``builtin``: ``builtin:tones``, made on the spot;
- ``io``: reading WAV files and folders, writing WAV files;
- ``representations``: mu-law waveform and log-mel frames (spectral pieces shared with the
  audio metrics come from ``genautoml.metrics.signal``);
- ``griffin_lim``: phase recovery for decoding log-mel frames;
- ``pictures``: spectrogram pictures beside the samples;
- ``modality``: ``AudioModality`` and ``MODALITY``, what ``genautoml.data.registry`` finds.

No torch at import: the functions that need it import it.
"""

from genautoml.amplitude import MU, inverse_mu_law, mu_law
from genautoml.data.audio.builtin import TONE_KINDS, TONES_CLIPS, TONES_SEED, tones
from genautoml.data.audio.clips import Clips, clip_length, fit_clip, resample
from genautoml.data.audio.griffin_lim import griffin_lim
from genautoml.data.audio.io import load_audio, load_wav_folder, read_wav, write_wav
from genautoml.data.audio.modality import MODALITY, AudioModality
from genautoml.data.audio.pictures import spectrogram_picture
from genautoml.data.audio.representations import AudioRepresentation, MelRepresentation, WaveformRepresentation

__all__ = [
    "MODALITY",
    "MU",
    "TONES_CLIPS",
    "TONES_SEED",
    "TONE_KINDS",
    "AudioModality",
    "AudioRepresentation",
    "Clips",
    "MelRepresentation",
    "WaveformRepresentation",
    "clip_length",
    "fit_clip",
    "griffin_lim",
    "inverse_mu_law",
    "load_audio",
    "load_wav_folder",
    "mu_law",
    "read_wav",
    "resample",
    "spectrogram_picture",
    "tones",
    "write_wav",
]
