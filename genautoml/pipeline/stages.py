"""The one list of stages: what each is called, writes and reads, and where its code lives.

The runner, the run directory (what ``--force`` moves aside) and the CLI (one command per
stage) all read this list. No torch here: the CLI builds its commands from it.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Callable


@dataclass(frozen=True)
class Stage:
    name: str
    #: the file whose presence, with the stage's current key, means the stage is done
    artifact: str
    #: everything the stage writes into the run directory (``--force`` moves these aside)
    outputs: tuple[str, ...]
    #: one line for ``genautoml <stage> --help``
    help: str
    #: the module under genautoml/pipeline with ``run(ctx) -> artifact``
    module: str
    #: the part of the resolved config (as a dict) that the stage reads
    inputs: Callable[[dict[str, Any]], Any]

    def run(self, ctx) -> dict[str, Any]:
        return importlib.import_module(f"genautoml.pipeline.{self.module}").run(ctx)


#: search settings that change no result: where and with how many threads trials run.
#: (``parallel`` is not among them: TPE proposes a block of trials at a time.)
NEUTRAL_SEARCH_KEYS = ("threads", "executor", "resources", "ray")


def _search_results(c: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in c["search"].items() if key not in NEUTRAL_SEARCH_KEYS}


STAGES: tuple[Stage, ...] = (
    Stage("data", "data.json", ("data.json",),
          "Load, check and split the data; print a summary.", "data_stage",
          lambda c: [c["seed"], c["data"], c["search"]["cv_folds"]]),
    Stage("cv", "cv.json", ("cv.json",),
          "Cross-validate every candidate family at growing training lengths; print the leaderboard.", "cv",
          # Not the budget: raising it keeps cv's result (the search continues from there). Every
          # feature: a family that cannot model the first trains on the first it can.
          lambda c: [c["models"], c["features"], c["search"]["metric"], c["search"]["max_eval_examples"],
                     c["search"]["fidelity"], c["search"]["c2st_max"], c["search"].get("dcr_min")]),
    # Every search setting that changes a result, the budget included: a bigger budget is a
    # different result.
    Stage("tune", "tune.json", ("trials.jsonl", "tune.json"),
          "Tune the best cv families with hyperopt (one conditional space).", "tune",
          _search_results),
    Stage("features", "features.json", ("features.json",),
          "Compare the candidate representations with the tuned model.", "features",
          lambda c: c["features"]),
    Stage("train", "metrics.json", ("model", "metrics.json", "samples"),
          "Train the chosen model on all non-test data and score it on the test split.", "train",
          lambda c: c["train"]),
)

STAGE_NAMES: tuple[str, ...] = tuple(stage.name for stage in STAGES)


def get_stage(name: str) -> Stage:
    return STAGES[STAGE_NAMES.index(name)]


def up_to(name: str) -> tuple[Stage, ...]:
    """The stages before ``name``, and ``name`` itself, in order."""
    return STAGES[: STAGE_NAMES.index(name) + 1]


def all_outputs() -> tuple[str, ...]:
    return tuple(output for stage in STAGES for output in stage.outputs)
