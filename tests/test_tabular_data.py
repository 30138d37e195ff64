"""Tabular data: type inference and overrides, constraints, every refused table as a one-line
DataError, the builtin tables, and samples files that read back into the same values."""

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from genautoml.data.tabular.builtin import BUILTIN_TABLES, builtin_table
from genautoml.data.tabular.infer import MAX_CODE_VALUES
from genautoml.data.tabular.io import load_table, read_samples_table, write_samples_table
from genautoml.data.tabular.table import BOOLEAN_CATEGORIES, Column, Table
from genautoml.errors import DataError
from genautoml.modalities import MODALITIES
from genautoml.schema.tabular import TabularData

DAY = 86_400.0


def load(tmp_path: Path, content, name: str = "t.csv", **cfg) -> Table:
    path = tmp_path / name
    if isinstance(content, pd.DataFrame):
        content.to_parquet(path, index=False)
    else:
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return load_table(TabularData(modality="tabular", source=name, **cfg), tmp_path)


def refused(tmp_path: Path, content, name: str = "t.csv", **cfg) -> str:
    """The DataError message of loading ``content``; it must be one line naming the file."""
    with pytest.raises(DataError) as caught:
        load(tmp_path, content, name, **cfg)
    message = caught.value.message
    assert "\n" not in message
    assert name in message, message
    return message


def rows(header: str, lines) -> str:
    return "\n".join([header, *lines]) + "\n"


def same_values(a: Table, b: Table) -> None:
    assert a.names == b.names
    for name in a.names:
        np.testing.assert_array_equal(a.values[name], b.values[name], err_msg=name)


# ---- inference -------------------------------------------------------------------------------


def test_each_type_is_inferred(tmp_path):
    lines = [f"{i},{i * 0.5 + 0.25},{'TRUE' if i % 2 else 'false'},2021-03-{i % 28 + 1:02d},"
             f"{['red', 'green', 'blue'][i % 3]},{[1, 2, 10][i % 3]},{'yes' if i % 3 else 'no'}" for i in range(40)]
    table = load(tmp_path, rows("count,ratio,flag,day,colour,code,answer", lines))
    types = {c.name: c.type for c in table.columns}
    assert types == {"count": "integer", "ratio": "continuous", "flag": "boolean", "day": "datetime",
                     "colour": "categorical", "code": "categorical", "answer": "categorical"}
    assert table.column("flag").categories == BOOLEAN_CATEGORIES
    assert table.values["flag"][:2].tolist() == [0, 1]
    assert table.column("colour").categories == ("blue", "green", "red")
    assert table.column("code").categories == ("1", "2", "10")  # numbers sorted as numbers
    assert table.column("answer").categories == ("no", "yes")
    assert table.values["day"][0] == pd.Timestamp("2021-03-01", tz="UTC").timestamp()
    assert (table.column("count").low, table.column("count").high) == (0.0, 39.0)
    assert table.source_format == "csv" and table.target is None


def test_ten_distinct_whole_numbers_are_categories_and_eleven_are_integers(tmp_path):
    lines = [f"{i % MAX_CODE_VALUES},{i % (MAX_CODE_VALUES + 1)},{i % MAX_CODE_VALUES + 0.5}" for i in range(44)]
    table = load(tmp_path, rows("ten,eleven,halves", lines))
    assert table.column("ten").type == "categorical" and len(table.column("ten").categories) == 10
    assert table.column("eleven").type == "integer"
    assert table.column("halves").type == "continuous"  # few values, but not whole numbers
    stated = load(tmp_path, rows("ten,eleven,halves", lines), columns={"ten": {"type": "integer"}})
    assert stated.column("ten").type == "integer" and stated.values["ten"][:3].tolist() == [0.0, 1.0, 2.0]


