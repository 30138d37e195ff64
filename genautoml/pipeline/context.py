"""What every stage works with: the resolved config, the run directory, the data, the device."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Optional

from genautoml import atomic
from genautoml.config import Config, config_hash, to_yaml
from genautoml.errors import RunDirError
from genautoml.pipeline.dataset import Dataset, load_dataset
from genautoml.pipeline.events import Events, Silent
from genautoml.pipeline.plan import SHARES, describe, stage_budget
from genautoml.pipeline.resolve import load_resolved, resolved_dict
from genautoml.pipeline.stages import NEUTRAL_SEARCH_KEYS, STAGES, get_stage, up_to
from genautoml.rundir import RunDir

# Keys that bound the search without changing what a trial computes: changing them
# continues a run (more trials, more time) instead of asking for --force.
BUDGET_KEYS = (("search", "max_trials"), ("search", "time_budget"), ("search", "trial_timeout"), ("device",))
# Keys that change no result at all: what the run is called, where it is tracked, and where
# and with how many threads its trials run (genautoml/pipeline/stages.py leaves them out of the stage keys).
NEUTRAL_KEYS = (("name",), ("tracking",), *(("search", key) for key in NEUTRAL_SEARCH_KEYS))


def identity(resolved_config: dict) -> dict:
    data = {k: (dict(v) if isinstance(v, dict) else v) for k, v in resolved_config.items()}
    for path in BUDGET_KEYS + NEUTRAL_KEYS:
        node = data
        for key in path[:-1]:
            node = node[key]
        node.pop(path[-1], None)
    return data


def first_difference(old: Any, new: Any, path: str = "") -> Optional[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in list(old) + [k for k in new if k not in old]:
            found = first_difference(old.get(key), new.get(key), f"{path}.{key}" if path else key)
            if found:
                return found
        return None
    if old != new:
        return f"{path}: {old!r} -> {new!r}"
    return None


def stage_key(fingerprint: str, resolved_config: dict, stage: str) -> str:
    """What a stage's result depends on: its slice of the config, the data, and the stages
    before it. Changing a key a stage does not read leaves that stage's result valid."""
    parts: list[Any] = [fingerprint]
    for earlier in up_to(stage):
        parts.append([earlier.name, earlier.inputs(resolved_config)])
    return config_hash({"parts": parts})


@dataclass
class Context:
    #: resolved: every default filled in (genautoml/pipeline/resolve.py)
    config: Config
    run: RunDir
    base_dir: Path
    events: Events = field(default_factory=Silent)
    device: str = "cpu"
    _dataset: Optional[Dataset] = field(default=None, repr=False)
    #: the encoded spec of each candidate representation, by its JSON (pipeline/scoring.py)
    specs: dict[str, Any] = field(default_factory=dict, repr=False)

    @cached_property
    def resolved(self) -> dict[str, Any]:
        """The resolved config as plain data (config.yaml; the stage keys hash it)."""
        return resolved_dict(self.config)

    @property
    def modality(self):
        return self.dataset.modality

    @property
    def dataset(self) -> Dataset:
        if self._dataset is None:
            self._dataset = load_dataset(self.config, self.base_dir)
        return self._dataset

    def stage_key(self, stage: str) -> str:
        return stage_key(self.dataset.fingerprint, self.resolved, stage)

    def budget(self, stage: str) -> Optional[float]:
        """Seconds the plan (genautoml/pipeline/plan.py) gives ``stage``; None: no budget."""
        spent = {name: float((self.artifact(name) or {}).get("seconds") or 0.0) for name in SHARES}
        return stage_budget(self.config.search.time_budget, stage, spent)

    def artifact(self, stage: str) -> Optional[dict]:
        return self.run.read_json(get_stage(stage).artifact)

    def fresh(self, stage: str) -> bool:
        found = self.artifact(stage)
        return bool(found and found.get("complete", True) and found.get("key") == self.stage_key(stage))


def open_context(config_path: str | Path, overrides: list[str], run_dir: Optional[str],
                 events: Optional[Events] = None) -> Context:
    """Validate and resolve the config and load the data, before anything is written."""
    config = load_resolved(config_path, overrides)
    return context_for(config, Path(config_path).resolve().parent, run_dir, events)


def context_for(config: Config, base_dir: Path, run_dir: Optional[str | Path],
                events: Optional[Events] = None) -> Context:
    """The context of a resolved ``config`` (relative data paths read from ``base_dir``), its
    data loaded, before anything is written."""
    from genautoml.device import resolve_device

    device = resolve_device(config.device)
    import torch

    torch.set_num_threads(config.search.threads)
    run = RunDir(run_dir or Path("runs") / config.name)
    ctx = Context(config, run, base_dir=base_dir, events=events or Silent(), device=device)
    ctx.dataset  # data errors surface now, before a run directory is made
    return ctx


def claim_run_dir(ctx: Context, force: bool) -> None:
    """Record the config in the run directory (must hold its lock), or refuse a different one."""
    path = ctx.run / "config.yaml"
    if path.exists():
        import yaml

        try:
            old = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError):
            old = None
        if not isinstance(old, dict):
            raise RunDirError(f"{path}: damaged; use --force to start the run over (old files are kept aside)")
        difference = first_difference(identity(old), identity(ctx.resolved))
        if difference and not force:
            raise RunDirError(
                f"{ctx.run}: made with a different config ({difference}); "
                "use --force to start over (old results are moved to superseded/) or another --run-dir"
            )
        shortened = _shortened(ctx)
        if shortened and not force:
            raise RunDirError(shortened)
        if (difference or shortened) and force:
            # Only the stages whose inputs changed start over; the ones before them stand.
            stale = [stage for stage in STAGES if stage_key(ctx.dataset.fingerprint, old, stage.name)
                     != ctx.stage_key(stage.name)]
            moved = ctx.run.supersede([name for stage in stale for name in stage.outputs])
            if moved:
                ctx.events.note(f"--force: {', '.join(s.name for s in stale)} start over; "
                                f"their earlier results moved to {moved}")
    atomic.write_text(path, to_yaml(ctx.resolved))
    ctx.run.start_command(sys.argv, ctx.config.seed, ctx.device, plan=describe(ctx.config.search.time_budget))


def _shortened(ctx: Context) -> Optional[str]:
    """Why the run cannot go on with this ``search.max_trials``: it is below the tune trials
    the run directory already holds. Keeping only some of them would not be the search that
    count gives (the random start is a share of max_trials), and keeping all would report a
    count that is not the one asked for. None when the count is not lowered below them."""
    from genautoml.search.store import TrialStore

    path = ctx.run / "trials.jsonl"
    if not path.exists():
        return None
    finished = sum(1 for record in TrialStore(path).load() if record.stage == "tune")
    wanted = ctx.config.search.max_trials
    if finished <= wanted:
        return None
    return (f"search.max_trials: {wanted} is below the {finished} tune trials {ctx.run} already holds; raise it "
            f"to at least {finished}, or pass --force to start tune over (its trials are moved to superseded/)")
