"""What people see: stage headers, tables, one line per trial. Rich on a terminal,
plain text in CI logs (rich turns colours and live parts off when not a terminal)."""

from __future__ import annotations

import time
from typing import Any, Iterable, Optional, Sequence

from rich.console import Console
from rich.table import Table


def fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


class UI:
    def __init__(self, console: Optional[Console] = None, quiet: bool = False):
        self.console = console or Console(highlight=False, soft_wrap=True)
        self.quiet = quiet
        self.started = time.time()

    def stage(self, name: str, detail: str = "") -> None:
        if not self.quiet:
            self.console.rule(f"[bold]{name}[/bold] {detail}".strip(), align="left")

    def note(self, message: str) -> None:
        if not self.quiet:
            self.console.print(message, markup=False)

    def warn(self, message: str) -> None:
        self.console.print(f"warning: {message}", style="yellow", markup=False)

    def table(self, title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        table = Table(title=title, title_justify="left")
        for column in columns:
            table.add_column(column)
        for row in rows:
            table.add_row(*[fmt(v) for v in row])
        self.console.print(table)

    def trial(self, record: dict[str, Any], done: int, total: int, best: dict[str, Any] | None,
              remaining: Optional[float] = None, counts: Optional[dict[str, int]] = None,
              per_family: Optional[dict[str, float]] = None) -> None:
        if self.quiet:
            return
        elapsed = time.time() - self.started
        params = ", ".join(f"{k}={fmt(v)}" for k, v in sorted(record["params"].items()))
        status = record["status"] if record["status"] == "ok" else f"{record['status']} ({record.get('error') or ''})"
        best_text = f"best {fmt(best['figure'])} ({best['family']} #{best['id']})" if best else "best -"
        extra = ""
        if counts:
            extra += f" pruned {counts.get('pruned', 0)} failed {counts.get('failed', 0) + counts.get('timed_out', 0)}"
        if remaining is not None:
            extra += f" left {remaining:.0f}s"
        if per_family and len(per_family) > 1:
            extra += " | best per family " + ", ".join(f"{k} {fmt(v)}" for k, v in per_family.items())
        self.console.print(
            f"[{done}/{total}] {record['family']} {fmt(record.get('figure'))} {status} "
            f"{record.get('seconds', 0):.1f}s | {best_text} | {elapsed:.0f}s{extra} | {params}",
            markup=False,
        )
