"""Tabular: genautoml's search against SDV's synthesizers at their defaults, on equal data.

    python -m bench.tabular_sdv [--tables wine,iris] [--customers] [--synthesizers CTGANSynthesizer,...]
        [--budget-floor 60] [--sdv-python .venv-sdv/bin/python] [--set data.max_examples=300]

For each builtin table: the run context of configs/tabular.yaml on that table fixes the split
(the same seed and split our search gets). Its TRAINING rows (never the test split) go to
each SDV synthesizer, fitted at SDV's defaults (no tuning: that is the comparison) in SDV's
own virtualenv (bench/sdv_worker.py, a subprocess: SDV would downgrade our pandas), and
sampled as many rows as our final model is scored with. Every contender is scored on the
same capped test split with the modality's metrics, exactly as the train stage scores our
model, beside the real-data floor. Then our whole search runs with
``search.time_budget`` = the slowest SDV synthesizer's fit+sample time on that table (rounded
up, at least ``--budget-floor``), so every SDV synthesizer had at most our time.

Results: bench/results/tabular-sdv.json and the ``tabular-sdv`` section of docs/benchmarks.md.
SDV is never a dependency of genautoml: only this script and its worker know it.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Optional

from bench.common import RESULTS, ROOT, fresh_dir, machine, save, table, write_section

CONFIG = ROOT / "configs" / "tabular.yaml"
TABLES = ("breast_cancer", "wine", "diabetes", "iris")
#: the generated table with missing values, datetimes and booleans (``--customers``)
EXTRA_TABLE = "customers"
SYNTHESIZERS = ("GaussianCopulaSynthesizer", "CTGANSynthesizer", "TVAESynthesizer", "CopulaGANSynthesizer")
#: the figures of the table, in its column order; c2st_auc is the selection figure
METRICS = ("c2st_auc", "c2st", "marginal", "pairwise", "efficacy", "dcr_ratio", "copies")
SHOWN = (("c2st AUC", "c2st_auc"), ("marginal", "marginal"), ("pairwise", "pairwise"), ("efficacy", "efficacy"),
         ("dcr_ratio", "dcr_ratio"), ("copies", "copies"))
#: the issue's privacy goal: samples at least 90% as far from the training rows as unseen real rows are
DCR_GOAL = 0.9
#: our column types -> SDV sdtypes (datetimes add the format our CSV writer uses). SDV 2's
#: metadata says "integer" as ``decimal_places: 0``: ``computer_representation`` ("Int64") is
#: SDV 1's key, which SDV 2 refuses in its V2 metadata.
SDTYPES = {
    "continuous": {"sdtype": "numerical"},
    "integer": {"sdtype": "numerical", "decimal_places": 0},
    "categorical": {"sdtype": "categorical"},
    "boolean": {"sdtype": "boolean"},
    "datetime": {"sdtype": "datetime"},
}
_DAY_US, _SECOND_US = 86_400_000_000, 1_000_000


def datetime_format(seconds) -> str:
    """The format genautoml/data/tabular/io.py writes a datetime column in (ISO 8601, as short
    as the values allow: dates, whole seconds, or microseconds), for SDV to parse and write back."""
    import numpy as np

    micros = np.round(seconds[~np.isnan(seconds)] * _SECOND_US).astype(np.int64)
    if np.all(micros % _DAY_US == 0):
        return "%Y-%m-%d"
    return "%Y-%m-%dT%H:%M:%SZ" if np.all(micros % _SECOND_US == 0) else "%Y-%m-%dT%H:%M:%S.%fZ"


def sdv_metadata(train) -> dict[str, Any]:
    """SDV single-table metadata (``{"columns": {name: {"sdtype": ...}}}``) for a ``Table``'s columns."""
    from genautoml.errors import DataError

    out: dict[str, Any] = {}
    for column in train.columns:
        if column.type not in SDTYPES:
            raise DataError(f"column {column.name!r}: type {column.type!r} has no SDV sdtype; expected one of "
                            f"{', '.join(SDTYPES)}")
        spec = dict(SDTYPES[column.type])
        if column.type == "datetime":
            spec["datetime_format"] = datetime_format(train.values[column.name])
        out[column.name] = spec
    return {"columns": out}


