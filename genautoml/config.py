"""The experiment config: YAML in, typed and frozen ``Config`` out, every schema default filled in.

This is schema and parsing only (no torch, no families): the families named under
``models:`` and the modality's default representations are checked and filled in by the
pipeline's resolve step (genautoml/pipeline/resolve.py), which returns a new ``Config``.
Read with ``yaml.safe_load`` only. Every model forbids unknown keys, and every problem is
reported as one line naming its key path (``search.cv_folds: ...``), all of them at once.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal, Optional, Union

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from genautoml.errors import ConfigError
from genautoml.modalities import MODALITIES
from genautoml.schema.base import Strict
from genautoml.schema.fidelity import FidelityConfig
from genautoml.schema.image import ImageData
from genautoml.schema.space import ParamSpace

# ---- data ------------------------------------------------------------------------------

# Each modality declares its ``data:`` section and its ``features:`` entries in its own
# small module under genautoml/schema (no torch there, so validating a config stays quick).
DATA_MODELS: dict[str, type[BaseModel]] = {name: schema.data for name, schema in MODALITIES.items()}
DataConfig = Annotated[Union[tuple(DATA_MODELS.values())], Field(discriminator="modality")]
FEATURE_MODELS: dict[str, type[BaseModel]] = {name: schema.feature for name, schema in MODALITIES.items()}


# ---- models and search -----------------------------------------------------------------


class ModelEntry(Strict):
    family: str
    #: fixed hyperparameters: used at cv, and held constant during tune
    params: dict[str, Any] = Field(default_factory=dict)
    #: search space, key by key over the family's default space (a bare value is a constant)
    space: dict[str, ParamSpace] = Field(default_factory=dict)


def parse_duration(value: Any) -> Optional[float]:
    """``90``, ``"90s"``, ``"10m"``, ``"1.5h"`` -> seconds."""
    if value is None or isinstance(value, (int, float)) and not isinstance(value, bool):
        return None if value is None else float(value)
    if isinstance(value, str):
        match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*(s|m|h)?\s*", value)
        if match:
            return float(match.group(1)) * {"s": 1, "m": 60, "h": 3600, None: 1}[match.group(2)]
    raise ValueError(f"expected a duration such as 90, '90s', '10m' or '1h', got {value!r}")


Duration = Annotated[float, Field(gt=0)]


class Resources(Strict):
    """What one trial asks of a Ray worker."""

    cpu: float = Field(1.0, gt=0)
    gpu: float = Field(0.0, ge=0)


class RayConfig(Strict):
    #: absent: start a local Ray on this machine; "auto" or "ray://host:port": join a cluster
    address: Optional[str] = None


class SearchConfig(Strict):
    metric: str = "auto"
    cv_folds: int = Field(3, ge=2)
    top_k: int = Field(2, ge=1)
    max_trials: int = Field(30, ge=1)
    #: wall clock of the whole search (cv, tune, features, train), spent by the plan in
    #: genautoml/pipeline/plan.py; null: no budget, every stage runs to its own limits
    time_budget: Optional[Duration] = 600.0
    fidelity: FidelityConfig = Field(default_factory=FidelityConfig)
    trial_timeout: Optional[Duration] = None
    algo: Literal["tpe", "random"] = "tpe"
    #: folds scored per tune trial (1: one holdout fold); the winner is re-scored on cv_folds
    tune_folds: int = Field(1, ge=1)
    #: asha: successive halving within each family at the scored epochs (the default);
    #: median: Vizier's median rule across trials; none: every trial runs its epochs
    early_stopping: Literal["asha", "median", "none"] = "asha"
    #: Hyperband brackets of the asha rule: trial i runs in bracket i mod brackets, bracket b
    #: is judged from grace_epochs x eta**b on, and the last one (with 2 or more) runs its
    #: trials to their full epochs. 1: plain ASHA
    brackets: int = Field(2, ge=1, le=8)
    #: the median rule compares a trial with completed trials of every family (all) or only
    #: with those of its own family (family: for families that learn at very different speeds)
    median_scope: Literal["all", "family"] = "all"
    #: epochs every trial runs before the median rule may stop it (nor is it scored before)
    grace_epochs: int = Field(3, ge=0)
    #: score the model every this many epochs during training (for early stopping); by
    #: default at epochs 1, 2, 4, 8, ... past grace_epochs: every trial is scored at the same
    #: epochs, so the median rule can compare them, and scoring costs grow with log(epochs)
    eval_every: Optional[Annotated[int, Field(ge=1)]] = None
    #: random trials before TPE models the space; default scales with max_trials
    startup_trials: Optional[Annotated[int, Field(ge=1)]] = None
    #: a candidate whose samples the classifier two-sample test separates from the held-out
    #: fold this well (c2st, 0 to 1) ranks after every candidate below it (null: off;
    #: genautoml/pipeline/guard.py)
    c2st_max: Optional[Annotated[float, Field(gt=0, le=1)]] = 0.8
    #: a candidate whose samples lie nearer the training rows than held-out rows do, by this
    #: ratio of median distances (dcr_ratio, tables), ranks after every candidate above it
    #: (null: off; genautoml/pipeline/guard.py)
    dcr_min: Optional[Annotated[float, Field(gt=0, le=10)]] = 0.9
    #: cap on held-out examples used to score a fold (metrics cost grows with it)
    max_eval_examples: int = Field(1000, ge=10)
    #: tune trials run at once (local: worker processes, one trial each)
    parallel: int = Field(1, ge=1, le=256)
    #: torch CPU threads per trial process. 1 by default: our models are small, and
    #: OpenMP threads that outnumber free cores spin and slow training 5-20x (measured)
    threads: int = Field(1, ge=1, le=256)
    #: local: this machine (a process pool when parallel > 1); ray: tasks on a Ray cluster
    executor: Literal["local", "ray"] = "local"
    resources: Resources = Field(default_factory=Resources)
    ray: RayConfig = Field(default_factory=RayConfig)

    @field_validator("time_budget", "trial_timeout", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        return parse_duration(value)

    @field_validator("executor")
    @classmethod
    def _ray_installed(cls, value: str) -> str:
        import importlib.util

        if value == "ray" and importlib.util.find_spec("ray") is None:
            raise ValueError("'ray' needs Ray, which is not installed: pip install 'genautoml[ray]'")
        return value

    @model_validator(mode="after")
    def _folds(self) -> "SearchConfig":
        if self.tune_folds > self.cv_folds:
            raise ValueError(f"tune_folds ({self.tune_folds}) cannot exceed cv_folds ({self.cv_folds})")
        return self


class TrainConfig(Strict):
    #: samples written into the run directory after final training
    samples: int = Field(64, ge=0)
    #: keep training the winner past its tuned epoch count while a validation split (carved
    #: from the non-test data) improves, and keep its best state; false: exactly the tuned
    #: epochs on all non-test data. Only families whose epochs are all alike can extend.
    extend: bool = True
    #: then train it again on all non-test data for its best check's epochs, when the train
    #: share holds the time (genautoml/pipeline/refit.py; off: no gain measured on digits)
    refit: bool = False
    #: share of the non-test examples held out to judge the extended training
    valid_fraction: float = Field(0.1, gt=0, lt=0.5)
    #: validation checks in a row without improvement before extended training stops
    patience: int = Field(4, ge=1)
    #: ceiling on the epochs of extended training (never fewer than the tuned epochs)
    max_epochs: int = Field(2000, ge=1)
    #: wall-clock ceiling on extended training, counted from its start (the tuned epochs
    #: always run), on top of the plan's train share of ``search.time_budget``; when either
    #: binds, the model depends on the machine's speed, which the epoch-counted stops above
    #: do not. null: only the plan's share.
    time_budget: Optional[Duration] = None

    @field_validator("time_budget", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        return parse_duration(value)


class MlflowTracking(Strict):
    """Where a finished search is logged (optional extra ``genautoml[mlflow]``)."""

    #: MLflow's tracking URI: a local database (``sqlite:///mlflow.db``, a path read from the
    #: working directory as MLflow reads it), the address of an ``mlflow server``
    #: (``http://127.0.0.1:5000``), or a folder where MLflow still allows its file store
    uri: str = Field(min_length=1)
    #: the experiment the search goes into (made when missing)
    experiment: str = Field("genautoml", min_length=1)


class TrackingConfig(Strict):
    #: null: no tracking
    mlflow: Optional[MlflowTracking] = None


_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


class Config(Strict):
    name: str
    seed: int = Field(0, ge=0)
    device: Literal["auto", "cpu", "cuda"] = "auto"
    data: DataConfig
    features: Optional[list[Any]] = None
    models: list[ModelEntry] = Field(min_length=1)
    search: SearchConfig = Field(default_factory=SearchConfig)
    train: TrainConfig = Field(default_factory=TrainConfig)
    #: where the finished search is also logged; changes no result
    tracking: TrackingConfig = Field(default_factory=TrackingConfig)

    @field_validator("name")
    @classmethod
    def _safe_name(cls, value: str) -> str:
        # The name becomes a folder under runs/: it must not climb out of it.
        if not _NAME.fullmatch(value) or ".." in value:
            raise ValueError(
                "expected letters, digits, '.', '_' or '-' (no '/', no '..', not starting with '.'), "
                f"got {value!r}"
            )
        return value

    @field_validator("data", mode="before")
    @classmethod
    def _modality_given(cls, value: Any) -> Any:
        if isinstance(value, dict) and "modality" not in value:
            raise ValueError(f"missing 'modality' (expected one of: {', '.join(FEATURE_MODELS)})")
        return value

    @model_validator(mode="before")
    @classmethod
    def _typed_features(cls, raw: Any) -> Any:
        """Each ``features`` entry validated by its modality's schema (known only from ``data``)."""
        if not isinstance(raw, dict) or raw.get("features") is None:
            return raw
        data = raw.get("data")
        model = FEATURE_MODELS.get(data.get("modality")) if isinstance(data, dict) else None
        if model is None or not isinstance(raw["features"], list):
            return raw  # the data or features errors are reported by the field validators
        if not raw["features"]:
            raise ValueError("features: expected at least one representation, or leave it out")
        typed = []
        for i, item in enumerate(raw["features"]):
            try:
                typed.append(item if isinstance(item, model) else model.model_validate(item))
            except ValidationError as exc:
                raise ConfigError("invalid features", details=_lines(exc, prefix=f"features.{i}")) from None
        return {**raw, "features": typed}


