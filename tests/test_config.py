"""Config errors: one clear line per problem, naming the key path; nothing constructed."""

import textwrap

import pytest

from genautoml.errors import ConfigError
from genautoml.pipeline.resolve import load_resolved as load_config
from genautoml.pipeline.resolve import resolved_dict as resolved
from tests.helpers import invoke

GOOD = """
name: t
data: {modality: image, source: builtin:digits}
models: [{family: vae}, {family: gan}]
"""


def write(tmp_path, text, name="c.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def errors(tmp_path, text, overrides=()):
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text), overrides)
    return "\n".join(info.value.lines())


def test_good_config_resolves_every_default(tmp_path):
    config = load_config(write(tmp_path, GOOD))
    data = resolved(config)
    assert data["search"]["cv_folds"] == 3 and data["search"]["algo"] == "tpe"
    assert data["features"] and data["features"][0]["pixels"] == "drop_constant"
    assert data["models"][0]["space"]["lr"]["loguniform"]


@pytest.mark.parametrize("text, expected", [
    ("name: [unclosed", "not valid YAML"),
    ("- a\n- b\n", "expected a mapping at the top level"),
    ("", "the file is empty"),
    ("# only a comment\n", "the file is empty"),
    (GOOD + "serch: {}\n", "serch: unknown key (did you mean 'search'?)"),
    (GOOD + "search: {max_trails: 3}\n", "search.max_trails: unknown key (did you mean 'max_trials'?)"),
    (GOOD.replace("source: builtin:digits", "source: builtin:digits, sourse: x"), "data.sourse: unknown key (did you mean 'source'?)"),
    (GOOD + "search: {cv_folds: three}\n", "search.cv_folds: Input should be a valid integer"),
    (GOOD + "search: {cv_folds: 1}\n", "search.cv_folds: Input should be greater than or equal to 2"),
    (GOOD + "search: {max_trials: 0}\n", "search.max_trials: Input should be greater than or equal to 1"),
    (GOOD + "search: {time_budget: -5}\n", "search.time_budget: Input should be greater than 0"),
    (GOOD + "search: {time_budget: soon}\n", "search.time_budget: expected a duration"),
    (GOOD.replace("source: builtin:digits", "source: builtin:digits, test_fraction: 1.5"), "data.test_fraction: Input should be less than 1"),
    (GOOD.replace("source: builtin:digits", "source: builtin:digits, test_fraction: 0"), "data.test_fraction: Input should be greater than 0"),
    (GOOD.replace("{family: gan}", "{family: gann}"), "models.1.family: unknown family 'gann' (did you mean 'gan'?)"),
    (GOOD.replace("{family: gan}", "{family: gan, space: {lr: {uniform: [0.1, 0.01]}}}"), "models.1.space.lr: uniform: expected low < high, got [0.1, 0.01]"),
    (GOOD.replace("{family: gan}", "{family: gan, space: {lr: {loguniform: [0, 0.01]}}}"), "loguniform: bounds must be positive"),
    (GOOD.replace("{family: gan}", "{family: gan, space: {lrr: 0.1}}"), "models.1.space.lrr: not a parameter of gan (did you mean 'lr'?)"),
    (GOOD.replace("{family: gan}", "{family: gan, params: {epochs: many}}"), "models.1.params.epochs: Input should be a valid integer"),
    (GOOD.replace("{family: gan}", "{family: gan, space: {epochs: {uniform: [1, 5]}}}"), "models.1.space.epochs: is an integer parameter"),
    (GOOD.replace("{family: gan}", "{family: vae}"), "models.1.family: 'vae' is listed twice"),
    (GOOD.replace("modality: image, ", ""), "data: missing 'modality'"),
    (GOOD.replace("modality: image", "modality: video"), "data.modality: expected one of 'image', 'text', 'audio', 'tabular', got 'video'"),
    (GOOD.replace("name: t", "name: ../../etc"), "name: expected letters, digits"),
    (GOOD.replace("name: t", "name: .hidden"), "name: expected letters"),
    (GOOD + "features: [{pixels: some}]\n", "features.0.pixels"),
    (GOOD + "features: [{intensity: levels}]\n", "features.0: intensity 'levels' needs"),
    (GOOD + "search: {tune_folds: 5}\n", "tune_folds (5) cannot exceed cv_folds (3)"),
])
def test_one_clear_line(tmp_path, text, expected):
    message = errors(tmp_path, text)
    assert expected in message
    assert "Traceback" not in message


def test_every_problem_reported_at_once(tmp_path):
    message = errors(tmp_path, GOOD + "search: {cv_folds: 1, max_trials: 0, algo: grid}\n")
    assert message.count("\n") >= 2
    assert "search.cv_folds" in message and "search.max_trials" in message and "search.algo" in message


def test_python_tag_is_refused_and_nothing_constructed(tmp_path):
    marker = tmp_path / "pwned"
    text = GOOD + f"evil: !!python/object/apply:os.system ['touch {marker}']\n"
    message = errors(tmp_path, text)
    assert "only plain YAML" in message
    assert not marker.exists()


