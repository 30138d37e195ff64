"""The representation of a table's rows: every column through its coder
(genautoml/data/tabular/coders.py; embedded categories: embedding.py), side by side, as one
vector of values in [0, 1] whose blocks (``EncodedSpec.blocks``) say which values are
numbers and which are one-hot categories.

Fitted on the training rows only. Its state is one JSON document (the schema and each
coder's parameters) held as bytes in a uint8 tensor, so checkpoints stay weights-only.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import numpy as np

from genautoml.data.base import Representation
from genautoml.data.tabular.coders import CategoryColumn, ModeNumbers, NumberColumn, QuantileNumbers
from genautoml.data.tabular.embedding import EmbeddedCategories, context
from genautoml.data.tabular.table import Column, Table
from genautoml.schema.tabular import TabularFeature
from genautoml.spec import EncodedSpec

if TYPE_CHECKING:
    import torch

#: mode-specific normalisation's most modes per column when the feature does not say (CTGAN's)
DEFAULT_MAX_MODES = 10


class TabularRepresentation(Representation):
    # A density of the encoded values is not one of the table's values (ranks, offsets within
    # modes), so no likelihood figure is reported for tables.
    reports_likelihood = False

    def __init__(self, feature: TabularFeature):
        super().__init__(feature)
        self.columns_: tuple[Column, ...] = ()
        self.coders_: list[Any] = []
        self.target_, self.source_format_ = None, "csv"

    def _coder(self, column: Column, params: dict[str, Any] | None = None):
        if not column.is_number and self.feature.categories == "embedding":
            return EmbeddedCategories(column, params)
        if not column.is_number:
            return CategoryColumn(column, self.feature.categories, params)
        if self.feature.numbers == "modes":
            values = ModeNumbers(params, max_modes=self.feature.max_modes or DEFAULT_MAX_MODES)
        else:
            values = QuantileNumbers(params)
        return NumberColumn(column, values, params)

    def fit(self, train_raw: Table) -> "TabularRepresentation":
        self.columns_, self.target_, self.source_format_ = train_raw.columns, train_raw.target, train_raw.source_format
        self.coders_ = [self._fitted(self._coder(c), c, train_raw) for c in self.columns_]
        return self

    @staticmethod
    def _fitted(coder, column: Column, train_raw: Table):
        if isinstance(coder, EmbeddedCategories):  # placed by the other columns of its rows
            return coder.fit(train_raw.values[column.name], context(train_raw, column.name))
        return coder.fit(train_raw.values[column.name])

    @property
    def spec(self) -> EncodedSpec:
        blocks = tuple(block for coder in self.coders_ for block in coder.blocks)
        return EncodedSpec("vector", sum(width for _, width in blocks), blocks=blocks)

    def encode(self, raw: Table) -> torch.Tensor:
        import torch

        parts = [coder.encode(raw.values[c.name]) for c, coder in zip(self.columns_, self.coders_)]
        return torch.from_numpy(np.hstack(parts).astype(np.float32)) if parts else torch.zeros(len(raw), 0)

    def decode(self, encoded: torch.Tensor) -> Table:
        array = encoded.detach().cpu().numpy().astype(np.float64)
        values, start = {}, 0
        for column, coder in zip(self.columns_, self.coders_):
            width = sum(w for _, w in coder.blocks)
            values[column.name] = coder.decode(array[:, start:start + width])
            start += width
        return Table(self.columns_, values, self.target_, self.source_format_)

    def units(self, raw: Table) -> int:
        return len(raw) * len(raw.columns)  # cells

    def state(self) -> dict[str, torch.Tensor]:
        import torch

        document = {
            "columns": [c.to_json() for c in self.columns_],
            "coders": [coder.params() for coder in self.coders_],
            "target": self.target_,
            "source_format": self.source_format_,
        }
        data = np.frombuffer(json.dumps(document).encode("utf-8"), dtype=np.uint8).copy()
        return {"table_json": torch.from_numpy(data)}

    def load_state(self, state: dict[str, torch.Tensor]) -> None:
        document = json.loads(bytes(state["table_json"].numpy().tobytes()).decode("utf-8"))
        self.columns_ = tuple(Column.from_json(c) for c in document["columns"])
        self.coders_ = [self._coder(c, params) for c, params in zip(self.columns_, document["coders"])]
        self.target_, self.source_format_ = document["target"], document["source_format"]
