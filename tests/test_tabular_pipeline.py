"""The tabular pipeline end to end through the CLI: search, CSV and Parquet samples with the
table's own names and types, sample, evaluate, and the figures beside their floors."""

from __future__ import annotations

import csv
import json

import numpy as np
import pandas as pd
import pytest

from tests.helpers import CONFIGS, invoke, write_config

SMOKE = CONFIGS / "smoke-tabular.yaml"
CUSTOMERS = ["age", "region", "member", "signup", "visits", "income", "spend", "churned"]


@pytest.fixture(scope="module")
def finished_run(smoke_runs):
    run_dir, _ = smoke_runs("tabular")
    return run_dir


def read_rows(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_search_writes_samples_as_csv_with_the_tables_names_and_types(finished_run):
    rows = read_rows(finished_run / "samples" / "samples.csv")
    assert len(rows) == 50 and list(rows[0]) == CUSTOMERS
    for row in rows:
        assert row["age"].isdigit() and 18 <= int(row["age"]) <= 90  # an integer inside the data's range
        assert row["member"] in ("true", "false") and row["churned"] in ("true", "false")
        assert row["region"] and not row["region"].replace(".", "").isdigit()
        pd.Timestamp(row["signup"])  # ISO 8601
        assert row["income"] == "" or float(row["income"]) > 0  # missing stays an empty cell
    assert not (finished_run / "samples" / "samples.parquet").exists()  # the source was no Parquet file


def test_test_figures_stand_beside_their_real_data_floor(finished_run):
    metrics = json.loads((finished_run / "metrics.json").read_text())
    assert metrics["metric"] == "c2st_auc"
    for name in ("c2st_auc", "c2st", "marginal", "pairwise", "efficacy", "dcr_ratio", "copies"):
        assert name in metrics["metrics"], name
        assert np.isfinite(metrics["metrics"][name]), name
    for name in ("c2st_auc", "marginal", "pairwise", "efficacy", "dcr_ratio"):
        assert name in metrics["floor"], name
    assert 0.3 < metrics["floor"]["c2st_auc"] < 0.7  # real rows cannot be told from real rows
    # held-out rows are unseen real rows: their ratio to all unseen real rows is about 1
    assert 0.7 < metrics["floor"]["dcr_ratio"] < 1.4


def test_sample_reproduces_the_rate_of_missing_values(finished_run, tmp_path):
    result = invoke("sample", finished_run, "-n", 2000, "--seed", 3, "--out", tmp_path / "many")
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(tmp_path / "many" / "samples.csv")
    assert len(frame) == 2000 and list(frame.columns) == CUSTOMERS
    data = json.loads((finished_run / "data.json").read_text())
    rate = data["schema"]["income"]["missing"]
    assert rate > 0.05
    assert abs(frame["income"].isna().mean() - rate) < 0.04
    assert frame["age"].dtype.kind == "i"


def test_evaluate_scores_a_csv_written_by_anyone(finished_run, tmp_path):
    rows = read_rows(finished_run / "samples" / "samples.csv")
    mine = tmp_path / "mine.csv"
    pd.DataFrame(rows).to_csv(mine, index=False)
    figures = []
    for samples in (finished_run / "samples", mine):  # the run's own file, and the same rows rewritten by pandas
        result = invoke("evaluate", finished_run, "--samples", samples, "--json")
        assert result.exit_code == 0, result.output
        figures.append(json.loads(result.stdout)["metrics"])
    assert figures[0]["c2st_auc"] == figures[1]["c2st_auc"] and figures[0]["marginal"] == figures[1]["marginal"]
    assert 0 < figures[0]["c2st_auc"] < 1 and 0 < figures[0]["marginal"] < 1


def test_evaluate_refuses_samples_missing_a_column(finished_run, tmp_path):
    frame = pd.read_csv(finished_run / "samples" / "samples.csv").drop(columns=["spend"])
    frame.to_csv(tmp_path / "short.csv", index=False)
    result = invoke("evaluate", finished_run, "--samples", tmp_path / "short.csv")
    assert result.exit_code == 2
    assert "spend" in result.output and "Traceback" not in result.output


def test_a_parquet_source_gets_parquet_samples_too(tmp_path):
    rng = np.random.default_rng(0)
    n = 120
    size = rng.normal(50, 10, n).round(1)
    frame = pd.DataFrame({"size": size, "kind": np.where(size > 50, "big", "small"),
                          "count": rng.poisson(3, n).astype("int64")})
    frame.to_parquet(tmp_path / "t.parquet")
    config = write_config(tmp_path, "pq", {
        "name": "pq", "seed": 0, "device": "cpu",
        "data": {"modality": "tabular", "source": str(tmp_path / "t.parquet"), "target": "kind"},
        "models": [{"family": "copula"}],
        "search": {"cv_folds": 2, "max_trials": 1, "time_budget": None},
        "train": {"samples": 40},
    })
    result = invoke("search", config, "--run-dir", tmp_path / "run")
    assert result.exit_code == 0, result.output
    samples = pd.read_parquet(tmp_path / "run" / "samples" / "samples.parquet")
    assert list(samples.columns) == ["size", "kind", "count"] and len(samples) == 40
    assert samples["count"].dtype.kind == "i" and set(samples["kind"]) <= {"big", "small"}
    # the copula keeps the dependence: "big" rows are the larger ones
    assert samples.loc[samples["kind"] == "big", "size"].mean() > samples.loc[samples["kind"] == "small", "size"].mean()


def test_data_shows_one_row_per_column_with_readable_ranges(tmp_path):
    result = invoke("data", SMOKE, "--run-dir", tmp_path / "run")
    assert result.exit_code == 0, result.output
    lines = {line.split("│")[1].strip(): line for line in result.output.splitlines() if line.count("│") == 5}
    assert set(CUSTOMERS) <= set(lines)
    assert "integer" in lines["age"] and "18 to 90" in lines["age"]
    assert "datetime" in lines["signup"] and "2020-" in lines["signup"] and "Z to 2024-" in lines["signup"]
    assert "5 categories" in lines["region"] and "%" in lines["income"] and "0.0%" not in lines["income"]
