"""Shared by the benchmarks: the machine, results files, and docs/benchmarks.md sections.

Timings are ratios measured in one run on one machine; absolute seconds are context only.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import statistics
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any, Iterable

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DOC = ROOT / "docs" / "benchmarks.md"


def machine() -> dict[str, Any]:
    import torch

    device = "cuda: " + torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"
    return {
        "date": date.today().isoformat(),
        "cores": os.cpu_count(),
        "device": device,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "platform": platform.platform(terse=True),
    }


def command_line() -> str:
    return " ".join(["python", "-m", "bench.run", *sys.argv[1:]])


def save(name: str, result: dict[str, Any]) -> Path:
    from genautoml import atomic

    RESULTS.mkdir(parents=True, exist_ok=True)
    return atomic.write_json(RESULTS / f"{name}.json", result)


def median_range(values: Iterable[float], digits: int = 3) -> str:
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    fmt = f"{{:.{digits}g}}"
    med = fmt.format(statistics.median(values))
    if len(values) == 1:
        return med
    return f"{med} ({fmt.format(min(values))}–{fmt.format(max(values))})"


def table(columns: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        lines.append("| " + " | ".join(str(v) for v in row) + " |")
    return "\n".join(lines)


def write_section(name: str, title: str, body: str, info: dict[str, Any]) -> None:
    """Replace (or append) the section ``name`` of docs/benchmarks.md."""
    from genautoml import atomic

    header = (
        f"## {title}\n\n"
        f"Command: `{info['command']}`  \n"
        f"Date: {info['machine']['date']}; machine: {info['machine']['cores']} cores, device {info['machine']['device']}, "
        f"torch {info['machine']['torch']}; wall time of this benchmark {info['seconds']:.0f} s.\n\n"
    )
    section = f"<!-- bench:{name}:start -->\n{header}{body.strip()}\n<!-- bench:{name}:end -->"
    fresh = "# Benchmarks\n\nWritten by `make bench` / `make bench-quick` (bench/run.py); each section by its own benchmark.\n"
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else fresh
    pattern = re.compile(rf"<!-- bench:{re.escape(name)}:start -->.*?<!-- bench:{re.escape(name)}:end -->", re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: section, text)
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    DOC.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_text(DOC, text)


class Stopwatch:
    def __enter__(self) -> "Stopwatch":
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.seconds = time.perf_counter() - self.start


def fresh_dir(path: Path) -> Path:
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


#: the ``device:`` every benchmark's config runs on (bench/run.py --device); "auto" takes
#: CUDA where there is one, so the same harness measures an accelerator unchanged
DEVICE = "auto"


def context(config: Path, overrides: list[str], run_dir: Path):
    """A pipeline context writing into ``run_dir``, quiet, on DEVICE."""
    from genautoml.pipeline.context import open_context
    return open_context(config, [f"device={DEVICE}", *overrides], str(run_dir))


def on_accelerator() -> bool:
    import torch

    return DEVICE != "cpu" and torch.cuda.is_available()


def claim(ctx) -> None:
    from genautoml.pipeline.context import claim_run_dir

    claim_run_dir(ctx, force=False)
