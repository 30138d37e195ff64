"""Column types of a raw table, and each column converted into the Table form (table.py).

The types are inferred the way a person reading the file would; a column's entry in
``data.columns`` (type, min/max, categories) wins over every rule here:

- missing: empty cells and io.MISSING_TOKENS (NA, NaN, null, ...), after trimming spaces;
- boolean: every value is true or false, in any case. yes/no stays categorical: samples
  write booleans as true/false, and a yes/no column should come back as yes/no;
- numbers: every value parses as a number: integer when none has a fractional part, else
  continuous. But a whole-number column with at most ``MAX_CODE_VALUES`` distinct values is
  categorical: such numbers are usually codes (iris' species 0/1/2, a sex coded 1/2), and a
  count with that few values is modelled as well by its categories. Leading zeros are lost
  (a zip code 02134 reads as 2134): state ``type: categorical`` to keep the text;
- datetime: text (never plain numbers) that parses with one date format having a year, a
  month and a day; timezone-naive times are UTC;
- categorical: the rest, unless it looks like free text or an ID (more than
  ``FREE_TEXT_MIN_DISTINCT`` distinct values, and more than half of the rows distinct).
A column mostly of numbers (or dates) with a few other words is refused, not guessed: the
words are usually typos or private codes for "missing".
"""

from __future__ import annotations

import warnings
from typing import Optional

import numpy as np
import pandas as pd
from pandas.tseries.api import guess_datetime_format

from genautoml.data.tabular.io import Place, RawColumn, raw_column
from genautoml.data.tabular.table import BOOLEAN_CATEGORIES, CATEGORY_TYPES, NUMBER_TYPES, Column
from genautoml.errors import DataError
from genautoml.schema.tabular import ColumnOverride

#: whole-number columns with at most this many distinct values are categorical
MAX_CODE_VALUES = 10
#: a text column with more distinct values than this, and more than FREE_TEXT_SHARE of its
#: rows distinct, is free text or an ID, not a category
FREE_TEXT_MIN_DISTINCT = 50
FREE_TEXT_SHARE = 0.5
#: a column whose values are at least this share numbers (or dates) but not all is refused
MOSTLY = 0.8
#: spellings a boolean column may use (a stated type: boolean, samples files); written as true/false
TRUE_WORDS = ("true", "t", "yes", "y", "1", "1.0")
FALSE_WORDS = ("false", "f", "no", "n", "0", "0.0")
_EPOCH = pd.Timestamp(0, tz="UTC")


def _names(names) -> str:
    names = [str(n) for n in names]
    return ", ".join(names[:20]) + (f", ... ({len(names)} in all)" if len(names) > 20 else "")


def number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() and abs(value) < 2**63 else repr(float(value))


def parse_numbers(texts: np.ndarray) -> np.ndarray:
    """Text -> float64, NaN where a value is not a number. Python's float() is exact (pandas'
    to_numeric is not always), so a file's numbers come back bit for bit."""
    try:
        return np.asarray(texts, dtype=np.float64)
    except (ValueError, TypeError):
        return np.array([_float_or_nan(text) for text in texts], dtype=np.float64)


def _float_or_nan(text) -> float:
    try:
        return float(text)
    except (ValueError, TypeError):
        return np.nan


def _dates_with(texts: np.ndarray, fmt: str) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stamps = pd.to_datetime(pd.Series(texts, dtype=object), format=fmt, utc=True, errors="coerce")
    return ((stamps - _EPOCH) / pd.Timedelta(seconds=1)).to_numpy(np.float64)


def _date_formats(texts: np.ndarray) -> list[str]:
    """The formats the first values suggest (month first, day first), then ISO 8601 in any variant."""
    formats = []
    for text in texts[:20]:
        for dayfirst in (False, True):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fmt = guess_datetime_format(text, dayfirst=dayfirst)
            has_date = fmt and ("%Y" in fmt or "%y" in fmt) and "%d" in fmt and any(m in fmt for m in ("%m", "%b", "%B"))
            if has_date and fmt not in formats:
                formats.append(fmt)
        if formats:
            break
    return formats + ["ISO8601"] if formats else []


