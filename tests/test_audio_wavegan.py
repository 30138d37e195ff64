"""The wavegan family: the family contract on waveform-shaped vectors."""

import pytest
import torch

from genautoml.models._wavegan_net import phase_shuffle, to_channels, to_time
from genautoml.models.registry import get_family
from genautoml.models.wavegan import WaveGAN
from genautoml.spec import EncodedSpec


def tiny(spec, **params):
    return WaveGAN(spec, **{"epochs": 2, "width": 16, "layers": 3, "batch_size": 16, **params})


def test_registered_for_audio_only():
    assert get_family("wavegan") is WaveGAN
    assert WaveGAN.modalities == ("audio",) and not WaveGAN.has_likelihood
    assert set(WaveGAN.default_space) <= set(WaveGAN.param_names())


@pytest.mark.parametrize("dim, levels", [(1000, 256), (300, None), (64, None)])
def test_fit_sample_and_state_round_trip(dim, levels):
    spec = EncodedSpec("vector", dim, levels)
    x = torch.randint(0, 256, (40, dim)) if levels else torch.rand(40, dim)
    epochs = []
    model = tiny(spec).fit(x, report=epochs.append, seed=3)
    assert epochs == [1, 2]
    samples = model.sample(5, torch.Generator().manual_seed(0))
    assert samples.shape == (5, dim)
    if levels:
        assert samples.dtype == torch.int64 and 0 <= int(samples.min()) and int(samples.max()) < levels
    else:
        assert samples.dtype == torch.float32 and 0 <= float(samples.min()) and float(samples.max()) <= 1
    fresh = tiny(spec)
    fresh.load_state(model.state())
    assert torch.equal(fresh.sample(5, torch.Generator().manual_seed(0)), samples)
    # Same seed, same model.
    again = tiny(spec).fit(x, seed=3)
    assert torch.equal(again.sample(5, torch.Generator().manual_seed(0)), samples)


def test_sub_pixel_shuffles_are_inverse_and_shift_keeps_shape():
    x = torch.arange(2 * 8 * 12, dtype=torch.float32).view(2, 8, 12)
    assert to_time(x).shape == (2, 2, 48)
    assert torch.equal(to_channels(to_time(x)), x)
    # Channel group k of a position becomes sample 4 * position + k.
    assert torch.equal(to_time(x)[0, 0, :4], x[0, :4, 0])
    shifted = phase_shuffle(x, 2)
    assert shifted.shape == x.shape


def test_bad_parameters_refused():
    spec = EncodedSpec("vector", 100, None)
    with pytest.raises(ValueError, match="kernel_size"):
        WaveGAN(spec, kernel_size=4)
    with pytest.raises(ValueError, match="layers"):
        WaveGAN(spec, layers=0)
