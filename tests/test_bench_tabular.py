"""The tabular benchmark against SDV (bench/tabular_sdv.py, bench/sdv_worker.py): the column
types translated to SDV's metadata, the budget rule, the goals, the result table, and (where
SDV's own virtualenv is there) one synthesizer through the worker and back into a Table."""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest

# bench/ is a folder of scripts beside the package, not installed: import it from the checkout.
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench import tabular_sdv  # noqa: E402
from genautoml.data.tabular.io import read_samples_table, write_samples_table  # noqa: E402
from genautoml.data.tabular.table import Column, Table  # noqa: E402
from genautoml.errors import DataError  # noqa: E402

SDV_PYTHON = ROOT / ".venv-sdv" / "bin" / "python"

DAY = 86_400.0


def every_type(datetimes: np.ndarray) -> Table:
    columns = (
        Column("height", "continuous", low=1.0, high=2.0),
        Column("visits", "integer", low=0.0, high=9.0),
        Column("colour", "categorical", categories=("blue", "red")),
        Column("member", "boolean", categories=("False", "True"), has_missing=True),
        Column("signup", "datetime", low=float(datetimes.min()), high=float(datetimes.max())),
    )
    values = {"height": np.array([1.0, 1.5, 2.0]), "visits": np.array([0.0, 3.0, 9.0]),
              "colour": np.array([0, 1, 0]), "member": np.array([1, -1, 0]), "signup": datetimes}
    return Table(columns, values, target="colour")


def test_metadata_gives_every_column_type_its_sdv_sdtype():
    metadata = tabular_sdv.sdv_metadata(every_type(np.array([0.0, DAY, 2 * DAY])))
    assert metadata == {"columns": {
        "height": {"sdtype": "numerical"},
        "visits": {"sdtype": "numerical", "decimal_places": 0},
        "colour": {"sdtype": "categorical"},
        "member": {"sdtype": "boolean"},
        "signup": {"sdtype": "datetime", "datetime_format": "%Y-%m-%d"},
    }}


@pytest.mark.parametrize("datetimes", [
    np.array([0.0, DAY, 40 * DAY]),  # whole days: written as dates
    np.array([0.0, 61.0, DAY + 3.0]),  # whole seconds
    np.array([0.5, 61.25, DAY]),  # fractions of a second
    np.array([np.nan, 61.0, DAY]),  # a missing value says nothing about the format
])
def test_datetime_format_parses_what_our_writer_writes(tmp_path, datetimes):
    table = every_type(datetimes)
    fmt = tabular_sdv.sdv_metadata(table)["columns"]["signup"]["datetime_format"]
    csv = next(p for p in write_samples_table(table, tmp_path) if p.suffix == ".csv")
    import pandas as pd

    written = pd.read_csv(csv, dtype=str)["signup"].dropna()
    parsed = [datetime.strptime(text, fmt) for text in written]  # raises if SDV could not parse it either
    expected = datetimes[~np.isnan(datetimes)]
    assert [p.replace(tzinfo=None) for p in parsed] == \
           [datetime.fromtimestamp(s, timezone.utc).replace(tzinfo=None) for s in expected]


def test_a_type_sdv_has_no_sdtype_for_is_a_data_error_naming_the_column():
    table = Table((Column("notes", "text", categories=("a",)),), {"notes": np.array([0])})
    with pytest.raises(DataError, match="column 'notes': type 'text'"):
        tabular_sdv.sdv_metadata(table)


def test_budget_is_the_slowest_finished_synthesizer_rounded_up_at_least_the_floor():
    rows = [{"model": "a", "seconds": 12.2, "error": None}, {"model": "b", "seconds": 75.1, "error": None},
            {"model": "c", "error": "timed out after 3600 s", "wall_s": 3600.0}]
    assert tabular_sdv.search_budget(rows, floor=60) == 76
    assert tabular_sdv.search_budget(rows, floor=100) == 100
    assert tabular_sdv.search_budget(rows[2:], floor=60) == 60


def sdv_row(model: str, auc: float, dcr: float = 1.0) -> dict:
    return {"model": model, "error": None, "seconds": 0.26,
            "metrics": {"c2st_auc": auc, "marginal": 0.1, "pairwise": 0.1, "efficacy": 0.9, "dcr_ratio": dcr,
                        "copies": 0.0}}


def ours_row(auc: float, dcr: float) -> dict:
    return {**sdv_row("genautoml: tabddpm (quantile+onehot)", auc, dcr), "seconds": 61.0}


def test_goals_compare_with_the_best_finished_synthesizer():
    sdv = [sdv_row("GaussianCopulaSynthesizer", 0.8), sdv_row("CTGANSynthesizer", 0.65),
           {"model": "TVAESynthesizer", "error": "exit 1: boom", "wall_s": 2.0}]
    met = tabular_sdv.goals(ours_row(0.6, 0.95), sdv)
    assert met == {"best_sdv": "CTGANSynthesizer", "best_sdv_c2st_auc": 0.65, "c2st_auc_below_best_sdv": True,
                   "dcr_ratio_at_least_goal": True}
    missed = tabular_sdv.goals(ours_row(0.7, 0.85), sdv)
    assert missed["c2st_auc_below_best_sdv"] is False and missed["dcr_ratio_at_least_goal"] is False
    assert tabular_sdv.goals(ours_row(0.7, 0.9), sdv[2:])["c2st_auc_below_best_sdv"] is None


