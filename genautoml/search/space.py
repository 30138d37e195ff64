"""Our small search-space syntax and its one translation to hyperopt.

In YAML a parameter's space is one of::

    lr: {loguniform: [1.0e-4, 1.0e-2]}   # bounds in real units (not log)
    batch_size: {choice: [32, 64, 128]}
    dropout: {uniform: [0.0, 0.5]}
    hidden: {int: [32, 256]}             # inclusive; comes back as an int
    width: {quniform: [32, 256, 32]}     # multiples of q; ints when low, high, q are ints
    epochs: 20                           # a bare value is {const: 20}

Everything hyperopt-specific (log bounds, index-valued choices, unique labels) lives here.
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_serializer, model_validator

KINDS = ("choice", "uniform", "loguniform", "int", "quniform", "const")


class ParamSpace(BaseModel):
    """The space of one hyperparameter; exactly one of the fields is set."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    choice: list[Any] | None = Field(default=None, min_length=1)
    uniform: tuple[float, float] | None = None
    loguniform: tuple[float, float] | None = None
    int_: tuple[int, int] | None = Field(default=None, alias="int")
    quniform: tuple[float, float, float] | None = None
    const: Any = None

    @model_validator(mode="before")
    @classmethod
    def _bare_value_is_const(cls, value: Any) -> Any:
        if isinstance(value, ParamSpace):
            return value
        if not isinstance(value, dict):
            return {"const": value}
        return value

    @model_validator(mode="after")
    def _check(self) -> "ParamSpace":
        set_kinds = [self._kind_of(name) for name in self.model_fields_set]
        if len(set_kinds) != 1:
            raise ValueError(f"give exactly one of {', '.join(KINDS)}")
        kind = set_kinds[0]
        if kind in ("uniform", "loguniform", "int", "quniform"):
            low, high = getattr(self, "int_" if kind == "int" else kind)[:2]
            if not low < high:
                raise ValueError(f"{kind}: expected low < high, got [{low}, {high}]")
            if kind == "loguniform" and low <= 0:
                raise ValueError(f"loguniform: bounds must be positive, got [{low}, {high}]")
            if kind == "quniform" and self.quniform[2] <= 0:
                raise ValueError(f"quniform: step must be positive, got {self.quniform[2]}")
        return self

    @staticmethod
    def _kind_of(field_name: str) -> str:
        return "int" if field_name == "int_" else field_name

    @property
    def kind(self) -> str:
        return self._kind_of(next(iter(self.model_fields_set)))

    @property
    def value(self) -> Any:
        return getattr(self, "int_" if self.kind == "int" else self.kind)

    @model_serializer
    def _serialize(self) -> dict[str, Any]:
        value = self.value
        return {self.kind: list(value) if isinstance(value, tuple) else value}

    def default_or_first(self) -> Any:
        """A representative value, used to type-check a space against its family."""
        kind, value = self.kind, self.value
        if kind == "const":
            return value
        if kind == "choice":
            return value[0]
        if kind == "int":
            return int(value[0])
        if kind == "quniform":
            return _quantized(value[0], value[2])
        return float(value[0])


def _quantized(x: float, q: float) -> float | int:
    y = round(x / q) * q
    return int(y) if float(q).is_integer() else float(y)


def to_hyperopt(label: str, space: ParamSpace):
    """One parameter as a hyperopt expression; ``label`` must be unique in the whole space."""
    from hyperopt import hp
    from hyperopt.pyll import scope

    kind, value = space.kind, space.value
    if kind == "const":
        return value
    if kind == "choice":
        return hp.choice(label, list(value))
    if kind == "uniform":
        return hp.uniform(label, value[0], value[1])
    if kind == "loguniform":
        return hp.loguniform(label, math.log(value[0]), math.log(value[1]))
    if kind == "int":
        # Widen by just under a half on each side so the end points are as likely as the rest.
        return scope.int(hp.quniform(label, value[0] - 0.499, value[1] + 0.499, 1))
    low, high, q = value
    expr = hp.quniform(label, low, high, q)
    return scope.int(expr) if all(float(v).is_integer() for v in value) else expr


def family_space(families: dict[str, dict[str, ParamSpace]]):
    """The conditional (CASH) space: a top-level choice over families, parameters namespaced."""
    from hyperopt import hp

    options = []
    for family, params in families.items():
        options.append(
            {
                "family": family,
                "params": {name: to_hyperopt(f"{family}.{name}", spec) for name, spec in params.items()},
            }
        )
    return hp.choice("family", options)


def plain(value: Any) -> Any:
    """numpy scalars from hyperopt into plain Python values (JSON and pickling friendly)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        return value.item()
    return value