def test_overrides_win_over_inference(tmp_path):
    lines = [f"{i},{i}.5,2020-01-{i % 28 + 1:02d}" for i in range(30)]
    table = load(tmp_path, rows("n,x,d", lines), columns={"n": {"type": "categorical"}, "x": {"type": "continuous"},
                                                           "d": {"type": "categorical"}})
    assert table.column("n").type == "categorical" and table.column("n").categories[:3] == ("0", "1", "2")
    assert table.column("d").type == "categorical" and table.column("d").categories[0] == "2020-01-01"
    with pytest.raises(DataError, match=r"column 'x': value 0\.5 \(line 2\) is not a whole number"):
        load(tmp_path, rows("n,x,d", lines), columns={"x": {"type": "integer"}})


def test_dates_with_time_zones_are_utc_seconds(tmp_path):
    table = load(tmp_path, rows("when", ["2020-01-01T02:00:00+02:00", "2020-01-02T00:00:00+00:00"]))
    assert table.column("when").type == "datetime"
    assert table.values["when"].tolist() == [pd.Timestamp("2020-01-01", tz="UTC").timestamp(),
                                             pd.Timestamp("2020-01-02", tz="UTC").timestamp()]
    naive = load(tmp_path, rows("when", ["2020-01-01 06:00", "2020-01-02 07:30"]))
    assert naive.values["when"][0] == pd.Timestamp("2020-01-01T06:00", tz="UTC").timestamp()


def test_plain_numbers_are_never_dates(tmp_path):
    table = load(tmp_path, rows("year", [str(2000 + i) for i in range(20)]))
    assert table.column("year").type == "integer"


def test_missing_values_are_kept_in_every_type(tmp_path):
    lines = [f"{'' if i % 4 == 0 else i},{'NA' if i % 5 == 0 else i / 3},{'null' if i % 3 == 0 else ['a', 'b'][i % 2]},"
             f"{'' if i % 6 == 0 else 'true' if i % 2 else 'false'},{'NaN' if i % 7 == 0 else f'2022-05-{i % 28 + 1:02d}'}"
             for i in range(40)]
    table = load(tmp_path, rows("i,x,c,b,d", lines))
    expected = {"i": 10, "x": 8, "c": 14, "b": 7, "d": 6}
    assert {n: int(table.missing(n).sum()) for n in table.names} == expected
    assert all(c.has_missing for c in table.columns)
    assert [c.type for c in table.columns] == ["integer", "continuous", "categorical", "boolean", "datetime"]
    back = read_samples_table(write_samples_table(table, tmp_path / "out")[0], table)
    assert {n: int(back.missing(n).sum()) for n in back.names} == expected
    same_values(table, back)


# ---- constraints ----------------------------------------------------------------------------


def test_stated_bounds_become_the_columns_range(tmp_path):
    lines = [f"{20 + i},2021-06-{i + 1:02d}" for i in range(20)]
    table = load(tmp_path, rows("age,seen", lines), columns={"age": {"min": 18, "max": 99},
                                                               "seen": {"min": "2021-01-01", "max": "2021-12-31"}})
    assert (table.column("age").low, table.column("age").high) == (18.0, 99.0)
    assert table.column("seen").low == pd.Timestamp("2021-01-01", tz="UTC").timestamp()
    assert table.column("seen").high == pd.Timestamp("2021-12-31", tz="UTC").timestamp()
    # min/max on a column of few whole numbers (inferred categorical) make it a number
    codes = load(tmp_path, rows("stars", [str(i % 5 + 1) for i in range(20)]), columns={"stars": {"min": 0, "max": 5}})
    assert codes.column("stars").type == "integer" and codes.column("stars").high == 5.0


