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
#: ``run_batch([(request, deadline), ...], done)``: runs a block, calling ``done(record)`` as each ends
RunBatch = Callable[[list[tuple[TrialRequest, Optional[float]]], Callable[[TrialRecord], None]], None]


def sequential(trial: TrialFunction, history: Callable[[], list[TrialRecord]]) -> RunBatch:
    """The plain executor: one trial after another, in this process."""

    def run_batch(requests, done) -> None:
        for request, deadline in requests:
            done(trial(request, deadline, history()))

    return run_batch


class ProcessPool:
    """A pool of ``parallel`` worker processes, used as a ``run_batch`` callable."""

    def __init__(self, trial: TrialFunction, parallel: int, history: Callable[[], list[TrialRecord]]):
        import multiprocessing

        # spawn: a fresh interpreter per worker; forking a process that already ran torch is unsafe.
        self.pool = ProcessPoolExecutor(max_workers=parallel, mp_context=multiprocessing.get_context("spawn"))
        self.trial = trial
        self.history = history

    def __call__(self, requests, done) -> None:
        # Every trial of a block sees the same history: the trials of the blocks before it.
        history = curves_only(self.history())
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
