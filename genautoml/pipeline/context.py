"""What every stage works with: the typed config, the run directory, the data, the device."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from genautoml import atomic
from genautoml.config import Config, config_hash, load_config, resolved, to_yaml
from genautoml.errors import RunDirError
from genautoml.pipeline.dataset import Dataset, load_dataset
from genautoml.pipeline.ui import UI
from genautoml.rundir import RunDir

# Keys that bound the search without changing what a trial computes: changing them
# continues a run (more trials, more time) instead of asking for --force.
BUDGET_KEYS = (("search", "max_trials"), ("search", "time_budget"), ("search", "trial_timeout"), ("device",))

STAGE_ORDER = ("data", "cv", "tune", "features", "train")
ARTIFACT = {"data": "data.json", "cv": "cv.json", "tune": "tune.json", "features": "features.json", "train": "metrics.json"}


def identity(resolved_config: dict) -> dict:
    data = {k: (dict(v) if isinstance(v, dict) else v) for k, v in resolved_config.items()}
    for path in BUDGET_KEYS:
        node = data
        for key in path[:-1]:
            node = node[key]
        node.pop(path[-1], None)
    return data


def stage_inputs(resolved_config: dict, stage: str) -> Any:
    """The part of the resolved config that ``stage`` reads."""
    search = resolved_config["search"]
    if stage == "data":
        return [resolved_config["seed"], resolved_config["data"], search["cv_folds"]]
    if stage == "cv":
        return [resolved_config["models"], resolved_config["features"][0], search["metric"], search["max_eval_examples"]]
    if stage == "tune":  # every search setting, the budget included: a bigger budget is a different result
        return search
    if stage == "features":
        return resolved_config["features"]
    return resolved_config["train"]


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


@dataclass
class Context:
    config: Config
    resolved: dict
    run: RunDir
    base_dir: Path
    ui: UI
    device: str = "cpu"
    _dataset: Optional[Dataset] = field(default=None, repr=False)
    interrupted: bool = False

    @property
    def modality(self):
        return self.dataset.modality

    @property
    def dataset(self) -> Dataset:
        if self._dataset is None:
            self._dataset = load_dataset(self.config, self.base_dir)
        return self._dataset

    def stage_key(self, stage: str) -> str:
        """What a stage's result depends on: its slice of the config, the data, and the stages
        before it. Changing a key a stage does not read leaves that stage's result valid."""
        parts: list[Any] = [self.dataset.fingerprint]
        for earlier in STAGE_ORDER[: STAGE_ORDER.index(stage) + 1]:
            parts.append([earlier, stage_inputs(self.resolved, earlier)])
        return config_hash({"parts": parts})

    def artifact(self, stage: str) -> Optional[dict]:
        return self.run.read_json(ARTIFACT[stage])

    def fresh(self, stage: str) -> bool:
        found = self.artifact(stage)
        return bool(found and found.get("complete", True) and found.get("key") == self.stage_key(stage))


def open_context(config_path: str | Path, overrides: list[str], run_dir: Optional[str], ui: UI) -> Context:
    """Validate the config and load the data, before anything is written."""
    from genautoml.device import resolve_device

    config = load_config(config_path, overrides)
    base_dir = Path(config_path).resolve().parent
    if not config.data.source.startswith("builtin:") and not Path(config.data.source).expanduser().is_absolute():
        # Stored absolute in the run directory, so later commands find it from anywhere.
        config.data.source = str((base_dir / Path(config.data.source).expanduser()).resolve())
    device = resolve_device(config.device)
    import torch

    torch.set_num_threads(config.search.threads)
    resolved_config = resolved(config)
    run = RunDir(run_dir or Path("runs") / config.name)
    ctx = Context(config, resolved_config, run, base_dir=base_dir, ui=ui, device=device)
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
        if difference and force:
            moved = ctx.run.supersede()
            if moved:
                ctx.ui.note(f"--force: earlier results moved to {moved}")
    atomic.write_text(path, to_yaml(ctx.resolved))
    ctx.run.start_command(sys.argv, ctx.config.seed, ctx.device)