def test_values_outside_stated_bounds_or_categories_are_refused(tmp_path):
    text = rows("age,size", [f"{30 + i},{['S', 'M', 'L'][i % 3]}" for i in range(12)])
    message = refused(tmp_path, text, columns={"age": {"max": 40}})
    assert "column 'age'" in message and "41" in message and "line 13" in message and "max" in message
    message = refused(tmp_path, text, columns={"size": {"categories": ["S", "M"]}})
    assert "column 'size'" in message and "'L'" in message
    stated = load(tmp_path, text, columns={"size": {"categories": ["S", "M", "L", "XL"]}})
    assert stated.column("size").categories == ("S", "M", "L", "XL")  # the stated order, unseen values too
    assert stated.values["size"][:3].tolist() == [0, 1, 2]
    message = refused(tmp_path, text, columns={"age": {"min": "2020-01-01"}})
    assert "data.columns.age.min" in message


# ---- refused tables --------------------------------------------------------------------------


def test_unusable_files_are_refused_with_one_line_naming_them(tmp_path):
    with pytest.raises(DataError, match=r"missing\.csv does not exist"):
        load_table(TabularData(modality="tabular", source="missing.csv"), tmp_path)
    assert "unknown file type '.xlsx'" in refused(tmp_path, "a\n1\n2\n", name="t.xlsx")
    assert "empty file" in refused(tmp_path, b"")
    assert "empty file" in refused(tmp_path, "\n\n")
    assert "no rows" in refused(tmp_path, "a,b\n")
    assert "at least 2 rows" in refused(tmp_path, "a,b\n1,2\n")
    message = refused(tmp_path, b"name,n\nab,1\ncaf\xe9,2\n")
    assert "not UTF-8" in message and "offset 15" in message and "line 3" in message
    assert "'a' appears 2 times" in refused(tmp_path, "a,b,a\n1,2,3\n4,5,6\n")
    assert "separated by ';'" in refused(tmp_path, "a;b\n1;2\n3;4\n")
    assert "not a readable Parquet" in refused(tmp_path, b"PAR1 this is not parquet", name="t.parquet")
    assert "NUL bytes" in refused(tmp_path, b"a,b\n\x00\x01,2\n")
    assert "Expected 2 fields in line 3" in refused(tmp_path, "a,b\n1,2\n3,4,5\n")
    twice = pa.table([pa.array([1, 2]), pa.array([3, 4])], names=["a", "a"])
    pq.write_table(twice, tmp_path / "twice.parquet")
    assert "'a' appears 2 times" in refused(tmp_path, (tmp_path / "twice.parquet").read_bytes(), name="twice.parquet")


def test_unusable_columns_are_refused_naming_the_column(tmp_path):
    message = refused(tmp_path, rows("a,b", [f"{i}," for i in range(5)]))
    assert "column 'b'" in message and "every value is missing" in message
    numbers = [str(i * 1.5) for i in range(40)] + ["unknown", "n.a."]
    message = refused(tmp_path, rows("score", numbers))
    assert "column 'score'" in message and "'unknown'" in message and "line 42" in message
    assert "type: categorical" in message
    stated = load(tmp_path, rows("score", numbers), columns={"score": {"type": "categorical"}})
    assert stated.column("score").type == "categorical" and stated.column("score").categories[-2:] == ("n.a.", "unknown")
    message = refused(tmp_path, rows("id,v", [f"user-{i:04d},{i % 3}" for i in range(120)]))
    assert "column 'id'" in message and "free text or an ID" in message and "drop" in message
    message = refused(tmp_path, rows("d", [f"2020-01-{i % 28 + 1:02d}" for i in range(30)] + ["soon"]))
    assert "column 'd'" in message and "'soon'" in message
    message = refused(tmp_path, rows("a", ["1", "2"]), columns={"nope": {"type": "integer"}})
    assert "data.columns.nope" in message and "columns are a" in message
    message = refused(tmp_path, rows("a", ["1", "2"]), target="label")
    assert "data.target" in message and "'label'" in message


