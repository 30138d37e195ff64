"""Executors: how a block of tune trials runs. Each calls the same pure ``run_trial``.

- sequential (``parallel: 1``): in this process, one after another;
- process pool (``parallel: N``): N worker processes, one trial each; every worker loads
  the data once (it is a pure function of the config) and uses ``search.threads`` threads.
"""

from __future__ import annotations

from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Any, Callable, Optional

from genautoml.search.trial import TrialRequest

# Per worker process: the dataset for the config it serves (loaded once, in the initializer).
_WORKER: dict[str, Any] = {}


def _init_worker(config_json: dict, base_dir: str, threads: int) -> None:
    import torch

    from genautoml.config import validate
    from genautoml.pipeline.dataset import load_dataset

    torch.set_num_threads(threads)
    config = validate(config_json)
    _WORKER["config"] = config
    _WORKER["dataset"] = load_dataset(config, base_dir)


def _run_in_worker(request: TrialRequest, deadline: Optional[float], history: list[dict], device: str) -> dict:
    from genautoml.search.stopping import MedianStopper, NoStopper
    from genautoml.search.trial import run_trial, selection_metric

    config, dataset = _WORKER["config"], _WORKER["dataset"]
    search = config.search
    if search.early_stopping == "median":
        minimize = selection_metric(config, dataset.modality).direction == "minimize"
        stopper = MedianStopper(history, grace_epochs=search.grace_epochs, minimize=minimize, family=request.family)
    else:
        stopper = NoStopper()
    return run_trial(config, dataset, request, device=device, stopper=stopper, deadline=deadline)


class ProcessPool:
    """A pool of ``parallel`` worker processes, used as a ``run_batch`` callable."""

    def __init__(self, config, base_dir, parallel: int, device: str, history: Callable[[], list[dict]]):
        import multiprocessing

        threads = config.search.threads
        config_json = config.model_dump(mode="json")
        # spawn: a fresh interpreter per worker; forking a process that already ran torch is unsafe.
        self.pool = ProcessPoolExecutor(
            max_workers=parallel,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(config_json, str(base_dir), threads),
        )
        self.device = device
        self.history = history

    def __call__(self, requests, done) -> None:
        # Curves only: that is all the median rule reads, and it keeps the payload small.
        history = [{"family": r["family"], "folds": [{"fold": f["fold"], "curve": f.get("curve", [])} for f in r.get("folds", [])]}
                   for r in self.history()]
        pending = {self.pool.submit(_run_in_worker, request, deadline, history, self.device)
                   for request, deadline in requests}
        try:
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    done(future.result())
        except BaseException:
            for future in pending:
                future.cancel()
            raise

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