def _best_dates(texts: np.ndarray) -> tuple[Optional[str], np.ndarray]:
    """The date format that parses the most of ``texts`` (present values), and the seconds."""
    best, best_seconds = None, np.full(len(texts), np.nan)
    for fmt in _date_formats(texts):
        seconds = _dates_with(texts, fmt)
        if np.isfinite(seconds).sum() > np.isfinite(best_seconds).sum():
            best, best_seconds = fmt, seconds
        if np.isfinite(seconds).all():
            break
    return best, best_seconds


def _refuse_infinite(name: str, values: np.ndarray, rows: np.ndarray, place: Place) -> None:
    infinite = np.isinf(values)
    if infinite.any():
        raise place.error(name, f"infinite value ({place.row(int(rows[np.argmax(infinite)]))}); numbers must be finite")


def _number_type(name: str, values: np.ndarray, rows: np.ndarray, place: Place) -> str:
    _refuse_infinite(name, values, rows, place)
    whole = bool(np.all(values == np.round(values)))
    if whole and len(np.unique(values)) <= MAX_CODE_VALUES:
        return "categorical"
    return "integer" if whole else "continuous"


def _refuse_mixed(name: str, texts: np.ndarray, parsed: np.ndarray, rows: np.ndarray, what: str, place: Place) -> None:
    ok = np.isfinite(parsed)
    if not ok.all() and ok.mean() >= MOSTLY:
        bad = int(np.argmax(~ok))
        raise place.error(
            name, f"mixes {what} and text ({texts[bad]!r} at {place.row(int(rows[bad]))}); state type: categorical in "
            f"data.columns.{name} if that is intended, or leave such cells empty for missing values")


def _refuse_free_text(name: str, texts: np.ndarray, place: Place) -> None:
    distinct = len(set(texts))
    if distinct > FREE_TEXT_MIN_DISTINCT and distinct > FREE_TEXT_SHARE * len(texts):
        raise place.error(
            name, f"{distinct} distinct values in {len(texts)} rows look like free text or an ID, not categories; drop the "
            f"column (or state type: categorical in data.columns.{name} if it is one)")


def infer_type(name: str, raw: RawColumn, place: Place) -> str:
    """The type of one column by the rules in this module's doc."""
    rows = np.flatnonzero(~raw.missing)
    if raw.kind == "datetime":
        return "datetime"
    if raw.kind == "number":
        return _number_type(name, raw.values[rows], rows, place)
    texts = raw.values[rows]
    if all(t.lower() in ("true", "false") for t in texts):
        return "boolean"
    numbers = parse_numbers(texts)
    if not np.isnan(numbers).any():
        return _number_type(name, numbers, rows, place)
    _refuse_mixed(name, texts, numbers, rows, "numbers", place)
    fmt, seconds = _best_dates(texts)
    if fmt is not None and not np.isnan(seconds).any():
        return "datetime"
    _refuse_mixed(name, texts, seconds, rows, "dates", place)
    _refuse_free_text(name, texts, place)
    return "categorical"


# ---- conversion into the Table form --------------------------------------------------------


def _texts(raw: RawColumn) -> np.ndarray:
    """Every present value as text (numbers without a needless .0), None where missing."""
    if raw.kind == "text":
        return raw.values
    texts = np.full(len(raw.values), None, dtype=object)
    rows = np.flatnonzero(~raw.missing)
    if raw.kind == "number":
        texts[rows] = [number_text(v) for v in raw.values[rows]]
    else:
        texts[rows] = pd.to_datetime(raw.values[rows], unit="s", utc=True).strftime("%Y-%m-%dT%H:%M:%SZ")
    return texts


def _numbers(name: str, raw: RawColumn, whole: bool, place: Place) -> np.ndarray:
    rows = np.flatnonzero(~raw.missing)
    if raw.kind == "datetime":
        raise place.error(name, "holds dates and times, not numbers; state type: datetime in data.columns." + name)
    values = raw.values.copy() if raw.kind == "number" else np.full(len(raw.values), np.nan)
    if raw.kind == "text":
        values[rows] = parse_numbers(raw.values[rows])
        if np.isnan(values[rows]).any():
            bad = int(rows[np.argmax(np.isnan(values[rows]))])
            raise place.error(name, f"value {raw.values[bad]!r} ({place.row(bad)}) is not a number")
    _refuse_infinite(name, values[rows], rows, place)
    fractional = values[rows] != np.round(values[rows])
    if whole and fractional.any():
        bad = int(rows[np.argmax(fractional)])
        raise place.error(name, f"value {number_text(values[bad])} ({place.row(bad)}) is not a whole number; "
                          "state type: continuous")
    return values


