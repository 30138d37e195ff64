"""Runs stages in order, skipping those whose artifact is fresh for the same inputs."""

from __future__ import annotations

import time
from typing import Any

from genautoml.errors import GenautomlError
from genautoml.pipeline.context import Context
from genautoml.pipeline.plan import SHARES
from genautoml.pipeline.stages import STAGES, up_to


def ensure(ctx: Context, target: str, *, rerun_target: bool = False) -> dict[str, Any]:
    """Bring every stage up to ``target`` up to date and return ``target``'s artifact."""
    result: dict[str, Any] = {}
    for stage in up_to(target):
        if ctx.fresh(stage.name) and not (rerun_target and stage.name == target):
            result = ctx.artifact(stage.name)
            continue
        started = time.perf_counter()
        budget = ctx.budget(stage.name) if stage.name in SHARES else None
        ctx.run.stage_status(stage.name, "running", budget=None if budget is None else round(budget, 1))
        try:
            result = stage.run(ctx)
        except KeyboardInterrupt:
            ctx.run.stage_status(stage.name, "interrupted", time.perf_counter() - started)
            raise
        except GenautomlError as exc:
            ctx.run.stage_status(stage.name, "failed", time.perf_counter() - started, error=exc.message)
            raise
        except Exception as exc:
            ctx.run.stage_status(stage.name, "failed", time.perf_counter() - started, error=repr(exc))
            raise
        ctx.run.stage_status(stage.name, "done", time.perf_counter() - started)
        ctx.events.result(stage.name, result)
    return result


def all_fresh(ctx: Context) -> bool:
    return all(ctx.fresh(stage.name) for stage in STAGES)