def search_budget(sdv_rows: list[dict[str, Any]], floor: float) -> int:
    """Our search's ``time_budget``: the slowest finished SDV synthesizer's fit+sample seconds,
    rounded up, at least ``floor``; so no SDV synthesizer had more time than we do."""
    spent = [row["seconds"] for row in sdv_rows if row.get("error") is None]
    return int(math.ceil(max([floor, *spent])))


def run_worker(sdv_python: Path, synthesizer: str, train_csv: Path, metadata: Path, rows: int, seed: int,
               out_csv: Path, timeout: float) -> dict[str, Any]:
    """One SDV synthesizer through bench/sdv_worker.py; its timings, or why it failed."""
    command = [str(sdv_python), str(ROOT / "bench" / "sdv_worker.py"), "--train", str(train_csv),
               "--metadata", str(metadata), "--synthesizer", synthesizer, "--rows", str(rows),
               "--seed", str(seed), "--out", str(out_csv), "--threads", str(os.cpu_count() or 1)]
    started = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s", "wall_s": round(time.perf_counter() - started, 1)}
    wall = round(time.perf_counter() - started, 1)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": f"exit {done.returncode}: {last}", "wall_s": wall}
    timings = json.loads(done.stdout.strip().splitlines()[-1])
    return {**timings, "wall_s": wall, "error": None}


def _sample_csv(folder: Path) -> Path:
    return folder / "samples.csv"


def sdv_rows(ctx, scoring: dict[str, Any], args, folder: Path) -> list[dict[str, Any]]:
    """Every synthesizer fitted on the training rows, sampled, and scored like our model."""
    from genautoml.data.tabular.io import read_samples_table, write_samples_table

    train = scoring["train"]
    written = write_samples_table(train, folder / "train")
    train_csv = next(path for path in written if path.suffix == ".csv")
    metadata = folder / "metadata.json"
    metadata.write_text(json.dumps(sdv_metadata(train)), encoding="utf-8")
    rows = []
    for synthesizer in args.synthesizers:
        out = fresh_dir(folder / synthesizer)
        result = run_worker(args.sdv_python, synthesizer, train_csv, metadata, scoring["generate"],
                            ctx.config.seed, _sample_csv(out), args.sdv_timeout)
        row = {"model": synthesizer, **result}
        if result["error"] is None:
            row["seconds"] = round(result["fit_s"] + result["sample_s"], 2)
            generated = read_samples_table(_sample_csv(out), like=train)
            row["generated"] = len(generated)
            row["metrics"] = ctx.modality.score_samples(scoring["heldout"], generated, train, scoring["names"])
        rows.append(row)
        print(f"   {synthesizer}: {_summary(row)}", flush=True)
    return rows


def _summary(row: dict[str, Any]) -> str:
    if row.get("error"):
        return f"failed ({row['error']})"
    return f"c2st AUC {row['metrics'].get('c2st_auc', float('nan')):.3f}, {row['seconds']:.1f} s"


def scoring_inputs(ctx) -> dict[str, Any]:
    """What the train stage scores our model on: all non-test rows as training data, the
    test split capped with the train stage's seed, as many generated rows as it draws, the
    floor from real training rows; the metric names the modality has of METRICS."""
    from genautoml.pipeline.floor import real_data_floor
    from genautoml.pipeline.trial import capped
    from genautoml.seeds import derive_seed

    modality, dataset = ctx.modality, ctx.dataset
    seed = derive_seed(ctx.config.seed, "train")  # genautoml/pipeline/train.py's seed
    train, heldout = dataset.train_raw(), capped(ctx.config, modality, dataset.test_raw(), seed)
    names = [name for name in METRICS if name in modality.metrics()]
    # The floor samples real rows as they are; the representation is only there to honour the signature.
    representation = modality.representation(modality.feature_model.model_validate(ctx.resolved["features"][0]))
    floor = real_data_floor(modality, representation.fit(train), heldout, train, seed)
    return {"train": train, "heldout": heldout, "names": names, "generate": modality.generate_count(heldout),
            "floor": {name: floor[name] for name in names if name in floor},
            "test_examples": int(len(dataset.test_index))}