def _seconds(name: str, raw: RawColumn, place: Place) -> np.ndarray:
    if raw.kind == "datetime":
        return raw.values
    if raw.kind == "number":
        raise place.error(name, "numbers are not read as dates; write them as dates such as 2020-01-31")
    rows = np.flatnonzero(~raw.missing)
    fmt, parsed = _best_dates(raw.values[rows])
    if np.isnan(parsed).any():
        bad = int(rows[np.argmax(np.isnan(parsed))])
        raise place.error(name, f"value {raw.values[bad]!r} ({place.row(bad)}) is not a date or time"
                          + (f" in the format of the others ({fmt})" if fmt else ""))
    seconds = np.full(len(raw.values), np.nan)
    seconds[rows] = parsed
    return seconds


def sorted_categories(raw: RawColumn) -> tuple[str, ...]:
    """The distinct values as text: numbers first, in numeric order, then text in sorted order."""
    distinct = sorted(set(_texts(raw)) - {None})
    numbers = parse_numbers(np.array(distinct, dtype=object))
    keys = [(0, number, text) if np.isfinite(number) else (1, 0.0, text) for text, number in zip(distinct, numbers)]
    return tuple(key[2] for key in sorted(keys))


def _codes(name: str, raw: RawColumn, categories: tuple[str, ...], place: Place) -> np.ndarray:
    """Category codes, -1 where missing. When every category is a number, values match by
    number too, so a samples file writing 1.0 for the category 1 still reads."""
    texts = _texts(raw)
    rows = np.flatnonzero(~raw.missing)
    lookup = {text: code for code, text in enumerate(categories)}
    category_numbers = parse_numbers(np.array(categories, dtype=object))
    if np.isfinite(category_numbers).all():
        lookup.update({number_text(number): code for code, number in enumerate(category_numbers)})
    distinct, inverse = np.unique(texts[rows].astype(str), return_inverse=True)
    numbers = parse_numbers(distinct.astype(object))
    codes_of_distinct = np.array([lookup.get(text, lookup.get(number_text(number), -2) if np.isfinite(number) else -2)
                                  for text, number in zip(distinct, numbers)], dtype=np.int64)
    if (codes_of_distinct == -2).any():
        bad = int(rows[np.argmax(codes_of_distinct[inverse] == -2)])
        raise place.error(name, f"value {texts[bad]!r} ({place.row(bad)}) is not one of its categories {_names(categories)}")
    codes = np.full(len(texts), -1, dtype=np.int64)
    codes[rows] = codes_of_distinct[inverse]
    return codes


def _boolean_codes(name: str, raw: RawColumn, place: Place) -> np.ndarray:
    texts = _texts(raw)
    codes = np.full(len(texts), -1, dtype=np.int64)
    for row in np.flatnonzero(~raw.missing):
        word = texts[row].lower()
        if word not in TRUE_WORDS + FALSE_WORDS:
            raise place.error(name, f"value {texts[row]!r} ({place.row(int(row))}) is not true or false")
        codes[row] = int(word in TRUE_WORDS)
    return codes


def values_of(column_type: str, categories: tuple[str, ...], name: str, raw: RawColumn, place: Place) -> np.ndarray:
    """One column's values in the Table form, for a type already decided (inferred, stated,
    or a schema's); DataError naming the first value that does not fit."""
    if column_type in ("continuous", "integer"):
        return _numbers(name, raw, column_type == "integer", place)
    if column_type == "datetime":
        return _seconds(name, raw, place)
    if column_type == "boolean":
        return _boolean_codes(name, raw, place)
    return _codes(name, raw, categories, place)


# ---- building the columns --------------------------------------------------------------------


def _resolve_type(name: str, raw: RawColumn, override: ColumnOverride, preset: Optional[str], place: Place) -> str:
    """The stated type, else the preset (a builtin's) or inferred one, adjusted to constraints."""
    if override.type is not None:
        return override.type
    if override.categories is not None:
        return "categorical"
    inferred = preset or infer_type(name, raw, place)
    if (override.min is not None or override.max is not None) and inferred in CATEGORY_TYPES:
        present = raw.values[~raw.missing]
        numbers = present.astype(np.float64) if raw.kind == "number" else parse_numbers(present)
        if not np.isfinite(numbers).all():  # min/max make a number of a column of numeric codes, nothing else
            raise place.error(name, f"'min'/'max' in data.columns.{name} apply to numbers and dates; this column "
                              f"holds {inferred} values")
        return "integer" if np.all(numbers == np.round(numbers)) else "continuous"
    return inferred


