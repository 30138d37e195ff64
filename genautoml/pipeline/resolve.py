"""The resolve step: a schema-valid ``Config`` -> a new frozen ``Config`` with every default
filled in (the modality's default representations, each family's full search space, the
data path made absolute), after checking the ``models:`` list against the registry.

Both ``genautoml validate`` and every stage start here. The family checks live here
rather than in ``config.py`` because they need the registries of families and modalities
(neither imports torch until a model is trained).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from pydantic import TypeAdapter, ValidationError

from genautoml.config import Config, load_config
from genautoml.errors import ConfigError
from genautoml.schema.space import ParamSpace

_RANGE_KINDS = ("uniform", "loguniform")


@dataclass(frozen=True)
class Candidate:
    """One family as the config asks for it."""

    family: str
    fixed: dict[str, Any]  # held constant (the entry's ``params``)
    space: dict[str, ParamSpace]  # what tune searches (default space, overridden, minus fixed)

    def default_params(self) -> dict[str, Any]:
        """What cv trains: the family's defaults with the fixed parameters applied."""
        from genautoml.models.registry import get_family

        return {**get_family(self.family).param_defaults(), **self.fixed}


def _hint(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _check_value(annotation: Any, value: Any) -> str | None:
    try:
        TypeAdapter(annotation).validate_python(value, strict=False)
    except ValidationError as exc:
        return exc.errors()[0]["msg"]
    if annotation is int and isinstance(value, float) and not value.is_integer():
        return "expected an integer"
    return None


def _check_space(annotation: Any, spec: ParamSpace) -> str | None:
    if annotation is int and spec.kind in _RANGE_KINDS:
        return f"is an integer parameter: use int, quniform or choice instead of {spec.kind}"
    values = list(spec.value) if spec.kind == "choice" else [spec.default_or_first()]
    if spec.kind in ("uniform", "loguniform", "int", "quniform"):
        values = list(spec.value[:2])
    for value in values:
        problem = _check_value(annotation, value)
        if problem:
            return f"{problem} (got {value!r})"
    return None


def check_models(config) -> list[str]:
    """Every problem with ``search.metric`` and the ``models:`` list, one line each, naming the key path."""
    from genautoml.data.registry import get_modality
    from genautoml.models.registry import all_families

    families = all_families()
    modality = get_modality(config.data.modality)
    metrics = modality.metrics()
    metric_name = modality.default_metric if config.search.metric == "auto" else config.search.metric
    problems: list[str] = []
    if metric_name not in metrics:
        problems.append(
            f"search.metric: unknown metric {metric_name!r} for {modality.name}{_hint(metric_name, list(metrics))}; "
            f"expected auto or one of {', '.join(metrics)}"
        )
    elif metrics[metric_name].direction is None:
        ranked = [name for name, m in metrics.items() if m.direction is not None]
        problems.append(f"search.metric: {metric_name} has no better direction ({metrics[metric_name].description}); "
                        f"expected auto or one of {', '.join(ranked)}")
    needs_likelihood = metric_name in metrics and metrics[metric_name].kind == "likelihood"
    seen: set[str] = set()
    for i, entry in enumerate(config.models):
        problems += _check_entry(f"models.{i}", entry, families, config.data.modality,
                                 metric_name if needs_likelihood else None, seen)
        seen.add(entry.family)
    return problems


def _check_entry(where: str, entry, families: dict, modality: str, likelihood_metric: Optional[str],
                 seen: set[str]) -> list[str]:
    """The problems of one ``models:`` entry (``likelihood_metric``: the selection metric, when it needs one)."""
    cls = families.get(entry.family)
    if cls is None:
        return [f"{where}.family: unknown family {entry.family!r}{_hint(entry.family, list(families))}; "
                f"expected one of {', '.join(families)}"]
    if modality not in cls.modalities:
        return [f"{where}.family: {entry.family!r} cannot model {modality} data "
                f"(it supports {', '.join(cls.modalities)})"]
    problems = []
    if likelihood_metric is not None and not cls.has_likelihood:
        problems.append(
            f"{where}.family: {entry.family!r} has no likelihood, so it cannot be selected by {likelihood_metric}")
    if entry.family in seen:
        problems.append(f"{where}.family: {entry.family!r} is listed twice")
    annotations, bounds = cls.param_annotations(), cls.param_bounds()
    for section, values in (("params", entry.params), ("space", entry.space)):
        for name, value in values.items():
            if name not in annotations:
                problems.append(f"{where}.{section}.{name}: not a parameter of {entry.family}"
                                f"{_hint(name, list(annotations))}; expected one of {', '.join(annotations)}")
                continue
            problem = (_check_value if section == "params" else _check_space)(annotations[name], value)
            if problem is None and name in bounds:
                problem = _check_bound(bounds[name], value if section == "params" else None,
                                       None if section == "params" else value)
            if problem:
                problems.append(f"{where}.{section}.{name}: {problem}")
    return problems


def _check_bound(bound, value: Any, space: Optional[ParamSpace]) -> Optional[str]:
    """The problem of a fixed value, or of a space's values, against the parameter's range."""
    if space is not None:
        if space.kind == "choice":
            values = list(space.value)
        elif space.kind in ("uniform", "loguniform", "int", "quniform"):
            values = list(space.value[:2])
        else:
            values = [space.value]
    else:
        values = [value]
    for v in values:
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            problem = bound.problem(float(v))
            if problem:
                return problem
    return None


def candidates(config) -> list[Candidate]:
    from genautoml.models.registry import get_family

    result = []
    for entry in config.models:
        cls = get_family(entry.family)
        space = {name: ParamSpace.model_validate(spec) for name, spec in cls.default_space.items()}
        space.update(entry.space)
        for name in entry.params:
            space.pop(name, None)
        fixed = {name: _coerce(cls.param_annotations()[name], value) for name, value in entry.params.items()}
        result.append(Candidate(family=entry.family, fixed=fixed, space=space))
    return result


def _coerce(annotation: Any, value: Any) -> Any:
    try:
        return TypeAdapter(annotation).validate_python(value)
    except ValidationError:
        return value


def resolve(config: Config, source: str = "config", base_dir: Optional[Path] = None) -> Config:
    """``config`` checked against the registries and with every default filled in.

    ``source`` prefixes each problem (the config file's path); ``base_dir``, when given,
    makes a relative ``data.source`` absolute, so later commands find it from anywhere.
    """
    problems = check_models(config)
    if problems:
        lines = [f"{source}: {line}" for line in problems]
        raise ConfigError(lines[0], details=lines[1:])
    data = config.data
    if base_dir is not None and not data.source.startswith("builtin:") and not Path(data.source).expanduser().is_absolute():
        data = data.model_copy(update={"source": str((Path(base_dir) / Path(data.source).expanduser()).resolve())})
    features = config.features
    if features is None:
        from genautoml.data.registry import get_modality

        features = list(get_modality(config.data.modality).default_features(config.data))
    models = [type(entry)(family=c.family, params=c.fixed, space=c.space)
              for entry, c in zip(config.models, candidates(config))]
    return config.model_copy(update={"data": data, "features": features, "models": models})


def load_resolved(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> Config:
    """Read, validate and resolve a config file; a relative data path is taken from the file's folder."""
    config = load_config(path, overrides)
    return resolve(config, source=str(path), base_dir=Path(path).resolve().parent)


def resolved_dict(config: Config) -> dict[str, Any]:
    """A resolved config as plain YAML-able data (what the run directory's config.yaml holds)."""
    return config.model_dump(mode="json")


def check_source(config: Config, base_dir: Path) -> None:
    """Refuse (ConfigError) a ``data.source`` path that does not exist, as the loaders would,
    so that ``validate`` catches it before a run starts, and a builtin name the modality
    does not have. A relative path is read from the config file's folder."""
    from genautoml.modalities import MODALITIES

    source = config.data.source
    if source.startswith("builtin:"):
        known = MODALITIES[config.data.modality].builtins
        if source.removeprefix("builtin:") not in known:
            raise ConfigError(f"data.source: unknown builtin data set {source!r} for {config.data.modality}; "
                              f"expected {' or '.join('builtin:' + name for name in known)}")
        return
    path = Path(source).expanduser()
    if not path.is_absolute():
        path = base_dir / path
    if not path.exists():
        raise ConfigError(f"data.source: {path} does not exist (a relative path is read from the config's folder)")