def entry(ours_auc: float, equal: bool = True) -> dict:
    sdv = [sdv_row("GaussianCopulaSynthesizer", 0.75),
           {"model": "CTGANSynthesizer", "error": "timed out after 3600 s", "wall_s": 3600.0}]
    ours = ours_row(ours_auc, 0.8)
    return {"table": "iris", "train_examples": 120, "test_examples": 30, "scored_examples": 30, "generated": 30,
            "budget_s": 60, "equal_data": equal, "floor": {"c2st_auc": 0.52, "dcr_ratio": 1.01, "copies": 0.0},
            "sdv": sdv, "ours": ours, "goals": tabular_sdv.goals(ours, sdv)}


def test_markdown_rows_each_synthesizer_ours_and_the_floor_with_the_goal_line():
    result = {"tables": [entry(0.7), entry(0.9, equal=False)], "budget_floor": 60,
              "synthesizers": ["GaussianCopulaSynthesizer", "CTGANSynthesizer"], "config": "configs/tabular.yaml", "sdv": "2.0.0"}
    body = tabular_sdv.markdown(result)
    assert "| model | c2st AUC | marginal | pairwise | efficacy | dcr_ratio | copies | seconds |" in body
    assert "| GaussianCopulaSynthesizer | 0.75 | 0.1 | 0.1 | 0.9 | 1 | 0 | 0.26 |" in body
    assert "| CTGANSynthesizer (failed: timed out after 3600 s) | - | - | - | - | - | - | 3600 |" in body
    assert "| genautoml: tabddpm (quantile+onehot) | 0.7 | 0.1 | 0.1 | 0.9 | 0.8 | 0 | 61 |" in body
    assert "| real training rows (floor at 30 test rows) | 0.52 | - | - | - | 1.01 | 0 | - |" in body
    assert "Our C2ST AUC 0.7 is below the best SDV synthesizer's (GaussianCopulaSynthesizer, 0.75)." in body
    assert "Our C2ST AUC 0.9 is NOT below" in body
    assert body.count("Our dcr_ratio 0.8 is NOT at least 0.9.") == 2
    assert body.count("WARNING: our model was scored on a different number of rows") == 1
    assert "slowest SDV synthesizer's fit+sample time on that table, rounded up, at least 60 s" in body


def test_over_several_seeds_a_summary_counts_the_splits_each_goal_was_met_on():
    entries = [{**entry(auc), "seed": seed} for seed, auc in enumerate((0.7, 0.8, 0.6))]
    result = {"tables": entries, "seeds": [0, 1, 2], "budget_floor": 60, "synthesizers": ["GaussianCopulaSynthesizer"],
              "config": "configs/tabular.yaml", "sdv": "2.0.0"}
    body = tabular_sdv.markdown(result)
    assert "| iris | 0.7 / 0.75, 0.8 / 0.75, 0.6 / 0.75 | 2 of 3 | 0 of 3 | tabddpm, tabddpm, tabddpm |" in body
    assert "### iris, seed 2:" in body
    assert "Over the seeds" not in tabular_sdv.markdown({**result, "tables": entries[:1], "seeds": [0]})


def test_command_line_refuses_unknown_synthesizers_and_tables(capsys):
    with pytest.raises(SystemExit):
        tabular_sdv.parse_args(["--synthesizers", "GaussianCopula", "--sdv-python", sys.executable])
    assert "unknown tables or synthesizers: GaussianCopula" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        tabular_sdv.parse_args(["--tables", "titanic", "--sdv-python", sys.executable])
    args = tabular_sdv.parse_args(["--tables", "iris", "--customers", "--sdv-python", sys.executable])
    assert args.tables == ["iris", "customers"] and args.synthesizers == list(tabular_sdv.SYNTHESIZERS)


def test_a_failing_worker_is_a_row_that_says_why(tmp_path):
    # Our own interpreter is enough: the worker refuses the name before it imports SDV.
    result = tabular_sdv.run_worker(Path(sys.executable), "NoSuchSynthesizer", tmp_path / "t.csv", tmp_path / "m.json",
                                    10, 0, tmp_path / "out.csv", timeout=60)
    assert result["error"].startswith("exit 2:") and "invalid choice" in result["error"]


@pytest.mark.skipif(not SDV_PYTHON.exists(), reason="SDV's virtualenv .venv-sdv is not installed (bench only)")
def test_worker_round_trips_every_column_type_through_sdv(tmp_path):
    import json

    from genautoml.data.tabular.builtin import builtin_table

    train = builtin_table("customers").subset(np.arange(300))  # integers, categories, booleans, datetimes, missing incomes
    csv = next(p for p in write_samples_table(train, tmp_path / "train") if p.suffix == ".csv")
    metadata = tmp_path / "metadata.json"
    metadata.write_text(json.dumps(tabular_sdv.sdv_metadata(train)))
    out = tmp_path / "samples.csv"
    result = tabular_sdv.run_worker(SDV_PYTHON, "GaussianCopulaSynthesizer", csv, metadata, 120, 0, out, timeout=300)
    assert result["error"] is None, result["error"]
    assert result["rows"] == 120 and result["fit_s"] > 0 and result["sample_s"] > 0
    samples = read_samples_table(out, like=train)
    assert len(samples) == 120 and samples.names == train.names
    assert 0 < samples.missing("income").mean() < 0.5  # the missing rate is learnt, not dropped
    for name in ("member", "churned"):
        assert set(np.unique(samples.values[name])) == {0, 1}
    visits = samples.values["visits"]
    assert np.array_equal(visits, np.round(visits))