def _limit(name: str, column_type: str, value, key: str, place: Place) -> Optional[float]:
    """A stated min/max in the Table form (datetimes: ISO text -> seconds since 1970 UTC)."""
    if value is None:
        return None
    if column_type == "datetime":
        try:
            stamp = pd.Timestamp(value) if isinstance(value, str) else None
        except ValueError:
            stamp = None
        if stamp is None or pd.isna(stamp):
            raise DataError(f"{place.source}: data.columns.{name}.{key}: {value!r} is not a date or time such as '2020-01-31'")
        stamp = stamp.tz_localize("UTC") if stamp.tz is None else stamp.tz_convert("UTC")
        return (stamp - _EPOCH) / pd.Timedelta(seconds=1)
    try:
        return float(value)
    except ValueError:
        raise DataError(f"{place.source}: data.columns.{name}.{key}: {value!r} is not a number") from None


def _show(column_type: str, value: float) -> str:
    return pd.Timestamp(value, unit="s", tz="UTC").isoformat() if column_type == "datetime" else number_text(value)


def _bounds(name: str, column_type: str, values: np.ndarray, override: ColumnOverride, place: Place):
    """(low, high): the stated constraints, checked against the data, else the data's range."""
    low, high = _limit(name, column_type, override.min, "min", place), _limit(name, column_type, override.max, "max", place)
    if low is not None and high is not None and low > high:
        raise DataError(f"{place.source}: data.columns.{name}: 'min' {override.min} is above 'max' {override.max}")
    rows = np.flatnonzero(~np.isnan(values))
    for limit, key, outside in ((low, "min", np.less), (high, "max", np.greater)):
        if limit is not None and outside(values[rows], limit).any():
            bad = int(rows[np.argmax(outside(values[rows], limit))])
            raise place.error(name, f"value {_show(column_type, values[bad])} ({place.row(bad)}) is outside "
                              f"data.columns.{name}.{key} {_show(column_type, limit)}")
    present = values[rows]
    return (float(present.min()) if low is None else low), (float(present.max()) if high is None else high)


def build_column(name: str, raw: RawColumn, override: Optional[ColumnOverride], preset: Optional[str],
                 place: Place) -> tuple[Column, np.ndarray]:
    """One column's schema and values, from its raw values, a stated override and a preset type."""
    override = override or ColumnOverride()
    missing = raw.missing
    if missing.all():
        raise place.error(name, "every value is missing; drop the column")
    column_type = _resolve_type(name, raw, override, preset, place)
    categories: tuple[str, ...] = ()
    if column_type == "boolean":
        categories = BOOLEAN_CATEGORIES
    elif column_type == "categorical":
        categories = tuple(override.categories) if override.categories else sorted_categories(raw)
    values = values_of(column_type, categories, name, raw, place)
    low = high = None
    if column_type in NUMBER_TYPES:
        low, high = _bounds(name, column_type, values, override, place)
    return Column(name, column_type, categories, low, high, bool(missing.any())), values


def table_columns(frame: pd.DataFrame, place: Place, overrides: dict[str, ColumnOverride],
                  preset: Optional[dict[str, str]] = None) -> tuple[tuple[Column, ...], dict[str, np.ndarray]]:
    """Every column of ``frame``: its schema and its values in the Table form.

    ``overrides`` is ``data.columns``; ``preset`` gives types known beforehand (a builtin's),
    which overrides still win over.
    """
    names = [str(n) for n in frame.columns]
    unknown = [n for n in overrides if n not in names]
    if unknown:
        raise DataError(f"data.columns.{unknown[0]}: no column {unknown[0]!r} in {place.source}; its columns are {_names(names)}")
    preset = preset or {}
    columns, values = [], {}
    for name in names:
        column, values[name] = build_column(name, raw_column(frame[name]), overrides.get(name), preset.get(name), place)
        columns.append(column)
    return tuple(columns), values