def test_a_parquet_file_keeps_its_types(tmp_path):
    frame = pd.DataFrame({"n": pd.array(list(range(20)) + [None] * 10, dtype="Int64"), "x": np.linspace(0, 1, 30),
                          "b": [True, False, None] * 10, "t": pd.date_range("2020-01-01", periods=30, freq="h", tz="UTC"),
                          "c": ["u", "v", None] * 10})
    table = load(tmp_path, frame, name="t.parquet")
    assert [c.type for c in table.columns] == ["integer", "continuous", "boolean", "datetime", "categorical"]
    assert table.source_format == "parquet" and table.column("n").has_missing and table.column("b").has_missing
    assert table.values["t"][1] - table.values["t"][0] == 3600.0


# ---- builtins --------------------------------------------------------------------------------


@pytest.mark.parametrize("name, rows_, columns, target, target_type", [
    ("breast_cancer", 569, 31, "diagnosis", "categorical"), ("wine", 178, 14, "class", "categorical"),
    ("diabetes", 442, 11, "progression", "continuous"), ("iris", 150, 5, "species", "categorical"),
    ("customers", 2000, 8, "churned", "boolean"),
])
def test_builtin_tables(name, rows_, columns, target, target_type, tmp_path):
    table = builtin_table(name)
    assert (len(table), len(table.columns), table.target) == (rows_, columns, target)
    assert table.column(target).type == target_type
    others = [c.type for c in table.columns if c.name != target]
    if name in ("breast_cancer", "wine", "iris"):
        assert set(others) == {"continuous"}
    for column in table.columns:
        if column.is_number:
            present = table.values[column.name][~table.missing(column.name)]
            assert column.low == present.min() and column.high == present.max()
    back = read_samples_table(write_samples_table(table, tmp_path)[0], table)
    same_values(table, back)
    assert load_table(TabularData(modality="tabular", source=f"builtin:{name}"), tmp_path).fingerprint() == table.fingerprint()


def test_builtin_names_match_the_modality_list():
    assert BUILTIN_TABLES == MODALITIES["tabular"].builtins == ("breast_cancer", "wine", "diabetes", "iris", "customers")
    with pytest.raises(DataError, match="builtin:nope.*builtin:iris"):
        load_table(TabularData(modality="tabular", source="builtin:nope"), Path("."))


def test_diabetes_and_iris_types():
    diabetes = builtin_table("diabetes")
    assert diabetes.column("age").type == "integer" and diabetes.column("sex").categories == ("1", "2")
    assert {diabetes.column(f"s{i}").type for i in range(1, 7)} == {"continuous"}
    assert builtin_table("iris").column("species").categories == ("setosa", "versicolor", "virginica")
    assert builtin_table("breast_cancer").column("diagnosis").categories == ("benign", "malignant")


def test_customers_mixes_every_type_with_dependencies_and_is_seeded():
    table = builtin_table("customers")
    assert {c.name: c.type for c in table.columns} == {
        "age": "integer", "region": "categorical", "member": "boolean", "signup": "datetime", "visits": "integer",
        "income": "continuous", "spend": "continuous", "churned": "boolean"}
    v = table.values
    assert 18 <= v["age"].min() and v["age"].max() <= 90 and len(table.column("region").categories) == 5
    assert len(set(np.bincount(v["region"]).tolist())) == 5  # unequal frequencies
    assert 0.05 < np.isnan(v["income"]).mean() < 0.11 and table.column("income").has_missing
    assert pd.Timestamp("2020-01-01", tz="UTC").timestamp() <= v["signup"].min()
    assert v["signup"].max() < pd.Timestamp("2025-01-01", tz="UTC").timestamp()
    member = v["member"] == 1
    assert v["visits"][member].mean() > 1.5 * v["visits"][~member].mean()
    assert v["age"][member].mean() > v["age"][~member].mean()
    assert np.corrcoef(v["spend"], v["visits"])[0, 1] > 0.5
    assert v["churned"][member].mean() < v["churned"][~member].mean()
    assert builtin_table("customers").fingerprint() == table.fingerprint()


