"""The Ray executor: each tune trial of a block runs as a Ray task, anywhere on the cluster.

Suggestions still come from our hyperopt loop (search/tuner.py), and results land in the
same trials.jsonl, so resume, reproducibility and every later stage work as with the local
executor. The median stopping rule runs inside each task against the curves of earlier
trials, as it does locally. Workers load the data from the config themselves: the data
path must be one every node can read.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from genautoml.errors import ConfigError
from genautoml.search.stopping import curves_only
from genautoml.search.trial import TrialRequest

# Per Ray worker process: datasets already loaded, by config (workers are reused).
_LOADED: dict[str, Any] = {}


def _trial_task(config_json: dict, base_dir: str, request: TrialRequest, deadline: Optional[float],
                history: list[dict], device: str, threads: int) -> dict:
    import json

    import torch

    from genautoml.config import validate
    from genautoml.pipeline.dataset import load_dataset
    from genautoml.search.trial import run_trial_after

    torch.set_num_threads(threads)
    key = json.dumps(config_json, sort_keys=True)
    if key not in _LOADED:
        config = validate(config_json)
        _LOADED.clear()  # one dataset per worker at a time
        _LOADED[key] = (config, load_dataset(config, base_dir))
    config, dataset = _LOADED[key]
    return run_trial_after(config, dataset, request, history, device=device, deadline=deadline)


class RayExecutor:
    """A ``run_batch`` callable that runs each trial of a block as a Ray task."""

    def __init__(self, config, base_dir, history: Callable[[], list[dict]]):
        import ray

        search = config.search
        self.started_ray = False
        if not ray.is_initialized():
            try:
                if search.ray.address:
                    ray.init(address=search.ray.address, log_to_driver=False)
                else:
                    ray.init(include_dashboard=False, log_to_driver=False)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise ConfigError(f"search.ray.address: cannot connect to Ray at {search.ray.address!r} ({exc})") from None
            self.started_ray = True
        self.ray = ray
        self.task = ray.remote(num_cpus=search.resources.cpu, num_gpus=search.resources.gpu)(_trial_task)
        self.config_json = config.model_dump(mode="json")
        self.base_dir = str(base_dir)
        self.device = "cuda" if search.resources.gpu > 0 else "cpu"
        self.threads = max(1, int(search.resources.cpu))
        self.history = history

    def __call__(self, requests, done) -> None:
        history = curves_only(self.history())
        pending = [self.task.remote(self.config_json, self.base_dir, request, deadline, history, self.device, self.threads)
                   for request, deadline in requests]
        try:
            while pending:
                ready, pending = self.ray.wait(pending, num_returns=1)
                for ref in ready:
                    done(self.ray.get(ref))
        except BaseException:
            for ref in pending:
                self.ray.cancel(ref, force=True)
            raise

    def close(self) -> None:
        if self.started_ray:
            self.ray.shutdown()