def test_overrides(tmp_path):
    path = write(tmp_path, GOOD)
    config = load_config(path, ["search.max_trials=7", "models.0.params.epochs=2", "search.algo=random"])
    assert config.search.max_trials == 7 and config.search.algo == "random"
    assert config.models[0].params == {"epochs": 2}
    with pytest.raises(ConfigError, match="search.max_trial: unknown key"):
        load_config(path, ["search.max_trial=7"])
    with pytest.raises(ConfigError, match="--set models.5.family: models has no item 5"):
        load_config(path, ["models.5.family=vae"])
    with pytest.raises(ConfigError, match="expected key.path=value"):
        load_config(path, ["search.max_trials"])
    with pytest.raises(ConfigError, match="name.x: name is not a mapping"):
        load_config(path, ["name.x=1"])


def test_durations(tmp_path):
    for text, seconds in (("90", 90), ("'90s'", 90), ("'10m'", 600), ("'1.5h'", 5400)):
        config = load_config(write(tmp_path, GOOD + f"search: {{time_budget: {text}}}\n"))
        assert config.search.time_budget == seconds


def test_cli_bad_config_exit_2_one_line_no_traceback(tmp_path):
    path = write(tmp_path, GOOD + "search: {max_trails: 3}\n")
    result = invoke("search", path, "--run-dir", tmp_path / "run")
    assert result.exit_code == 2
    assert "max_trails: unknown key (did you mean 'max_trials'?)" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "run").exists()  # nothing half-made


def test_cli_missing_config(tmp_path):
    result = invoke("validate", tmp_path / "nope.yaml")
    assert result.exit_code == 2 and "config file not found" in result.output


def test_cli_validate_show(tmp_path):
    result = invoke("validate", write(tmp_path, GOOD), "--show")
    assert result.exit_code == 0
    assert "max_trials: 30" in result.output and "drop_constant" in result.output


def test_shipped_configs_validate():
    from pathlib import Path

    for path in sorted(Path(__file__).parent.parent.joinpath("configs").glob("*.yaml")):
        load_config(path)


def test_a_metric_without_direction_cannot_select(tmp_path):
    message = errors(tmp_path, "name: t\ndata: {modality: image, source: builtin:digits}\nmodels: [{family: vae}]\n"
                               "search: {metric: density}\n")
    assert "search.metric: density has no better direction" in message and "frechet" in message


def test_metric_names_checked(tmp_path):
    assert "search.metric: unknown metric 'fid'" in errors(tmp_path, GOOD + "search: {metric: fid}\n")
    message = errors(tmp_path, GOOD + "search: {metric: bits_per_dim}\n")
    assert "models.1.family: 'gan' has no likelihood" in message


def test_ray_executor_without_ray_is_a_clear_error(tmp_path, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "ray" else real(name, *a))
    message = errors(tmp_path, GOOD + "search: {executor: ray}\n")
    assert "search.executor: 'ray' needs Ray, which is not installed: pip install 'genautoml[ray]'" in message


def test_validate_refuses_a_data_source_that_does_not_exist(tmp_path):
    config = write(tmp_path, GOOD.replace("builtin:digits", "my_images/"))
    result = invoke("validate", config)
    assert result.exit_code == 2
    assert f"data.source: {tmp_path / 'my_images'} does not exist" in result.output
    (tmp_path / "my_images").mkdir()  # relative to the config's folder, wherever the command runs
    assert invoke("validate", config).exit_code == 0


@pytest.mark.parametrize("entry, message", [
    ("{family: vae, params: {lr: -1}}", "models.0.params.lr: expected a value in (0, 10], got -1.0"),
    ("{family: vae, params: {epochs: -3}}", "models.0.params.epochs: expected a value in [1, 1e+06], got -3.0"),
    ("{family: vae, params: {hidden: 1000000000}}", "models.0.params.hidden: expected a value in [1, 16384]"),
    ("{family: gan, space: {lr: {loguniform: [1.0e-4, 20]}}}", "models.0.space.lr: expected a value in (0, 10]"),
    ("{family: gan, params: {ema: 1.0}}", "models.0.params.ema: expected a value in [0, 1)"),
])
def test_hyperparameters_out_of_range_are_config_errors(tmp_path, entry, message):
    text = f"name: t\ndata: {{modality: image, source: builtin:digits}}\nmodels: [{entry}]\n"
    assert message in errors(tmp_path, text)


def test_every_family_s_defaults_and_default_space_are_in_range():
    from genautoml.models.registry import all_families
    from genautoml.pipeline.resolve import _check_bound
    from genautoml.schema.space import ParamSpace

    for name, cls in all_families().items():
        bounds = cls.param_bounds()
        for param, default in cls.param_defaults().items():
            if param in bounds:
                assert _check_bound(bounds[param], default, None) is None, (name, param)
        for param, space in cls.default_space.items():
            if param in bounds:
                assert _check_bound(bounds[param], None, ParamSpace.model_validate(space)) is None, (name, param)


def test_image_size_has_a_ceiling(tmp_path):
    text = "name: t\ndata: {modality: image, source: builtin:digits, image_size: [100000, 100000]}\nmodels: [{family: vae}]\n"
    assert "data.image_size" in errors(tmp_path, text)