def test_max_examples_is_a_seeded_subset_with_the_whole_tables_schema(tmp_path):
    cfg = TabularData(modality="tabular", source="builtin:customers", max_examples=300, target="region")
    first, second = load_table(cfg, tmp_path), load_table(cfg, tmp_path)
    assert len(first) == 300 and first.fingerprint() == second.fingerprint() and first.target == "region"
    whole = builtin_table("customers")
    assert first.columns == whole.columns
    assert set(first.values["spend"].tolist()) <= set(whole.values["spend"].tolist())


# ---- samples files ---------------------------------------------------------------------------


def test_samples_csv_text(tmp_path):
    columns = (Column("n", "integer", low=0, high=9, has_missing=True), Column("b", "boolean", BOOLEAN_CATEGORIES),
               Column("c", "categorical", ("0", "1", "2")), Column("t", "datetime", low=0, high=DAY),
               Column("s", "datetime", low=0, high=DAY), Column("x", "continuous", low=0, high=1))
    table = Table(columns, {"n": np.array([3.0, np.nan]), "b": np.array([1, -1]), "c": np.array([2, 0]),
                            "t": np.array([0.0, DAY]), "s": np.array([1.5, np.nan]), "x": np.array([0.1 + 0.2, 1e-9])})
    text = write_samples_table(table, tmp_path)[0].read_text()
    assert text.splitlines() == ["n,b,c,t,s,x", "3,true,2,1970-01-01,1970-01-01T00:00:01.500000Z,0.30000000000000004",
                                 ",,0,1970-01-02,,1e-09"]
    same_values(table, read_samples_table(tmp_path, table))


def test_parquet_round_trip_with_missing_values(tmp_path):
    table = builtin_table("customers").subset(np.arange(50))
    values = {name: array.copy() for name, array in table.values.items()}
    for name, column in zip(table.names, table.columns):
        values[name][::7] = np.nan if column.is_number else -1
    table = Table(tuple(Column(**{**c.to_json(), "categories": c.categories, "has_missing": True}) for c in table.columns),
                  values, "churned", "parquet")
    paths = write_samples_table(table, tmp_path)
    assert [p.name for p in paths] == ["samples.csv", "samples.parquet"]
    stored = pd.read_parquet(paths[1])
    assert isinstance(stored["signup"].dtype, pd.DatetimeTZDtype) and str(stored["age"].dtype) == "Int64"
    assert str(stored["member"].dtype) == "boolean"
    back = read_samples_table(tmp_path, table)  # the folder: Parquet first, as the data was Parquet
    same_values(table, back)
    same_values(table, read_samples_table(paths[0], table))


def test_samples_with_other_columns_or_values_are_refused(tmp_path):
    table = builtin_table("iris").subset(np.arange(5))
    path = write_samples_table(table, tmp_path)[0]
    frame = pd.read_csv(path)
    frame.drop(columns=["species"]).assign(extra=1).to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(DataError, match=r"bad\.csv.*missing 'species'.*unexpected 'extra'"):
        read_samples_table(tmp_path / "bad.csv", table)
    frame.assign(species=["setosa"] * 4 + ["rose"]).to_csv(tmp_path / "odd.csv", index=False)
    with pytest.raises(DataError, match=r"odd\.csv: column 'species'.*'rose' \(line 6\)"):
        read_samples_table(tmp_path / "odd.csv", table)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="empty: no samples.csv or samples.parquet"):
        read_samples_table(tmp_path / "empty", table)


def test_samples_written_by_others_read_by_number_and_word(tmp_path):
    table = Table((Column("c", "categorical", ("0", "1")), Column("b", "boolean", BOOLEAN_CATEGORIES)),
                  {"c": np.array([0, 1]), "b": np.array([0, 1])})
    (tmp_path / "theirs.csv").write_text("c,b\n0.0,No\n1.0,YES\n")
    assert read_samples_table(tmp_path / "theirs.csv", table).values["c"].tolist() == [0, 1]
    assert read_samples_table(tmp_path / "theirs.csv", table).values["b"].tolist() == [0, 1]
