"""The Ray executor: each tune trial of a block runs as a Ray task, anywhere on the cluster.

Suggestions still come from our hyperopt loop (search/tuner.py), and results land in the
same trials.jsonl, so resume, reproducibility and every later stage work as with the local
executor. The stopping rule runs inside each task against the curves of earlier trials, as
it does locally. The trial function must be picklable; the pipeline's loads the data from
the config in each worker, so the data path must be one every node can read.
"""

from __future__ import annotations

from genautoml.errors import ConfigError
from genautoml.records import TrialRecord
from genautoml.search.executors import TrialFunction
from genautoml.search.stopping import curves_only


class RayExecutor:
    """A ``run_batch`` callable that runs each trial of a block as a Ray task."""

    def __init__(self, search, trial: TrialFunction):
        """``search``: the config's ``search`` section (address and resources per trial)."""
        import ray

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
        self.task = ray.remote(num_cpus=search.resources.cpu, num_gpus=search.resources.gpu)(_call)
        self.trial = trial

    def __call__(self, requests, done, history) -> None:
        history = curves_only(history)
        pending = [self.task.remote(self.trial, request, deadline, history) for request, deadline in requests]
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


def _call(trial: TrialFunction, request, deadline, history) -> TrialRecord:
    return trial(request, deadline, history)
