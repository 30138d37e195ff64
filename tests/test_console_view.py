"""The console view's progress lines: long, quiet training says what it is doing."""

from __future__ import annotations

import io

from rich.console import Console

from genautoml.pipeline.events import EpochProgress
from genautoml.views import console as console_module
from genautoml.views.console import ConsoleView, epoch_line

PROGRESS = EpochProgress("gan", epoch=40, epochs=120, fold=1, folds=3, figure=1.2345)


def _view(quiet=False):
    out = io.StringIO()
    return ConsoleView(Console(file=out, highlight=False, soft_wrap=True), quiet=quiet), out


def test_the_progress_line_says_what_trains_and_where_it_is():
    assert epoch_line(PROGRESS, 57.0) == "  ... gan, fold 2/3: epoch 40 of 120 (last scored 1.234) | 57s"
    assert epoch_line(EpochProgress("final training", 7), 3.0) == "  ... final training: epoch 7 | 3s"


def test_a_progress_line_comes_only_after_a_silence(monkeypatch):
    view, out = _view()
    view.epoch(PROGRESS)  # something was just printed (the view was made): no line yet
    assert out.getvalue() == ""
    monkeypatch.setattr(console_module, "HEARTBEAT", {True: 0.0, False: 0.0})
    view.epoch(PROGRESS)
    assert "epoch 40 of 120" in out.getvalue()
    quiet, quiet_out = _view(quiet=True)
    quiet.epoch(PROGRESS)
    assert quiet_out.getvalue() == ""


def test_output_that_is_not_a_terminal_keeps_whole_rows():
    view, out = _view()
    view.table("t", ["family", "status"], [("gan", "failed: " + "a long reason " * 12)])
    assert ("failed: " + "a long reason " * 12).strip() in out.getvalue()  # on one line, whole
    assert "…" not in out.getvalue()
