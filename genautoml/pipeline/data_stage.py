"""data: load, check and split; data.json records the fingerprint, shapes and split."""

from __future__ import annotations

from typing import Any

from genautoml.pipeline.context import Context


def run(ctx: Context) -> dict[str, Any]:
    ctx.ui.stage("data", ctx.config.data.source)
    dataset = ctx.dataset
    summary = dataset.summary()
    artifact = {
        "key": ctx.stage_key("data"),
        "source": ctx.config.data.source,
        "modality": ctx.config.data.modality,
        **summary,
        "test_index": dataset.test_index.tolist(),
    }
    ctx.run.write_json("data.json", artifact)
    show(ctx, artifact)
    return artifact


def show(ctx: Context, artifact: dict[str, Any]) -> None:
    rows = [(k, v) for k, v in artifact.items() if k not in ("key", "test_index", "split")]
    rows += [(f"split.{k}", v) for k, v in artifact["split"].items()]
    ctx.ui.table("data", ["", "value"], rows)
