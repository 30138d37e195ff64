"""Builtin tables: four of scikit-learn's bundled data sets (no download at run time) and
``customers``, a generated table that mixes every column type with real dependencies.

Each builtin names its target (the column the efficacy figure predicts) and its column
types, so nothing about a builtin is left to inference.
pandas and scikit-learn are imported inside the functions: importing this module stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

import numpy as np

from genautoml.data.tabular.table import Table
from genautoml.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

BUILTIN_TABLES = ("breast_cancer", "wine", "diabetes", "iris", "customers")

CUSTOMERS_ROWS = 2000
#: fixed, so ``customers`` is the same table on every machine and in every call
CUSTOMERS_SEED = 20_240_617
REGIONS = ("north", "south", "east", "west", "islands")
REGION_SHARES = (0.34, 0.26, 0.20, 0.13, 0.07)
#: each region's effect on log income
REGION_INCOME = (0.10, -0.15, 0.05, 0.20, -0.30)
INCOME_MISSING = 0.08
SIGNUP_FIRST, SIGNUP_LAST = "2020-01-01", "2024-12-31T23:59:59"


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _sklearn_frame(bunch, target: str, target_texts: bool) -> "pd.DataFrame":
    """A scikit-learn Bunch as a frame; the target as its class names, or as numbers."""
    import pandas as pd

    frame = pd.DataFrame(np.asarray(bunch.data, dtype=np.float64), columns=[str(n) for n in bunch.feature_names])
    frame[target] = np.asarray(bunch.target_names)[bunch.target] if target_texts else bunch.target.astype(np.float64)
    return frame


def _classification(name: str) -> tuple["pd.DataFrame", dict[str, str], str]:
    from sklearn import datasets

    load, target = {"breast_cancer": (datasets.load_breast_cancer, "diagnosis"), "wine": (datasets.load_wine, "class"),
                    "iris": (datasets.load_iris, "species")}[name]
    frame = _sklearn_frame(load(), target, target_texts=True)
    # Every measurement continuous (wine's magnesium and proline are whole numbers, but
    # measurements all the same), the class by its name.
    types = {column: "continuous" for column in frame.columns}
    types[target] = "categorical"
    return frame, types, target


def _diabetes() -> tuple["pd.DataFrame", dict[str, str], str]:
    from sklearn.datasets import load_diabetes

    # scaled=False: the original units (age in years, sex coded 1/2, bmi, blood pressure, ...).
    frame = _sklearn_frame(load_diabetes(scaled=False), "progression", target_texts=False)
    types = {column: "continuous" for column in frame.columns}
    types.update(age="integer", sex="categorical")
    return frame, types, "progression"


def _customers_people(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """Who the customers are: age, region (unequal shares), membership (likelier with age)
    and when they signed up (members earlier)."""
    age = np.clip(np.round(rng.normal(44.0, 15.0, n)), 18, 90)
    region = rng.choice(len(REGIONS), size=n, p=REGION_SHARES)
    member = rng.random(n) < _sigmoid((age - 45.0) / 12.0)
    first = np.datetime64(SIGNUP_FIRST, "s").astype(np.int64)
    span = np.datetime64(SIGNUP_LAST, "s").astype(np.int64) - first
    # members skew towards early sign-ups (u**1.6 leans to 0), others towards late ones
    when = rng.random(n) ** np.where(member, 1.6, 0.7)
    signup = first + np.floor(when * span)
    return {"age": age, "region": region, "member": member, "signup": signup}


def _customers_money(rng: np.random.Generator, people: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """What they do: visits (members come more often), income (log-normal, by region and
    age, some missing), spend (by visits and income) and whether they left (churned)."""
    n, age, member = len(people["age"]), people["age"], people["member"]
    visits = rng.poisson(np.where(member, 9.0, 3.0) * rng.gamma(4.0, 0.25, n)).astype(np.float64)
    years = age - 18.0
    log_income = 10.4 + np.asarray(REGION_INCOME)[people["region"]] + 0.03 * years - 0.0004 * years**2
    income = np.round(np.exp(log_income + rng.normal(0.0, 0.45, n)), 2)
    spend = np.round(visits * (15.0 + 0.0006 * income) * rng.lognormal(0.0, 0.3, n), 2)
    churned = rng.random(n) < _sigmoid(0.8 - 0.25 * visits - 1.2 * member + 0.01 * (age - 45.0))
    # hidden after spend is drawn: a missing income is unrecorded, not absent
    income[rng.random(n) < INCOME_MISSING] = np.nan
    return {"visits": visits, "income": income, "spend": spend, "churned": churned}


def _customers() -> tuple["pd.DataFrame", dict[str, str], str]:
    import pandas as pd

    rng = np.random.default_rng(CUSTOMERS_SEED)
    people = _customers_people(rng, CUSTOMERS_ROWS)
    money = _customers_money(rng, people)
    frame = pd.DataFrame({
        "age": people["age"],
        "region": np.asarray(REGIONS, dtype=object)[people["region"]],
        "member": people["member"],
        "signup": pd.to_datetime(people["signup"], unit="s", utc=True),
        **money,
    })
    types = {"age": "integer", "region": "categorical", "member": "boolean", "signup": "datetime", "visits": "integer",
             "income": "continuous", "spend": "continuous", "churned": "boolean"}
    return frame, types, "churned"


def builtin_frame(name: str) -> tuple["pd.DataFrame", dict[str, str], Optional[str]]:
    """A builtin table's raw frame, its column types and its target column."""
    if name in ("breast_cancer", "wine", "iris"):
        return _classification(name)
    if name == "diabetes":
        return _diabetes()
    if name == "customers":
        return _customers()
    raise DataError(f"data.source: unknown builtin table 'builtin:{name}'; expected one of "
                    + ", ".join(f"builtin:{n}" for n in BUILTIN_TABLES))


def builtin_table(name: str) -> Table:
    """A builtin table (``BUILTIN_TABLES``), typed, with its target."""
    from genautoml.data.tabular.infer import table_columns
    from genautoml.data.tabular.io import Place

    frame, types, target = builtin_frame(name)
    columns, values = table_columns(frame, Place(f"builtin:{name}"), {}, types)
    return Table(columns, values, target, "csv")
