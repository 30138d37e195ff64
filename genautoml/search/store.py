"""``trials.jsonl``: the append-only source of truth of a search.

One JSON object per finished trial, appended and fsynced as the trial ends. A last line
cut in half by a crash is skipped with a warning; everything before it is kept.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Callable, Optional

from genautoml import atomic
from genautoml.errors import RunDirError
from genautoml.records import TrialRecord


class TrialStore:
    def __init__(self, path: Path, warn: Optional[Callable[[str], None]] = None):
        self.path = Path(path)
        self.warn = warn or (lambda message: None)

    def load(self) -> list[TrialRecord]:
        if not self.path.exists():
            return []
        records = []
        lines = self.path.read_bytes().split(b"\n")
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = TrialRecord.from_json(json.loads(line))
            except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError, ValueError):
                is_last = all(not rest.strip() for rest in lines[number:])
                if is_last:
                    self.warn(f"{self.path}:{number}: ignoring a trial record cut short by an interruption")
                    # Drop the partial line so the next append starts on a clean line.
                    atomic.write_bytes(self.path, b"".join(line + b"\n" for line in lines[: number - 1] if line.strip()))
                    break
                raise RunDirError(f"{self.path}:{number}: not a valid trial record; the file is damaged") from None
            records.append(record)
        return records

    def append(self, record: TrialRecord) -> None:
        atomic.append_line(self.path, json.dumps(_finite(record.to_json()), allow_nan=False))


def _finite(value: Any) -> Any:
    """JSON has no NaN: a non-finite figure is stored as null (the status says why)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value
