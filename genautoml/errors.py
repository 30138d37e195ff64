"""Errors the user can act on.

Library code raises these; only the CLI (``genautoml/cli/errors.py``) prints them and picks the exit code.
Each message is one line that names the file or key path and says what is expected.
"""

from __future__ import annotations


class GenautomlError(Exception):
    """Base of every error caused by input the user controls (exit code 2)."""

    exit_code = 2

    def __init__(self, message: str, *, details: list[str] | None = None):
        super().__init__(message)
        self.message = message
        # Further problems of the same kind, one line each (e.g. every bad key of a config).
        self.details = list(details or [])

    def lines(self) -> list[str]:
        return [self.message, *self.details]


class ConfigError(GenautomlError):
    """The YAML config or a ``--set`` override is wrong."""


class DataError(GenautomlError):
    """The data named by the config cannot be used."""


class RunDirError(GenautomlError):
    """The run directory is missing something, is locked, or belongs to another config."""


class CheckpointError(GenautomlError):
    """A saved model cannot be loaded."""


class SearchFailed(GenautomlError):
    """Every trial failed; the message summarises why."""

    exit_code = 1


class TrialPruned(Exception):
    """Raised from a family's ``report`` callback to stop a trial early (not an error)."""


class CutShort(Exception):
    """Raised from an epoch report to end training at that epoch and score the model as it
    stands (only for families whose epochs are alike, ``extends_epochs``: stopping one early
    leaves the model it would have been at that epoch count)."""


class TrialTimeout(Exception):
    """Raised from ``report`` when a trial runs past ``search.trial_timeout``."""


class TrialDiverged(Exception):
    """Raised by a family when its loss becomes NaN or infinite; the trial is marked failed."""


class Terminated(KeyboardInterrupt):
    """SIGTERM (a CI job cancelled, ``kill``): handled like Ctrl-C, so finished work is kept,
    the lock released and the manifest says interrupted; the exit code is 143 (128 + 15)."""
