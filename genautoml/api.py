"""genautoml from Python: the CLI's work without the CLI (nothing printed unless asked).

    import genautoml.api as gm

    run = gm.search("configs/digits.yaml", run_dir="runs/digits")
    run.metrics["figure"], run.leaderboard[0]["family"]
    images = run.sample(16, seed=1)          # arrays, texts or clips: nothing written
    run.evaluate(images)                     # the test figures of any samples, beside the floor

A config is a path to a YAML file, a dict or a ``Config``. Errors are the typed exceptions
of genautoml.errors (``ConfigError``, ``DataError``, ``RunDirError``, ...), each with the one
line the CLI would print; a run directory has one writer, as from the CLI.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Mapping, Optional, Union

from genautoml.config import Config, apply_override, validate
from genautoml.errors import RunDirError
from genautoml.pipeline.events import Events
from genautoml.pipeline.stages import STAGE_NAMES

ConfigLike = Union[str, Path, Mapping[str, Any], Config]


def search(config: ConfigLike, run_dir: Optional[Union[str, Path]] = None, overrides: Optional[list[str]] = None, *,
           force: bool = False, events: Optional[Events] = None) -> "Run":
    """Every stage in order, as ``genautoml search``; the finished run, its report.html
    written and, when the config has ``tracking``, logged to MLflow."""
    from genautoml.tracking import track_run

    run = run_stage("train", config, run_dir, overrides, force=force, events=events)
    run.report()
    track_run(run.path)  # where the config's tracking says, once
    return run


def run_stage(stage: str, config: ConfigLike, run_dir: Optional[Union[str, Path]] = None,
              overrides: Optional[list[str]] = None, *, force: bool = False, events: Optional[Events] = None) -> "Run":
    """``stage`` (data, cv, tune, features or train) and the stages before it that are not up
    to date, as ``genautoml STAGE``; the run. ``events``: a view of the work (default: silent)."""
    from genautoml.pipeline.context import claim_run_dir, context_for
    from genautoml.pipeline.resolve import load_resolved, resolve
    from genautoml.pipeline.runner import ensure

    if stage not in STAGE_NAMES:
        raise ValueError(f"stage: expected one of {', '.join(STAGE_NAMES)}, got {stage!r}")
    if isinstance(config, (str, Path)):
        resolved, base_dir = load_resolved(config, overrides or []), Path(config).resolve().parent
    else:
        raw = config.model_dump(mode="json") if isinstance(config, Config) else copy.deepcopy(dict(config))
        for assignment in overrides or []:
            apply_override(raw, assignment)
        resolved, base_dir = resolve(validate(raw), base_dir=Path.cwd()), Path.cwd()
    ctx = context_for(resolved, base_dir, run_dir, events)
    with ctx.run.locked():
        claim_run_dir(ctx, force)
        ensure(ctx, stage)
    return Run(ctx.run.path)


class Run:
    """A run directory: what its stages wrote, and its model to sample from and evaluate."""

    def __init__(self, path: Union[str, Path]):
        from genautoml.pipeline.runs import is_run_dir

        self.path = Path(path)
        if not is_run_dir(self.path):
            raise RunDirError(f"{self.path}: not a genautoml run directory (no manifest.json)")

    def __repr__(self) -> str:
        return f"Run({str(self.path)!r})"

    def _artifact(self, name: str) -> Optional[dict[str, Any]]:
        from genautoml.rundir import RunDir

        return RunDir(self.path).read_json(name)

    @property
    def status(self) -> dict[str, Any]:
        """What ``genautoml show`` shows: each stage's status, the choice, the test figure."""
        from genautoml.pipeline.runs import one_run

        return one_run(self.path)

    @property
    def metrics(self) -> Optional[dict[str, Any]]:
        """metrics.json: the final model's test figures beside their floors (None before train)."""
        return self._artifact("metrics.json")

    @property
    def leaderboard(self) -> list[dict[str, Any]]:
        """cv's leaderboard, best first ([] before cv)."""
        return (self._artifact("cv.json") or {}).get("leaderboard", [])

    @property
    def trials(self) -> list:
        """Every trial of tune, as ``TrialRecord`` objects, in the order they finished."""
        from genautoml.pipeline.runs import tune_trials

        return tune_trials(self.path)

    def report(self, out: Optional[Union[str, Path]] = None, *, overwrite: bool = False) -> Path:
        """Write report.html (or ``out``) for this run, as ``genautoml report`` does; its path."""
        from genautoml.views.report import write_report

        return write_report(self.path, None if out is None else Path(out), overwrite=overwrite)

    def sample(self, n: int, seed: int = 0, **options: Any) -> Any:
        """``n`` samples of the trained model, in the data's own form (images: an array
        (n, H, W, C); text: a list of strings; audio: clips), nothing written. Text takes
        ``length``, ``prompt``, ``temperature`` and ``top_k``, as ``genautoml sample``."""
        from genautoml.pipeline.sample import generate

        return generate(self.path, n, seed, **options)[0]

    def evaluate(self, samples: Any = None, seed: Optional[int] = None) -> dict[str, Any]:
        """The test figures beside their floors: of the run's model (``samples`` None), of a
        folder or file of samples (a path), or of samples in memory (what ``sample`` returns)."""
        from genautoml.pipeline.evaluate import evaluate

        if samples is None or isinstance(samples, (str, Path)):
            return evaluate(self.path, None if samples is None else Path(samples), seed)
        return evaluate(self.path, None, seed, generated=samples)
