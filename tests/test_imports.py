"""Reading the families' declarations does not import torch: `genautoml validate` needs
only the declarations (name, modalities, space, keyword parameters), and importing torch
costs seconds. Checked in a fresh interpreter, where nothing has imported torch yet."""

import json

import pytest

from genautoml.models.registry import BUILTIN_MODULES, all_families
from tests.helpers import CONFIGS, invoke, run_fresh

# What the declarations say, as JSON (annotations by repr: int, float, typing.Optional[int], ...).
_DECLARATIONS = """
import json, sys
import genautoml.models.registry as registry

def declaration(cls):
    return {
        "modalities": list(cls.modalities), "summary": cls.summary, "default_space": cls.default_space,
        "has_likelihood": cls.has_likelihood, "extends_epochs": cls.extends_epochs,
        "defaults": cls.param_defaults(),
        "annotations": {k: repr(v) for k, v in cls.param_annotations().items()},
    }

families = {name: declaration(cls) for name, cls in registry.all_families().items()}
print(json.dumps({"torch": "torch" in sys.modules, "families": families}))
"""


def _in_fresh_interpreter(code: str) -> dict:
    done = run_fresh(code)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_family_declarations_load_without_torch():
    fresh = _in_fresh_interpreter(_DECLARATIONS)
    assert fresh["torch"] is False, "reading the family declarations imported torch"
    # Every built-in family is there, and says the same as in this process (which has torch).
    assert len(fresh["families"]) == len(BUILTIN_MODULES)
    families = all_families()
    assert set(fresh["families"]) == set(families)
    for name, seen in fresh["families"].items():
        cls = families[name]
        assert seen["defaults"] == json.loads(json.dumps(cls.param_defaults())), name
        assert seen["annotations"] == {k: repr(v) for k, v in cls.param_annotations().items()}, name
        assert seen["default_space"] == json.loads(json.dumps(cls.default_space)), name
        assert (seen["has_likelihood"], seen["extends_epochs"]) == (cls.has_likelihood, cls.extends_epochs)


def test_fitting_a_family_still_imports_its_torch_module():
    """The other half: the first method that needs torch imports it (and the private module)."""
    code = """
import json, sys
from genautoml.models.registry import get_family
from genautoml.spec import EncodedSpec
cls = get_family("gan")
before = "torch" in sys.modules
import torch
model = cls(EncodedSpec("vector", 4), epochs=1, batch_size=4, hidden=8, latent_dim=2).fit(torch.rand(8, 4))
print(json.dumps({"before": before, "net": "genautoml.models._gan_net" in sys.modules,
                  "shape": list(model.sample(3, torch.Generator().manual_seed(0)).shape)}))
"""
    fresh = _in_fresh_interpreter(code)
    assert fresh == {"before": False, "net": True, "shape": [3, 4]}


@pytest.mark.parametrize("config", ["digits.yaml", "text.yaml", "audio.yaml"])
def test_validate_does_not_import_torch(config):
    """The whole `genautoml validate --show` command, as the CLI runs it: the config is
    resolved (families checked, features filled) from declarations alone."""
    code = f"""
import json, sys
from typer.testing import CliRunner
from genautoml.cli import app
result = CliRunner().invoke(app, ["validate", {str(CONFIGS / config)!r}, "--show"])
print(json.dumps({{"code": result.exit_code, "output": result.output,
                  "torch": sorted(m for m in sys.modules if m == "torch" or m.startswith("torch."))[:5]}}))
"""
    fresh = _in_fresh_interpreter(code)
    assert fresh["torch"] == [], "validate imported torch"
    # ... and it says the same as in this process, where torch and every family are loaded
    here = invoke("validate", CONFIGS / config, "--show")
    assert (fresh["code"], fresh["output"]) == (here.exit_code, here.output)
    assert fresh["code"] == 0 and "models:" in fresh["output"]
