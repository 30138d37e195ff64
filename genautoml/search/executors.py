"""Executors: how a block of tune trials runs. Each calls the same pure ``run_trial``.

- sequential (``parallel: 1``): in this process, one after another;
- process pool (``parallel: N``): N worker processes, one trial each; every worker loads
  the data once (it is a pure function of the config) and uses ``search.threads`` threads.
"""

from __future__ import annotations

from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Any, Callable, Optional

from genautoml.search.stopping import curves_only
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
    from genautoml.search.trial import run_trial_after

    return run_trial_after(_WORKER["config"], _WORKER["dataset"], request, history, device=device, deadline=deadline)


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
        history = curves_only(self.history())
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
