"""`genautoml validate` asks every modality for its metrics and default features; that
must not import torch (seconds of start-up for a config check). Run in a fresh process, so
what other tests imported does not count."""

from tests.helpers import run_fresh


def test_modality_metrics_and_default_features_without_torch():
    done = run_fresh("""
        import sys
        from genautoml.data.registry import get_modality
        from genautoml.modalities import MODALITIES

        for name, schema in MODALITIES.items():
            modality = get_modality(name)
            assert modality.metrics(), name
            assert modality.default_features(schema.data(modality=name)), name
        loaded = sorted(m for m in sys.modules if m == "torch" or m.startswith("torch."))
        assert not loaded, loaded
    """)
    assert done.returncode == 0, done.stderr


def test_every_data_and_metrics_module_imports_without_torch():
    done = run_fresh("""
        import importlib, pkgutil, sys
        import genautoml.data, genautoml.metrics

        names = []
        for package in (genautoml.data, genautoml.metrics):
            for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
                importlib.import_module(info.name)
                names.append(info.name)
        assert "genautoml.data.audio.representations" in names and "genautoml.metrics.signal" in names, names
        loaded = sorted(m for m in sys.modules if m == "torch" or m.startswith("torch."))
        assert not loaded, loaded
    """)
    assert done.returncode == 0, done.stderr
