"""What the command line prints for an error, and the exit code it picks: 0 done, 1 internal
error, 2 bad input, 130 interrupted (Ctrl-C), 143 terminated (SIGTERM); after either of
the last two, the command printed resumes. Every command runs inside ``errors()``."""

from __future__ import annotations

import os
import signal
import sys
import threading
from contextlib import contextmanager
from typing import Any, Iterator, Optional

import typer
from typer.core import TyperGroup

try:  # typer 0.2x carries its own copy of click, whose exceptions are the ones raised
    from typer._click import exceptions as click_errors
except ImportError:  # older typer: click itself
    from click import exceptions as click_errors

#: whether errors show their traceback (``--debug``, ``GENAUTOML_DEBUG``); set per invocation
state = {"debug": bool(os.environ.get("GENAUTOML_DEBUG"))}


class OneLineUsageErrors(TyperGroup):
    """A bad option value or a missing argument is bad input like any other: one ``error:``
    line and exit 2, instead of click's usage block in a box."""

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            # Not standalone: click hands us its errors, and returns exit codes, instead of exiting.
            code = super().main(*args, standalone_mode=False, **kwargs)
        except click_errors.NoArgsIsHelpError as exc:  # the help, not an error
            exc.show()
            sys.exit(exc.exit_code)
        except click_errors.ClickException as exc:
            where = exc.ctx.command_path if getattr(exc, "ctx", None) else "genautoml"
            typer.echo(f"error: {exc.format_message()} (see: {where} -h)", err=True)
            sys.exit(exc.exit_code)
        except typer.Abort:
            typer.echo("aborted", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


def _err(message: str) -> None:
    typer.echo(message, err=True)


def _terminate(signum, frame) -> None:
    from genautoml.errors import Terminated

    raise Terminated()


@contextmanager
def errors(resume_hint: Optional[str] = None, debug: bool = False) -> Iterator[None]:
    from genautoml.errors import GenautomlError, Terminated

    if debug:  # --debug after the command
        state["debug"] = True

    # SIGTERM ends a command the way Ctrl-C does (only the main thread may set a handler;
    # the previous one comes back afterwards, for callers that run commands in-process).
    previous = signal.signal(signal.SIGTERM, _terminate) if threading.current_thread() is threading.main_thread() else None
    try:
        yield
    except GenautomlError as exc:
        if state["debug"]:
            raise
        for line in exc.lines():
            _err(f"error: {line}")
        raise typer.Exit(exc.exit_code)
    except KeyboardInterrupt as exc:
        hint = f"; resume with: {resume_hint}" if resume_hint else ""
        what = "terminated (SIGTERM)" if isinstance(exc, Terminated) else "interrupted"
        _err(f"{what}: finished work is saved{hint}")
        raise typer.Exit(143 if isinstance(exc, Terminated) else 130)
    except typer.Exit:
        raise
    except PermissionError as exc:
        # A file or folder this user may not read or write (a read-only run directory found
        # mid-run, an unreadable data file): the user's setting to change, so bad input.
        if state["debug"]:
            raise
        _err(f"error: {exc.filename or exc}: permission denied; make it readable and writable for this user or "
             "choose another path (files written before this are intact)")
        raise typer.Exit(2)
    except OSError as exc:
        # A full disk or a failed write: finished files are intact (every write is atomic).
        if state["debug"]:
            raise
        where = f"{exc.filename}: " if exc.filename else ""
        _err(f"error: {where}{exc.strerror or exc} (files written before this are intact)")
        raise typer.Exit(1)
    except Exception as exc:
        if state["debug"]:
            raise
        _err(f"internal error: {exc.__class__.__name__}: {exc} (run with --debug for the traceback)")
        raise typer.Exit(1)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
