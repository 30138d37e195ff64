"""Executors: how a block of tune trials runs. Each calls the trial function it is given.

The trial function comes from the caller (the pipeline), so the search engine knows no
families, data or training: it is called as ``trial(request, deadline, history)`` and
returns a ``TrialRecord``.

- sequential (``parallel: 1``): in this process, one after another;
- process pool (``parallel: N``): N worker processes, one trial each. The trial function
  must then be picklable (``genautoml.pipeline.trial.WorkerTrial``: every worker loads the
  data once, from the config).
"""

from __future__ import annotations

from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Callable, Optional

from genautoml.records import TrialRecord, TrialRequest
from genautoml.search.stopping import curves_only

#: ``trial(request, deadline, history) -> record``
TrialFunction = Callable[[TrialRequest, Optional[float], list[TrialRecord]], TrialRecord]
#: ``run_batch([(request, deadline), ...], done, history)``: runs a block, calling
#: ``done(record)`` as each ends; every trial of the block is stopped (or not) against the
#: same ``history``, the trials of the blocks before it, whatever finished since (so a
#: resumed half-block decides as the uninterrupted one did)
RunBatch = Callable[[list[tuple[TrialRequest, Optional[float]]], Callable[[TrialRecord], None], list[TrialRecord]],
                    None]


def sequential(trial: TrialFunction) -> RunBatch:
    """The plain executor: one trial after another, in this process."""

    def run_batch(requests, done, history) -> None:
        for request, deadline in requests:
            done(trial(request, deadline, history))

    return run_batch


class ProcessPool:
    """A pool of ``parallel`` worker processes, used as a ``run_batch`` callable."""

    def __init__(self, trial: TrialFunction, parallel: int):
        import multiprocessing

        # spawn: a fresh interpreter per worker; forking a process that already ran torch is unsafe.
        self.pool = ProcessPoolExecutor(max_workers=parallel, mp_context=multiprocessing.get_context("spawn"))
        self.trial = trial

    def __call__(self, requests, done, history) -> None:
        history = curves_only(history)  # what the stopping rule reads: cheaper to send
        pending = {self.pool.submit(self.trial, request, deadline, history) for request, deadline in requests}
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
