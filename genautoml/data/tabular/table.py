"""The raw form of tabular data: ``Table``, columns of one type each, held as numpy arrays.

Every column is stored as numbers, whatever it looks like in a file, so representations
and metrics read one form:

- continuous, integer and datetime columns: float64, NaN where the value is missing
  (datetimes as seconds since 1970-01-01 UTC; genautoml/data/tabular/io.py converts);
- categorical and boolean columns: int64 codes into ``Column.categories``, -1 where missing
  (booleans have the categories ``("False", "True")``).

The schema (``Column``: type, categories, bounds) is inferred once from the whole table when
it is loaded, like the metadata SDV detects: it names what values exist, never how often.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any, Optional

import numpy as np

NUMBER_TYPES = ("continuous", "integer", "datetime")
CATEGORY_TYPES = ("categorical", "boolean")
BOOLEAN_CATEGORIES = ("False", "True")


@dataclass(frozen=True)
class Column:
    name: str
    #: one of genautoml.schema.tabular.COLUMN_TYPES
    type: str
    #: categorical and boolean: every value the column may take, as text, in code order
    categories: tuple[str, ...] = ()
    #: numbers: the smallest and largest value a sample may take (the data's own range, or
    #: the constraint a user stated); datetimes in seconds since 1970-01-01 UTC
    low: Optional[float] = None
    high: Optional[float] = None
    #: whether the table has missing values in this column (representations then encode
    #: whether a value is there, and samples reproduce the rate)
    has_missing: bool = False

    @property
    def is_number(self) -> bool:
        return self.type in NUMBER_TYPES

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "categories": list(self.categories)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Column":
        return cls(**{**data, "categories": tuple(data.get("categories", ()))})


@dataclass
class Table:
    """Rows of a table: ``values[name]`` per column (see the module's doc), all of one length."""

    columns: tuple[Column, ...]
    values: dict[str, np.ndarray]
    #: the column the train-on-synthetic efficacy figure predicts; None: no such figure
    target: Optional[str] = None
    #: the format samples are written in besides CSV ("parquet" when the source was Parquet)
    source_format: str = "csv"
    _rows: int = field(init=False, repr=False)

    def __post_init__(self):
        names = [c.name for c in self.columns]
        if set(names) != set(self.values) or len(set(names)) != len(names):
            raise ValueError(f"table columns {names} do not match its values {list(self.values)}")
        lengths = {len(v) for v in self.values.values()}
        if len(lengths) > 1:
            raise ValueError(f"table columns have different lengths: {sorted(lengths)}")
        for column in self.columns:
            array = self.values[column.name]
            want = np.float64 if column.is_number else np.int64
            if array.dtype != want:
                self.values[column.name] = array.astype(want)
        self._rows = lengths.pop() if lengths else 0

    def __len__(self) -> int:
        return self._rows

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    def missing(self, name: str) -> np.ndarray:
        """Whether each row's value in column ``name`` is missing."""
        array = self.values[name]
        return np.isnan(array) if self.column(name).is_number else array < 0

    def like(self, values: dict[str, np.ndarray]) -> "Table":
        """A table of the same schema holding ``values`` (samples, subsets)."""
        return Table(self.columns, values, self.target, self.source_format)

    def subset(self, index: np.ndarray) -> "Table":
        return self.like({name: array[index] for name, array in self.values.items()})

    @staticmethod
    def join(parts: list["Table"]) -> "Table":
        first = parts[0]
        return first.like({name: np.concatenate([p.values[name] for p in parts]) for name in first.names})

    def fingerprint(self) -> str:
        digest = hashlib.sha256(json.dumps([c.to_json() for c in self.columns], sort_keys=True).encode())
        digest.update(f"{self.target}:{len(self)}".encode())
        for name in self.names:
            digest.update(np.ascontiguousarray(self.values[name]).tobytes())
        return digest.hexdigest()[:16]