def our_search(config: Path, overrides: list[str], budget: int, run_dir: Path, timeout: float) -> dict[str, Any]:
    """``genautoml search`` on the table at ``budget`` seconds, in our venv; its test figures
    from metrics.json (genautoml/pipeline/train.py) and the chosen representation."""
    command = [sys.executable, "-m", "genautoml", "search", str(config), "--run-dir", str(run_dir), "--quiet",
               *[part for override in [*overrides, f"search.time_budget={budget}"] for part in ("--set", override)]]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"genautoml search {' '.join(command[4:])} failed (exit {done.returncode}): {last}")
    metrics = json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))
    features = json.loads((run_dir / "features.json").read_text(encoding="utf-8"))
    return {"model": f"genautoml: {metrics['family']} ({features.get('chosen_label', metrics['feature'])})",
            "family": metrics["family"], "feature": metrics["feature"], "params": metrics["params"],
            "metrics": {key: metrics["metrics"][key] for key in METRICS if key in metrics["metrics"]},
            "scored_examples": metrics["scored_examples"], "generated": metrics["generated"],
            "floor": metrics.get("floor", {}), "seconds": round(seconds, 1), "train_s": metrics.get("seconds"),
            "budget_s": budget, "error": None}


def goals(ours: dict[str, Any], sdv: list[dict[str, Any]]) -> dict[str, Any]:
    """The issue's two goals, computed from the figures: our C2ST AUC below the best SDV
    synthesizer's, and our dcr_ratio at least DCR_GOAL."""
    finished = [row for row in sdv if row.get("error") is None and "c2st_auc" in row["metrics"]]
    best = min(finished, key=lambda row: row["metrics"]["c2st_auc"], default=None)
    ours_auc, ours_dcr = ours["metrics"].get("c2st_auc"), ours["metrics"].get("dcr_ratio")
    return {"best_sdv": best["model"] if best else None,
            "best_sdv_c2st_auc": best["metrics"]["c2st_auc"] if best else None,
            "c2st_auc_below_best_sdv": (ours_auc < best["metrics"]["c2st_auc"]) if best and ours_auc is not None else None,
            "dcr_ratio_at_least_goal": (ours_dcr >= DCR_GOAL) if ours_dcr is not None else None}


def bench_table(name: str, args, seed: int = 0) -> dict[str, Any]:
    """One table: SDV's synthesizers, then our search at the slowest one's time. ``seed`` is
    the config's seed: it draws the split, so each seed is another test set for everyone."""
    from bench import common

    # The device too: bench.common.context sets it for the split, the search subprocess needs it said.
    overrides = [f"device={common.DEVICE}", f"seed={seed}", f"data.source=builtin:{name}", *args.set]
    work = fresh_dir(RESULTS / "work" / "tabular-sdv" / f"{name}-seed{seed}")
    with tempfile.TemporaryDirectory() as scratch:
        ctx = common.context(args.config, overrides, Path(scratch))
        scoring = scoring_inputs(ctx)
        sdv = sdv_rows(ctx, scoring, args, work / "sdv")
    budget = search_budget(sdv, args.budget_floor)
    print(f"   genautoml search, time_budget {budget} s", flush=True)
    ours = our_search(args.config, overrides, budget, work / "genautoml", args.search_timeout or 4 * budget + 600)
    # Equal data: our model must have been scored on as many test rows and samples as SDV's.
    equal = ours["scored_examples"] == len(scoring["heldout"]) and ours["generated"] == scoring["generate"]
    return {"table": name, "seed": seed, "overrides": overrides, "train_examples": len(scoring["train"]),
            "test_examples": scoring["test_examples"], "scored_examples": len(scoring["heldout"]),
            "generated": scoring["generate"], "equal_data": equal, "budget_s": budget,
            "floor": scoring["floor"], "sdv": sdv, "ours": ours, "goals": goals(ours, sdv)}


def run(args) -> dict[str, Any]:
    out = []
    for seed in args.seeds:
        for name in args.tables:
            print(f"== {name}, seed {seed}", flush=True)
            out.append(bench_table(name, args, seed))
    return {"tables": out, "seeds": list(args.seeds), "synthesizers": list(args.synthesizers), "budget_floor": args.budget_floor,
            "config": _shown(args.config), "sdv": _sdv_version(args.sdv_python)}