# ---- loading ---------------------------------------------------------------------------


def _loc(loc: tuple, prefix: str = "") -> str:
    # Drop the discriminator tag pydantic inserts into union locations (data.image.source).
    parts = [str(p) for i, p in enumerate(loc) if not (i == 1 and loc[0] == "data" and p in FEATURE_MODELS)]
    # Drop pydantic's function-validator markers such as "function-after[...]".
    parts = [p for p in parts if not p.startswith(("function-", "tagged-union["))]
    path = ".".join(parts)
    return ".".join(p for p in (prefix, path) if p) or "(top level)"


def _known_keys(loc: tuple, raw: Any = None) -> list[str]:
    """The keys allowed at the parent of ``loc``, for 'did you mean' hints."""
    model: Any = Config
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        if model is Config and part == "data":
            data = raw.get("data") if isinstance(raw, dict) else None
            modality = data.get("modality") if isinstance(data, dict) else None
            return list(DATA_MODELS.get(modality, ImageData).model_fields)
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return []
        annotation = field.annotation
        args = getattr(annotation, "__args__", ())
        candidates = [annotation, *args]
        nested = [c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)]
        if not nested:
            return []
        model = nested[0]
    fields = getattr(model, "model_fields", {})
    return [f.alias or name for name, f in fields.items()]


