"""The console view: stage headers, tables, one line per trial. Rich on a terminal,
plain text in CI logs (rich turns colours and live parts off when not a terminal).

It implements the pipeline's ``Events`` protocol; the CLI hands it to the stages.
"""

from __future__ import annotations

import os
import time
from typing import Any, Iterable, Optional, Sequence

from rich.console import Console
from rich.table import Table

from genautoml.pipeline.events import EpochProgress, TrialProgress, WorkProgress

#: columns of output that is not a terminal (a log file, a pipe, CI)
LOG_WIDTH = 250
#: seconds of silence, on a terminal and in a log, before a progress line says what trains
HEARTBEAT = {True: 3.0, False: 10.0}


def fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


class ConsoleView:
    def __init__(self, console: Optional[Console] = None, quiet: bool = False):
        self.console = console or Console(highlight=False, soft_wrap=True)
        if not self.console.is_terminal and "COLUMNS" not in os.environ:
            # In a log or a pipe there is no screen to fit: rich would cut tables to 80
            # columns (and a failed family's reason to nothing). COLUMNS still sets a width.
            self.console.width = LOG_WIDTH
        self.quiet = quiet
        self.started = time.time()
        self.last_line = time.monotonic()  # when anything was last printed

    # ---- Events ---------------------------------------------------------------------
    def stage(self, name: str, detail: str = "") -> None:
        if not self.quiet:
            self.console.rule(f"[bold]{name}[/bold] {detail}".strip(), align="left")
            self.last_line = time.monotonic()

    def note(self, message: str) -> None:
        if not self.quiet:
            self.console.print(message, markup=False)
            self.last_line = time.monotonic()

    def warn(self, message: str) -> None:
        self.console.print(f"warning: {message}", style="yellow", markup=False)

    def trial(self, progress: TrialProgress) -> None:
        if not self.quiet:
            self.console.print(trial_line(progress, time.time() - self.started), markup=False)
            self.last_line = time.monotonic()

    def epoch(self, progress: EpochProgress) -> None:
        """A progress line when nothing was printed for a while (training is long and quiet)."""
        self._heartbeat(epoch_line(progress, time.time() - self.started))

    def work(self, progress: WorkProgress) -> None:
        self._heartbeat(f"  ... {progress.label}: {progress.done} of {progress.total} {progress.unit} | "
                        f"{time.time() - self.started:.0f}s")

    def _heartbeat(self, line: str) -> None:
        if self.quiet or time.monotonic() - self.last_line < HEARTBEAT[self.console.is_terminal]:
            return
        self.console.print(line, markup=False, style="dim")
        self.last_line = time.monotonic()

    def result(self, stage: str, artifact: dict[str, Any]) -> None:
        """A stage's result, as each stage finishes (not with --quiet: see ``show``)."""
        if not self.quiet:
            self.show(stage, artifact)

    def show(self, stage: str, artifact: dict[str, Any]) -> None:
        """A stage's result table, quiet or not (what a command was asked for)."""
        from genautoml.views.stages import STAGE_VIEWS

        STAGE_VIEWS[stage](self, artifact)

    # ---- drawing --------------------------------------------------------------------
    def table(self, title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        table = Table(title=title, title_justify="left")
        for column in columns:
            table.add_column(column)
        for row in rows:
            table.add_row(*[fmt(v) for v in row])
        self.console.print(table)


def epoch_line(progress: EpochProgress, elapsed: float) -> str:
    """``  ... gan, fold 2/3: epoch 40 of 120 (last scored 1.23) | 57s``."""
    fold = f", fold {progress.fold + 1}/{progress.folds}" if progress.fold is not None and progress.folds else ""
    of = f" of {progress.epochs}" if progress.epochs else ""
    scored = f" (last scored {fmt(progress.figure)})" if progress.figure is not None else ""
    return f"  ... {progress.label}{fold}: epoch {progress.epoch}{of}{scored} | {elapsed:.0f}s"


def trial_line(progress: TrialProgress, elapsed: float) -> str:
    """``[done/total] family figure status seconds | best ... | elapsed ... | params``."""
    record, best = progress.record, progress.best
    params = ", ".join(f"{k}={fmt(v)}" for k, v in sorted(record.params.items()))
    status = record.status.value if record.ok else f"{record.status.value} ({record.error or ''})"
    best_text = f"best {fmt(best.figure)} ({progress.best_label or best.family} #{best.id})" if best else "best -"
    extra = ""
    if progress.counts:
        counts = progress.counts
        extra += f" pruned {counts.get('pruned', 0)} failed {counts.get('failed', 0) + counts.get('timed_out', 0)}"
    if progress.remaining is not None:
        extra += f" left {progress.remaining:.0f}s"
    if progress.per_family and len(progress.per_family) > 1:
        extra += " | best per family " + ", ".join(f"{k} {fmt(v)}" for k, v in progress.per_family.items())
    return (f"[{progress.done}/{progress.total}] {progress.label or record.family} {fmt(record.figure)} {status} "
            f"{record.seconds:.1f}s | {best_text} | {elapsed:.0f}s{extra} | {params}")