def _shown(path: Path) -> str:
    path = Path(path).resolve()
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _sdv_version(sdv_python: Path) -> Optional[str]:
    try:
        done = subprocess.run([str(sdv_python), "-c", "import sdv; print(sdv.__version__)"], capture_output=True,
                              text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() or None


def _figure(value: Any) -> str:
    return "-" if value is None else f"{value:.3g}"


def _seconds(value: Any) -> str:
    """Whole seconds, but a copula's fraction of a second stays visible."""
    return "-" if value is None else f"{value:.0f}" if value >= 10 else f"{value:.2g}"


def result_rows(entry: dict[str, Any]) -> list[list[str]]:
    """The table's rows: each SDV synthesizer, our chosen model, the real-data floor."""
    rows = []
    for row in [*entry["sdv"], entry["ours"]]:
        if row.get("error"):
            rows.append([row["model"] + f" (failed: {row['error']})", *["-"] * len(SHOWN), _seconds(row.get("wall_s"))])
            continue
        rows.append([row["model"], *[_figure(row["metrics"].get(key)) for _, key in SHOWN], _seconds(row["seconds"])])
    floor = entry["floor"]
    rows.append([f"real training rows (floor at {entry['scored_examples']} test rows)",
                 *[_figure(floor.get(key)) for _, key in SHOWN], "-"])
    return rows


def goal_line(entry: dict[str, Any]) -> str:
    found, ours = entry["goals"], entry["ours"]["metrics"]
    if found["c2st_auc_below_best_sdv"] is None:
        first = "No SDV synthesizer finished: no C2ST AUC to compare with."
    else:
        first = (f"Our C2ST AUC {_figure(ours.get('c2st_auc'))} is "
                 f"{'below' if found['c2st_auc_below_best_sdv'] else 'NOT below'} the best SDV synthesizer's "
                 f"({found['best_sdv']}, {_figure(found['best_sdv_c2st_auc'])}).")
    second = ("No dcr_ratio." if found["dcr_ratio_at_least_goal"] is None else
              f"Our dcr_ratio {_figure(ours.get('dcr_ratio'))} is "
              f"{'at least' if found['dcr_ratio_at_least_goal'] else 'NOT at least'} {DCR_GOAL}.")
    unequal = "" if entry["equal_data"] else " WARNING: our model was scored on a different number of rows."
    return f"{first} {second}{unequal}"


def summary(entries: list[dict[str, Any]]) -> str:
    """One row per table over the seeds: our C2ST AUC and the best SDV synthesizer's on each
    split, and on how many splits each goal was met."""
    rows = []
    for name in dict.fromkeys(entry["table"] for entry in entries):
        mine = [entry for entry in entries if entry["table"] == name]
        pairs = ", ".join(f"{_figure(e['ours']['metrics'].get('c2st_auc'))} / {_figure(e['goals']['best_sdv_c2st_auc'])}"
                          for e in mine)
        below = sum(bool(e["goals"]["c2st_auc_below_best_sdv"]) for e in mine)
        novel = sum(bool(e["goals"]["dcr_ratio_at_least_goal"]) for e in mine)
        chosen = ", ".join(e["ours"]["model"].removeprefix("genautoml: ").split(" ")[0] for e in mine)
        rows.append([name, pairs, f"{below} of {len(mine)}", f"{novel} of {len(mine)}", chosen])
    return ("Over the seeds (each a different split):\n\n"
            + table(["table", "c2st AUC ours / best SDV, per seed", "ours below best SDV", f"dcr_ratio >= {DCR_GOAL}",
                     "chosen"], rows) + "\n")


def markdown(result: dict[str, Any]) -> str:
    parts = [
        f"SDV {result.get('sdv') or '(version unknown)'}: {', '.join(result['synthesizers'])}, each fitted at SDV's "
        f"defaults (no tuning) on the training rows of `{result['config']}`'s split of each table, sampled as many "
        "rows as our final model is scored with, and scored on the same test rows with the same metrics, beside the "
        "real-data floor. On these small tables that is several draws of as many rows as the test rows, each figure "
        "the mean over the draws (the floor's too; `draws_for` in genautoml/metrics/tabular.py). "
        "Our search's `search.time_budget` is the slowest SDV synthesizer's fit+sample time on that "
        f"table, rounded up, at least {result['budget_floor']:.0f} s: every SDV synthesizer had at most our time. "
        "Seconds: SDV's fit+sample (not its start-up); ours, the whole `genautoml search` command. c2st AUC is the "
        "selection figure (lower is better, 0.5: indistinguishable); efficacy higher is better; dcr_ratio about 1 "
        "is novel, near 0 copies.\n"
    ]
    if len(result.get("seeds", [0])) > 1:
        parts.append(summary(result["tables"]))
    columns = ["model", *[label for label, _ in SHOWN], "seconds"]
    for entry in result["tables"]:
        parts.append(
            f"### {entry['table']}, seed {entry.get('seed', 0)}: {entry['train_examples']} training rows, "
            f"{entry['scored_examples']} of "
            f"{entry['test_examples']} test rows scored, {entry['generated']} generated"
            f"{_draws(entry)}; budget {entry['budget_s']} s\n\n"
            + table(columns, result_rows(entry)) + "\n\n" + goal_line(entry) + "\n"
        )
    return "\n".join(parts)


def _draws(entry: dict[str, Any]) -> str:
    draws = entry["generated"] // max(1, entry["scored_examples"])
    return f" ({draws} draws of {entry['scored_examples']})" if draws > 1 else ""


def parse_args(argv: Optional[list[str]] = None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", default=",".join(TABLES), help=f"comma-separated, of {', '.join(TABLES)}")
    parser.add_argument("--customers", action="store_true", help=f"also the builtin table {EXTRA_TABLE!r}")
    parser.add_argument("--synthesizers", default=",".join(SYNTHESIZERS), help="comma-separated SDV synthesizers")
    parser.add_argument("--budget-floor", type=float, default=60.0, help="our search's least time_budget, seconds")
    parser.add_argument("--sdv-python", type=Path, default=ROOT / ".venv-sdv" / "bin" / "python")
    parser.add_argument("--sdv-timeout", type=float, default=3600.0, help="seconds one SDV synthesizer may take")
    parser.add_argument("--search-timeout", type=float, help="seconds our search may take (default 4 x budget + 600)")
    parser.add_argument("--config", type=Path, default=CONFIG, help="the tabular config each table is searched with")
    parser.add_argument("--print-only", action="store_true", help="print the section; write no results and no doc")
    parser.add_argument("--doc-only", action="store_true",
                        help="run nothing: rewrite the doc's section from bench/results/tabular-sdv.json")
    parser.add_argument("--set", action="append", default=[], help="a config override for every table, KEY=VALUE")
    parser.add_argument("--seeds", default="0", help="comma-separated config seeds: each draws another split")
    args = parser.parse_args(argv)
    args.seeds = [int(seed) for seed in args.seeds.split(",") if seed.strip()]
    args.tables = [t.strip() for t in args.tables.split(",") if t.strip()] + ([EXTRA_TABLE] if args.customers else [])
    args.synthesizers = [s.strip() for s in args.synthesizers.split(",") if s.strip()]
    unknown = [s for s in args.synthesizers if s not in SYNTHESIZERS] + \
              [t for t in args.tables if t not in (*TABLES, EXTRA_TABLE)]
    if unknown:
        parser.error(f"unknown tables or synthesizers: {', '.join(unknown)}")
    if not args.sdv_python.exists():
        parser.error(f"--sdv-python {args.sdv_python}: no such interpreter (SDV's own virtualenv, .venv-sdv)")
    return args


def main(argv: Optional[list[str]] = None) -> None:
    args = parse_args(argv)
    if args.doc_only:
        saved = json.loads((RESULTS / "tabular-sdv.json").read_text(encoding="utf-8"))
        write_section("tabular-sdv", "Tabular: genautoml against SDV at its defaults", markdown(saved["result"]), saved)
        return
    started = time.perf_counter()
    result = run(args)
    command = "python -m bench.tabular_sdv " + " ".join(sys.argv[1:] if argv is None else argv)
    info = {"command": command.strip(), "machine": machine(), "seconds": time.perf_counter() - started}
    if args.print_only:
        print(json.dumps(result, indent=1, default=str), markdown(result), sep="\n")
        return
    save("tabular-sdv", {**info, "result": result})
    write_section("tabular-sdv", "Tabular: genautoml against SDV at its defaults", markdown(result), info)
    print(f"   {info['seconds']:.0f} s -> bench/results/tabular-sdv.json, docs/benchmarks.md", flush=True)


if __name__ == "__main__":
    main()