def _lines(exc: ValidationError, prefix: str = "", raw: Any = None) -> list[str]:
    lines = []
    for error in exc.errors():
        loc = error["loc"]
        where = _loc(loc, prefix)
        if error["type"] == "extra_forbidden":
            key = str(loc[-1])
            hint = difflib.get_close_matches(key, _known_keys(loc, raw), n=1)
            suffix = f" (did you mean {hint[0]!r}?)" if hint else ""
            lines.append(f"{where}: unknown key{suffix}")
            continue
        if error["type"] == "union_tag_invalid":
            context = error.get("ctx", {})
            lines.append(f"{where}.modality: expected one of {context.get('expected_tags')}, got {context.get('tag')!r}")
            continue
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "missing":
            message = "required key is missing"
        elif "input" in error and error["type"] not in ("value_error", "assertion_error"):
            message = f"{message} (got {error['input']!r})"
        lines.append(f"{where}: {message}")
    return lines


def apply_override(raw: dict, assignment: str) -> None:
    """Apply one ``--set key.path=value``; the value is parsed as YAML (``3``, ``1e-3``, ``[1, 2]``)."""
    if "=" not in assignment:
        raise ConfigError(f"--set {assignment}: expected key.path=value")
    path, text = assignment.split("=", 1)
    keys = [k for k in path.strip().split(".")]
    if not all(keys):
        raise ConfigError(f"--set {assignment}: expected key.path=value")
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        raise ConfigError(f"--set {path}: value {text!r} is not valid YAML") from None
    node: Any = raw
    for depth, key in enumerate(keys[:-1]):
        if isinstance(node, list):
            if not key.isdigit() or int(key) >= len(node):
                raise ConfigError(f"--set {path}: {'.'.join(keys[:depth])} has no item {key}")
            node = node[int(key)]
        elif isinstance(node, dict):
            if node.get(key) is None:  # absent, or null (an optional section left off): a new mapping
                node[key] = {}
            node = node[key]
        else:
            raise ConfigError(f"--set {path}: {'.'.join(keys[:depth])} is not a mapping")
    last = keys[-1]
    if isinstance(node, list):
        if not last.isdigit() or int(last) >= len(node):
            raise ConfigError(f"--set {path}: no item {last}")
        node[int(last)] = value
    elif isinstance(node, dict):
        node[last] = value
    else:
        raise ConfigError(f"--set {path}: {'.'.join(keys[:-1])} is not a mapping")


def read_yaml(path: Path) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a folder, expected a YAML file") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.constructor.ConstructorError as exc:
        # safe_load refuses tags such as !!python/object: nothing is constructed.
        raise ConfigError(f"{path}: {exc.problem} (only plain YAML is allowed)") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(f"{path}:{where}: not valid YAML ({problem})") from None
    if raw is None:
        raise ConfigError(f"{path}: the file is empty; expected a mapping with name, data and models")
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level, got {type(raw).__name__}")
    return raw


def validate(raw: dict, source: str = "config") -> Config:
    try:
        config = Config.model_validate(raw)
    except ValidationError as exc:
        lines = [f"{source}: {line}" for line in _lines(exc, raw=raw)]
        raise ConfigError(lines[0], details=lines[1:]) from None
    except ConfigError as exc:
        lines = [f"{source}: {line}" for line in exc.details] or [f"{source}: {exc.message}"]
        raise ConfigError(lines[0], details=lines[1:]) from None
    return config


def load_config(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> Config:
    path = Path(path)
    raw = read_yaml(path)
    for assignment in overrides:
        apply_override(raw, assignment)
    return validate(raw, source=str(path))


def to_yaml(data: dict) -> str:
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False)


def config_hash(data: dict) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]
