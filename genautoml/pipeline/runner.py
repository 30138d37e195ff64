"""Runs stages in order, skipping those whose artifact is fresh for the same inputs."""

from __future__ import annotations

import time
from typing import Any, Callable

from genautoml.errors import GenautomlError
from genautoml.pipeline.context import STAGE_ORDER, Context


def _stage_functions() -> dict[str, Callable[[Context], dict[str, Any]]]:
    from genautoml.pipeline import cv, data_stage, features, train, tune

    return {"data": data_stage.run, "cv": cv.run, "tune": tune.run, "features": features.run, "train": train.run}


def ensure(ctx: Context, target: str, *, rerun_target: bool = False) -> dict[str, Any]:
    """Bring every stage up to ``target`` up to date and return ``target``'s artifact."""
    functions = _stage_functions()
    result: dict[str, Any] = {}
    for stage in STAGE_ORDER[: STAGE_ORDER.index(target) + 1]:
        if ctx.fresh(stage) and not (rerun_target and stage == target):
            result = ctx.artifact(stage)
            continue
        started = time.perf_counter()
        ctx.run.stage_status(stage, "running")
        try:
            result = functions[stage](ctx)
        except KeyboardInterrupt:
            ctx.run.stage_status(stage, "interrupted", time.perf_counter() - started)
            raise
        except GenautomlError as exc:
            ctx.run.stage_status(stage, "failed", time.perf_counter() - started, error=exc.message)
            raise
        except Exception as exc:
            ctx.run.stage_status(stage, "failed", time.perf_counter() - started, error=repr(exc))
            raise
        ctx.run.stage_status(stage, "done", time.perf_counter() - started)
    return result


def all_fresh(ctx: Context) -> bool:
    return all(ctx.fresh(stage) for stage in STAGE_ORDER)
