"""The schema of one hyperparameter's search space in a config (no hyperopt, no torch).

The syntax is documented in ``genautoml/search/space.py``, which translates it to hyperopt.
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
            if kind == "quniform" and math.floor(high / self.quniform[2]) < math.ceil(low / self.quniform[2]):
                raise ValueError(f"quniform: no multiple of {self.quniform[2]:g} lies in [{low:g}, {high:g}]")
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
            return quantized(value[0], value[2])
        return float(value[0])


def quantized(x: float, q: float) -> float | int:
    y = round(x / q) * q
    return int(y) if float(q).is_integer() else float(y)
