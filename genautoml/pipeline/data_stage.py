"""data: load, check and split; data.json records the fingerprint, shapes and split."""

from __future__ import annotations

from typing import Any

from genautoml.pipeline.context import Context


def run(ctx: Context) -> dict[str, Any]:
    ctx.events.stage("data", ctx.config.data.source)
    dataset = ctx.dataset
    artifact = {
        "key": ctx.stage_key("data"),
        "source": ctx.config.data.source,
        "modality": ctx.config.data.modality,
        **dataset.summary(),
        "test_index": dataset.test_index.tolist(),
    }
    ctx.run.write_json("data.json", artifact)
    return artifact
