"""cv's trainings kept between rungs: a later rung continues them instead of starting again.

Why: successive halving trains the families still in the race at epochs x1, x2, x4, ... of
their defaults. Started from scratch, a family that reaches x4 has trained 1 + 2 + 4 = 7
units; continued, 4 (Hyperband and ASHA pause and resume trials for the same reason). So
the same share of the budget reaches higher fidelities, where a slow starter can overtake.

How: a family whose epochs are alike (``extends_epochs``) leaves at every epoch the model a
run of that many epochs would (its schedule does not read the planned length), so one fit
planned at the race's longest length can stand in for every rung. It runs in its own thread
and waits inside its epoch report when it reaches a rung's epochs; the cv loop scores the
model as it stands and either lets it go on to the next rung or ends it. Only one thread
ever runs at a time (strict hand-over), and a training keeps its own random-number state
across a pause (the scoring in between draws from the same global generators), so a
continued rung gives exactly the records a rung trained from scratch gives. That is also
why a resumed cv, which has no kept trainings, may start them again and still decides the
same.
"""

from __future__ import annotations

import queue
import random
import threading
from dataclasses import dataclass
from typing import Any, Callable, Optional

import numpy as np

from genautoml.errors import CutShort

Report = Callable[[int], None]


class Ended(BaseException):
    """Raised inside a kept training's thread to end its fit (a BaseException, so no
    family's ``except Exception`` swallows it)."""


def _torch_threads() -> int:
    import torch

    return torch.get_num_threads()


def _random_state() -> tuple[Any, ...]:
    import torch

    cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_available() and torch.cuda.is_initialized() else None
    return torch.get_rng_state(), np.random.get_state(), random.getstate(), cuda


def _restore(state: tuple[Any, ...]) -> None:
    import torch

    cpu, numpy_state, python_state, cuda = state
    torch.set_rng_state(cpu)
    np.random.set_state(numpy_state)
    random.setstate(python_state)
    if cuda is not None:
        torch.cuda.set_rng_state_all(cuda)


@dataclass
class Stop:
    """Where a kept training stands after ``run_to``: its epochs, and whether its fit ended
    (it trained every planned epoch; it cannot go on)."""

    epochs: int
    finished: bool


class KeptTraining:
    """One fit in its own thread, run rung by rung: ``run_to(epochs, hook)`` lets it train up
    to ``epochs`` (``hook(epoch)`` after each; it may raise ``CutShort`` to stop there, anything
    else ends the training and is raised to the caller), then waits."""

    def __init__(self, fit: Callable[[Report], Any], model: Any, scorer: Any):
        self.model, self.scorer = model, scorer  # what the caller scores, and with what, while the fit waits
        self.epochs = 0
        self._fit = fit
        self._target = 0
        self._hook: Callable[[int], None] = lambda epoch: None
        self._commands: queue.Queue = queue.Queue()
        self._events: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._main, name="genautoml-kept-training", daemon=True)
        self._ended = self._ending = False
        self._threads = _torch_threads()

    @property
    def alive(self) -> bool:
        return not self._ended

    def run_to(self, epochs: int, hook: Callable[[int], None]) -> Stop:
        if self._ended:
            raise RuntimeError("this training has ended")
        if epochs <= self.epochs:
            return Stop(self.epochs, False)
        if self._thread.is_alive():
            self._commands.put((epochs, hook))
        else:
            self._target, self._hook = epochs, hook
            self._thread.start()
        kind, value = self._events.get()
        if kind == "raised":
            self._ended = True
            raise value
        if kind == "finished":
            self._ended = True
        return Stop(self.epochs, kind == "finished")

    def end(self) -> None:
        """Ends the fit (its thread unwinds and exits) and waits for it: at once if it waits,
        else after the epoch it is in (an interrupted cv must not wait for a whole rung)."""
        self._ending = True
        if self._thread.is_alive():
            self._commands.put(None)
            self._thread.join()
        self._ended = True

    # ---- inside the thread --------------------------------------------------------------
    def _report(self, epoch: int) -> None:
        if self._ending:
            raise Ended
        self.epochs = epoch
        try:
            self._hook(epoch)
        except CutShort:  # the rung ends here (cv's first rung, cut to its share)
            self._wait()
            return
        if self._ending:
            raise Ended
        if epoch >= self._target:
            self._wait()

    def _wait(self) -> None:
        state = _random_state()  # the caller's scoring draws from the same generators
        self._events.put(("paused", self.epochs))
        command = self._commands.get()
        if command is None:
            raise Ended
        self._target, self._hook = command
        _restore(state)

    def _main(self) -> None:
        import torch

        # A new thread starts with OpenMP's default team (every core), not the caller's
        # setting; other thread counts reduce sums in another order, and change the bits.
        torch.set_num_threads(self._threads)
        try:
            self._fit(self._report)
        except Ended:
            return
        except BaseException as exc:  # handed to the caller, raised there
            self._events.put(("raised", exc))
            return
        self._events.put(("finished", self.epochs))


@dataclass
class Keep:
    """Where a fold's training is kept: in ``trainings``, under (family, ``fold``)."""

    trainings: "KeptTrainings"
    fold: int


class KeptTrainings:
    """cv's kept trainings, one per (family, fold); ``close`` ends them all. ``planned``: the
    families whose trainings are kept (their epochs are alike and scaled by the fidelity),
    each with the epochs a new training is planned at, the longest any rung may ask of it."""

    def __init__(self, planned: dict[str, int]) -> None:
        self.planned = planned
        self._open: dict[tuple[str, int], KeptTraining] = {}
        #: closed: no training is kept any more (later trials train as if none were)
        self.closed = False

    def get(self, family: str, fold: int) -> Optional[KeptTraining]:
        kept = self._open.get((family, fold))
        return kept if kept is not None and kept.alive else None

    def put(self, family: str, fold: int, training: KeptTraining) -> None:
        old = self._open.get((family, fold))
        if old is not None:
            old.end()
        self._open[family, fold] = training

    def keep_only(self, families: list[str]) -> None:
        """Ends the trainings of every family not in ``families`` (it left the race)."""
        for (family, fold) in list(self._open):
            if family not in families:
                self._open.pop((family, fold)).end()

    def epochs(self, family: str) -> Optional[int]:
        """The epochs every kept training of ``family`` stands at (None: none kept, or they differ)."""
        counts = {kept.epochs for (name, _), kept in self._open.items() if name == family and kept.alive}
        return counts.pop() if len(counts) == 1 else None

    def keeps(self, family: str) -> bool:
        """Whether a training of ``family`` is to be kept."""
        return not self.closed and family in self.planned

    def close(self) -> None:
        self.keep_only([])
        self.closed = True
