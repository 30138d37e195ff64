"""Executors: the same 8-trial tune stage with the local executor (one trial at a time)
and with Ray (two trials at once, a local Ray on this machine), from the same cv result."""

from __future__ import annotations

import shutil
from typing import Any

from bench.common import RESULTS, ROOT, Stopwatch, claim, context, fresh_dir, table

ARMS = {
    "local, parallel 1": ["search.executor=local", "search.parallel=1"],
    "ray, parallel 2": ["search.executor=ray", "search.parallel=2"],
}


def run(trials: int, extra: list[str]) -> dict[str, Any]:
    import ray

    from genautoml.pipeline.runner import ensure

    config = ROOT / "configs" / "digits.yaml"
    work = fresh_dir(RESULTS / "work" / "executors")
    common = [f"search.max_trials={trials}", "search.time_budget=null", "search.early_stopping=none", *extra]
    base = work / "base"
    base.mkdir()
    ctx = context(config, common, base)
    claim(ctx)
    ensure(ctx, "cv")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    rows = []
    try:
        for arm, overrides in ARMS.items():
            arm_dir = work / arm.split(",")[0]
            shutil.copytree(base, arm_dir)
            arm_ctx = context(config, [*common, *overrides], arm_dir)
            with Stopwatch() as watch:
                tune = ensure(arm_ctx, "tune")
            rows.append({"arm": arm, "seconds": watch.seconds, "trials": tune["trials"], "counts": tune["counts"]})
    finally:
        ray.shutdown()
    return {"config": "configs/digits.yaml", "overrides": common, "rows": rows,
            "ratio": rows[1]["seconds"] / rows[0]["seconds"]}


def markdown(result: dict[str, Any]) -> str:
    return (
        f"`{result['config']}` with `{' '.join(result['overrides'])}`, tune stage only (includes re-scoring the "
        "winner on all folds), both arms from the same cv result.\n\n"
        + table(["executor", "wall s", "trials", "statuses"],
                [[r["arm"], f"{r['seconds']:.0f}", r["trials"], r["counts"]] for r in result["rows"]])
        + f"\n\nWall-time ratio ray (parallel 2) / local (parallel 1): {result['ratio']:.2f}.\n"
    )
