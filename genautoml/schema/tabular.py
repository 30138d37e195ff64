"""The ``data:`` and ``features:`` schema of tabular experiments (no torch, no pandas here)."""

from __future__ import annotations

from typing import Annotated, Literal, Optional

from pydantic import Field, model_validator

from genautoml.schema.base import Strict

#: what a column holds; inferred from the data unless the config says (``data.columns``)
COLUMN_TYPES = ("continuous", "integer", "categorical", "boolean", "datetime")
ColumnType = Literal["continuous", "integer", "categorical", "boolean", "datetime"]


class ColumnOverride(Strict):
    """What a user states about one column: its type, and constraints samples must keep.

    ``min``/``max`` (numbers; datetimes as ISO dates or times) bound the column's values, in
    the data and in every sample (samples are clipped into them); ``categories`` lists the
    only values a categorical column may take (a value outside it in the data is an error).
    """

    type: Optional[ColumnType] = None
    min: Optional[float | str] = None
    max: Optional[float | str] = None
    categories: Optional[list[str]] = Field(None, min_length=1)

    @model_validator(mode="after")
    def _constraints_fit_the_type(self) -> "ColumnOverride":
        if self.categories is not None and self.type not in (None, "categorical"):
            raise ValueError(f"'categories' applies to type 'categorical', not {self.type!r}")
        if (self.min is not None or self.max is not None) and self.type in ("categorical", "boolean"):
            raise ValueError(f"'min'/'max' apply to numbers and datetimes, not type {self.type!r}")
        if self.categories is not None and (self.min is not None or self.max is not None):
            raise ValueError("a column has 'categories' or 'min'/'max', not both")
        numbers = [v for v in (self.min, self.max) if isinstance(v, (int, float))]
        if len(numbers) == 2 and numbers[0] > numbers[1]:
            raise ValueError(f"'min' {numbers[0]} is above 'max' {numbers[1]}")
        return self


class TabularData(Strict):
    modality: Literal["tabular"]
    #: builtin:<name> (breast_cancer, wine, diabetes, iris, customers) | a .csv file | a .parquet file
    source: str = "builtin:wine"
    test_fraction: float = Field(0.2, gt=0, lt=1)
    #: use at most this many rows (a seeded random subset), for quick experiments
    max_examples: Optional[Annotated[int, Field(gt=0)]] = None
    #: the column the train-on-synthetic efficacy figure predicts (a builtin table names its
    #: own); None: no efficacy figure
    target: Optional[str] = Field(None, min_length=1)
    #: per-column types and constraints, over what is inferred; keys are column names
    columns: dict[str, ColumnOverride] = Field(default_factory=dict)


class TabularFeature(Strict):
    """One candidate representation of a table's rows: every column becomes one or more
    values in [0, 1], in blocks a family may read (``EncodedSpec.blocks``).

    ``numbers`` (continuous, integer and datetime columns): ``quantile`` maps each value to its
    rank among the training rows (a uniform marginal; decoded by interpolating the training
    quantiles); ``modes`` is mode-specific normalisation (CTGAN's): a Gaussian mixture fitted
    per column, each value as its mode (one-hot) and its offset within that mode.
    ``categories`` (categorical and boolean columns): ``onehot`` (one block of k values) or
    ``uniform`` (one value: each category owns an interval of [0, 1] as wide as its frequency,
    the encoding a Gaussian copula needs) or ``embedding`` (about log2 k values: each category
    a point placed by the other columns of the rows it occurs in, so alike categories lie
    near; decoded to the nearest point; genautoml/data/tabular/embedding.py). A column with missing values gets a 2-way block
    saying whether the value is there.
    """

    numbers: Literal["quantile", "modes"] = "quantile"
    categories: Literal["onehot", "uniform", "embedding"] = "onehot"
    #: modes only: most mixture components per column
    max_modes: Optional[Annotated[int, Field(ge=1, le=32)]] = None

    @model_validator(mode="after")
    def _modes_option(self) -> "TabularFeature":
        if self.max_modes is not None and self.numbers != "modes":
            raise ValueError("'max_modes' applies only to numbers 'modes'")
        return self
