"""One SDV synthesizer, fitted at SDV's defaults on a training CSV, sampled to a CSV.

Runs INSIDE the separate SDV virtualenv (.venv-sdv: pandas, torch, sdv), never in ours:
it imports only the standard library, pandas, numpy, torch and sdv (genautoml is not
installed there). bench/tabular_sdv.py writes the inputs and reads the output.

    .venv-sdv/bin/python bench/sdv_worker.py --train train.csv --metadata metadata.json \
        --synthesizer CTGANSynthesizer --rows 300 --seed 0 --out samples.csv [--threads N]

``metadata.json`` is SDV's own single-table metadata (``{"columns": {name: {"sdtype": ...}}}``,
as ``bench.tabular_sdv.sdv_metadata`` translates our column types). Prints one line of JSON,
``{"fit_s": ..., "sample_s": ..., "fit_cpu_s": ..., "rows": ..., "threads": ...}``, on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
import warnings

#: the one table's name in SDV's metadata and data dictionaries
TABLE = "table"
SYNTHESIZERS = ("GaussianCopulaSynthesizer", "CTGANSynthesizer", "TVAESynthesizer", "CopulaGANSynthesizer")


def read_training(path: str, metadata: dict):
    """The training CSV with every categorical and boolean column read as text (so a code
    such as "1" stays the category "1", as our writer wrote it) and datetimes left as text
    for SDV to parse with the stated format."""
    import pandas as pd

    columns = metadata["columns"]
    as_text = {name: "string" for name, spec in columns.items() if spec["sdtype"] in ("categorical", "datetime")}
    frame = pd.read_csv(path, dtype=as_text, keep_default_na=True)
    for name, spec in columns.items():
        if spec["sdtype"] in ("categorical", "datetime"):
            frame[name] = frame[name].astype(object).where(frame[name].notna(), None)
        elif spec["sdtype"] == "boolean":
            frame[name] = frame[name].map(_boolean).astype(object)
    return frame


def _boolean(value):
    text = str(value).strip().lower()
    return {"true": True, "false": False, "1": True, "0": False, "1.0": True, "0.0": False}.get(text)


def seed_everything(seed: int) -> None:
    """CTGAN/TVAE draw from torch and numpy, the copulas from numpy: seed all three."""
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def build(name: str, metadata: dict):
    """``name`` at SDV's defaults: no tuning, that is the comparison."""
    from sdv import single_table
    from sdv.metadata import Metadata

    if name not in SYNTHESIZERS:
        raise SystemExit(f"sdv_worker: --synthesizer {name!r}: expected one of {', '.join(SYNTHESIZERS)}")
    meta = Metadata.load_from_dict({"tables": {TABLE: metadata}, "relationships": []})
    return getattr(single_table, name)(meta)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", required=True, help="the training rows, a CSV with a header")
    parser.add_argument("--metadata", required=True, help="SDV single-table metadata, JSON")
    parser.add_argument("--synthesizer", required=True, choices=SYNTHESIZERS)
    parser.add_argument("--rows", type=int, required=True, help="rows to sample")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", required=True, help="the sampled rows, a CSV")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="torch threads (default: all cores)")
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(max(1, args.threads))
    with open(args.metadata, encoding="utf-8") as handle:
        metadata = json.load(handle)
    frame = read_training(args.train, metadata)
    seed_everything(args.seed)
    synthesizer = build(args.synthesizer, metadata)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SDV's advice on metadata and GPUs would bury the one line we print
        started, cpu = time.perf_counter(), time.process_time()
        synthesizer.fit({TABLE: frame})  # SDV 2: data as {table name: frame}, even for one table
        fit_s, fit_cpu_s = time.perf_counter() - started, time.process_time() - cpu
        started = time.perf_counter()
        samples = synthesizer.sample(num_rows=args.rows)[TABLE]
        sample_s = time.perf_counter() - started
    samples.to_csv(args.out, index=False)
    # CPU seconds beside the wall: on a shared machine the wall time says more about the neighbours.
    json.dump({"fit_s": round(fit_s, 3), "sample_s": round(sample_s, 3), "fit_cpu_s": round(fit_cpu_s, 3),
               "rows": len(samples), "threads": torch.get_num_threads()}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
