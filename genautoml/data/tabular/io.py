"""Tables in files: loading ``data.source`` (a builtin, a .csv or a .parquet file) into a
Table, and writing samples as CSV (and Parquet) that read back into the same values.

CSV files are read as text, every column, and typed by genautoml/data/tabular/infer.py;
Parquet columns keep their stored types (numbers, booleans, timestamps, text).
pandas and pyarrow are imported inside the functions: importing this module stays cheap.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import numpy as np

from genautoml import atomic
from genautoml.data.tabular.table import Column, Table
from genautoml.errors import DataError
from genautoml.schema.tabular import TabularData

if TYPE_CHECKING:
    import pandas as pd

#: cells that mean "no value" (after trimming spaces), in every text column
MISSING_TOKENS = ("", "NA", "N/A", "n/a", "<NA>", "NaN", "nan", "null", "NULL", "None", "#N/A")
SUFFIXES = (".csv", ".parquet")
SAMPLES_CSV, SAMPLES_PARQUET = "samples.csv", "samples.parquet"
#: a loaded table needs this many rows here; the pipeline checks what it needs itself
MIN_ROWS = 2
_DAY_US, _SECOND_US = 86_400_000_000, 1_000_000


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or exc.__class__.__name__
    return text.splitlines()[0]


# ---- reading -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """Where a table came from, for error messages: the file (or builtin:<name>), and how to
    name a row (a CSV row by its line, assuming no line breaks inside cells)."""

    source: str
    first_line: Optional[int] = None

    def row(self, index: int) -> str:
        return f"line {index + self.first_line}" if self.first_line else f"row {index + 1}"

    def error(self, column: str, message: str) -> DataError:
        return DataError(f"{self.source}: column {column!r}: {message}")


@dataclass(frozen=True)
class RawColumn:
    """One column as read: ``text`` (object array of str, None where missing) or ``number``
    / ``datetime`` (float64, NaN where missing; datetimes in seconds since 1970 UTC)."""

    kind: str
    values: np.ndarray

    @property
    def missing(self) -> np.ndarray:
        if self.kind == "text":
            return np.equal(self.values, None).astype(bool)
        return np.isnan(self.values)


def raw_column(series: "pd.Series") -> RawColumn:
    """A pandas column (CSV text, or Parquet's typed values) as a RawColumn."""
    import pandas as pd

    if pd.api.types.is_bool_dtype(series):
        series = series.astype(object)  # booleans go the way of their text, true/false
    elif pd.api.types.is_numeric_dtype(series):
        return RawColumn("number", series.to_numpy(dtype=np.float64, na_value=np.nan))
    elif pd.api.types.is_datetime64_any_dtype(series):
        stamps = series.dt.tz_localize("UTC") if series.dt.tz is None else series.dt.tz_convert("UTC")
        return RawColumn("datetime", ((stamps - pd.Timestamp(0, tz="UTC")) / pd.Timedelta(seconds=1)).to_numpy(np.float64))
    cells = series.astype(object).to_numpy()
    texts = np.full(len(cells), None, dtype=object)
    present = ~pd.isna(cells)
    texts[present] = [str(v).strip() for v in cells[present]]
    texts[np.isin(texts, MISSING_TOKENS)] = None
    return RawColumn("text", texts)


def _check_header(names: list[str], path: Path) -> None:
    for index, name in enumerate(names):
        if not str(name).strip():
            raise DataError(f"{path}: column {index + 1} has no name in the header (an index column?); name it or drop it")
    twice = [name for name, count in Counter(names).items() if count > 1]
    if twice:
        raise DataError(f"{path}: column name {twice[0]!r} appears {names.count(twice[0])} times in the header; "
                        "names must be unique")
    if len(names) == 1 and any(sep in names[0] for sep in (";", "\t", "|")):
        sep = next(sep for sep in (";", "\t", "|") if sep in names[0])
        raise DataError(f"{path}: one column named {names[0]!r}; the file looks separated by {sep!r}, "
                        "and genautoml reads comma-separated CSV")


def _read_csv(path: Path) -> "pd.DataFrame":
    import pandas as pd

    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")  # a byte order mark (Excel writes one) is not part of the header
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise DataError(f"{path}: not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}, line {line}); "
                        "save the file as UTF-8") from None
    if not text.strip():
        raise DataError(f"{path}: empty file (no header, no rows)")
    if "\x00" in text:
        raise DataError(f"{path}: holds NUL bytes, so it is not a CSV text file")
    _check_header(next(csv.reader(io.StringIO(text))), path)
    try:
        # Every cell as text: infer.py decides types and missing values, one rule for all files.
        return pd.read_csv(io.StringIO(text), dtype=str, na_filter=False, skip_blank_lines=True)
    except (pd.errors.ParserError, csv.Error, ValueError) as exc:
        raise DataError(f"{path}: not a readable CSV file ({_first_line(exc)})") from None


def _read_parquet(path: Path) -> "pd.DataFrame":
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
        _check_header(schema.names, path)  # before reading: pyarrow cannot read twice-named columns
        arrow = pq.read_table(path)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise DataError(f"{path}: not a readable Parquet file ({_first_line(exc)})") from None
    for field in arrow.schema:
        if pa.types.is_nested(field.type) or pa.types.is_binary(field.type) or pa.types.is_large_binary(field.type) \
                or pa.types.is_fixed_size_binary(field.type):
            raise DataError(f"{path}: column {field.name!r} has Parquet type {field.type}; expected numbers, booleans, "
                            "text, dates or timestamps")
    return pd.DataFrame({name: arrow.column(i).to_pandas() for i, name in enumerate(arrow.column_names)})


def _read_file(path: Path, min_rows: int) -> tuple["pd.DataFrame", "Place"]:
    """A .csv or .parquet file as a DataFrame and its Place (how errors name its rows)."""
    if not path.exists():
        raise DataError(f"{path}: does not exist")
    if path.is_dir():
        raise DataError(f"{path}: is a folder; expected a {' or '.join(SUFFIXES)} file")
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise DataError(f"{path}: unknown file type {suffix or '(no suffix)'!r}; expected {' or '.join(SUFFIXES)}")
    if path.stat().st_size == 0:
        raise DataError(f"{path}: empty file (0 bytes)")
    frame = _read_csv(path) if suffix == ".csv" else _read_parquet(path)
    if len(frame) < min_rows:
        found = "no rows, only column names" if len(frame) == 0 else f"only {len(frame)} row"
        raise DataError(f"{path}: {found}; at least {min_rows} rows are needed")
    return frame, Place(str(path), first_line=2 if suffix == ".csv" else None)


def _source_path(source: str, base_dir: Path) -> Path:
    path = Path(source).expanduser()
    if not path.is_absolute():
        path = Path(base_dir) / path
    if not path.exists():
        raise DataError(f"data.source: {path} does not exist")
    return path


def _target(stated: Optional[str], own: Optional[str], columns: tuple[Column, ...], source: str) -> Optional[str]:
    if stated is None:
        return own
    names = [c.name for c in columns]
    if stated not in names:
        shown = ", ".join(names[:20]) + (", ..." if len(names) > 20 else "")
        raise DataError(f"data.target: {stated!r} is not a column of {source}; its columns are {shown}")
    return stated


def load_table(data_cfg: TabularData, base_dir: Path) -> Table:
    """The table ``data.source`` names, typed (with ``data.columns`` over what is inferred),
    with its target, and at most ``data.max_examples`` rows (a seeded random subset). The
    schema is inferred from every row, before the subset is taken."""
    from genautoml.data.tabular.builtin import builtin_frame
    from genautoml.data.tabular.infer import table_columns

    source, preset, own_target, source_format = data_cfg.source, None, None, "csv"
    if source.startswith("builtin:"):
        frame, preset, own_target = builtin_frame(source.removeprefix("builtin:"))
        place = Place(source)
    else:
        path = _source_path(source, base_dir)
        frame, place = _read_file(path, MIN_ROWS)
        source_format = path.suffix.lower().lstrip(".")
    columns, values = table_columns(frame, place, data_cfg.columns, preset)
    table = Table(columns, values, _target(data_cfg.target, own_target, columns, place.source), source_format)
    if data_cfg.max_examples is not None and len(table) > data_cfg.max_examples:
        keep = np.sort(np.random.default_rng(0).choice(len(table), data_cfg.max_examples, replace=False))
        table = table.subset(keep)
    return table


def _samples_file(path: Path, like: Table) -> Path:
    """``path`` itself, or the samples file in the folder ``path`` (Parquet first when ``like``'s data was Parquet)."""
    if not path.is_dir():
        return path
    names = (SAMPLES_PARQUET, SAMPLES_CSV) if like.source_format == "parquet" else (SAMPLES_CSV, SAMPLES_PARQUET)
    for name in names:
        if (path / name).is_file():
            return path / name
    raise DataError(f"{path}: no {SAMPLES_CSV} or {SAMPLES_PARQUET} in this folder")


def read_samples_table(path: Path, like: Table) -> Table:
    """A samples file (or a folder holding one) written by anyone, as a Table of ``like``'s
    schema: the same columns, each value fitting its column's type and categories."""
    from genautoml.data.tabular.infer import values_of

    file = _samples_file(Path(path), like)
    frame, place = _read_file(file, min_rows=0)
    names = [str(n) for n in frame.columns]
    missing, extra = [n for n in like.names if n not in names], [n for n in names if n not in like.names]
    if missing or extra:
        parts = ([f"missing {', '.join(map(repr, missing))}"] if missing else []) + \
                ([f"unexpected {', '.join(map(repr, extra))}"] if extra else [])
        raise DataError(f"{file}: columns differ from the data's: {'; '.join(parts)}")
    values = {c.name: values_of(c.type, c.categories, c.name, raw_column(frame[c.name]), place) for c in like.columns}
    return like.like(values)


# ---- writing -----------------------------------------------------------------------------


def _number_categories(categories: tuple[str, ...]) -> Optional[np.ndarray]:
    """The categories as numbers when each is written exactly as its number (0, 1, 2.5; not 007)."""
    from genautoml.data.tabular.infer import number_text, parse_numbers

    numbers = parse_numbers(np.array(categories, dtype=object))
    if not np.isfinite(numbers).all() or any(number_text(n) != c for n, c in zip(numbers, categories)):
        return None
    return numbers


def _datetime_texts(seconds: np.ndarray) -> np.ndarray:
    """ISO 8601 text, as short as the values allow: dates, whole seconds, or microseconds."""
    import pandas as pd

    texts = np.full(len(seconds), None, dtype=object)
    present = ~np.isnan(seconds)
    micros = np.round(seconds[present] * _SECOND_US).astype(np.int64)
    fmt = ("%Y-%m-%d" if np.all(micros % _DAY_US == 0) else
           "%Y-%m-%dT%H:%M:%SZ" if np.all(micros % _SECOND_US == 0) else "%Y-%m-%dT%H:%M:%S.%fZ")
    texts[present] = pd.to_datetime(micros, unit="us", utc=True).strftime(fmt)
    return texts


def _file_column(column: Column, values: np.ndarray, parquet: bool) -> "pd.Series":
    """One column as a file holds it: integers as integers (missing stays empty), booleans
    as true/false, categories as their text (numbers in Parquet when they are numbers)."""
    import pandas as pd

    if column.type == "continuous":
        return pd.Series(values, dtype=np.float64)
    if column.type == "integer":
        return pd.Series(np.round(values), dtype=np.float64).astype("Int64")
    if column.type == "datetime":
        if not parquet:
            return pd.Series(_datetime_texts(values), dtype=object)
        micros = pd.Series(np.round(values * _SECOND_US), dtype=np.float64).astype("Int64")
        return pd.Series(pd.to_datetime(micros, unit="us", utc=True))
    missing = values < 0
    if column.type == "boolean":
        flags = pd.Series(values == 1, dtype="boolean").mask(missing)
        return flags if parquet else flags.map({True: "true", False: "false"}).astype(object)
    numbers = _number_categories(column.categories) if parquet else None
    if numbers is not None:
        chosen = pd.Series(numbers[np.where(missing, 0, values)]).mask(missing)
        return chosen.astype("Int64") if np.all(numbers == np.round(numbers)) else chosen
    texts = np.array(column.categories, dtype=object)[np.where(missing, 0, values)]
    return pd.Series(np.where(missing, None, texts), dtype=object)


def _file_frame(table: Table, parquet: bool) -> "pd.DataFrame":
    import pandas as pd

    return pd.DataFrame({c.name: _file_column(c, table.values[c.name], parquet) for c in table.columns})


def write_samples_table(table: Table, out_dir: Path) -> list[Path]:
    """``samples.csv`` (and ``samples.parquet`` when the data came as Parquet) in ``out_dir``,
    the columns by their original names and in their order; each written atomically."""
    out_dir = Path(out_dir)
    text = _file_frame(table, parquet=False).to_csv(index=False, na_rep="", lineterminator="\n")
    paths = [atomic.write_text(out_dir / SAMPLES_CSV, text)]
    if table.source_format == "parquet":
        frame = _file_frame(table, parquet=True)
        paths.append(atomic.write_with(out_dir / SAMPLES_PARQUET, lambda handle: frame.to_parquet(handle, index=False)))
    return paths
