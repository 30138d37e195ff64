"""The plots of report.html, drawn with matplotlib (Agg, no display) into PNG bytes.

Each function takes plain data read from the run directory and returns a ``Plot`` (the PNG
and how many points it draws), or None when there is nothing to draw: the report then
says so in words instead of showing an empty axis.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from typing import Any, Optional, Sequence

from genautoml.direction import Direction

#: inches at 100 dpi: 1000 px wide, readable in a 1280 px window
_WIDTH, _HEIGHT, _DPI = 10.0, 3.6, 100


@dataclass(frozen=True)
class Plot:
    png: bytes
    points: int


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _finish(fig, points: int) -> Plot:
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png", dpi=_DPI)
    _pyplot().close(fig)
    return Plot(buffer.getvalue(), points)


def _colors(families: Sequence[str]) -> dict[str, Any]:
    palette = _pyplot().get_cmap("tab10")
    return {family: palette(i % 10) for i, family in enumerate(sorted(set(families)))}


def budget_plot(rows: list[tuple[str, Optional[float], Optional[float]]]) -> Optional[Plot]:
    """Planned against spent seconds per stage: ``rows`` of (stage, budget, seconds)."""
    rows = [(stage, budget, spent) for stage, budget, spent in rows if budget is not None or spent]
    if not rows:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(_WIDTH, 2.6))
    positions = range(len(rows))
    ax.barh([p + 0.2 for p in positions], [b or 0 for _, b, _ in rows], height=0.4, color="#c8d6e5", label="planned")
    ax.barh([p - 0.2 for p in positions], [s or 0 for _, _, s in rows], height=0.4, color="#2e86de", label="spent")
    ax.set_yticks(list(positions), [stage for stage, _, _ in rows])
    ax.invert_yaxis()
    ax.set_xlabel("seconds")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return _finish(fig, 2 * len(rows))


def best_so_far(trials: list[dict[str, Any]], direction: str, family: Optional[str] = None):
    """(cumulative trial seconds, trial number, best figure so far) at each scored trial of
    ``family`` (None: every family), in the order the trials finished."""
    direction = Direction(direction)
    elapsed, best, series = 0.0, None, []
    for number, trial in enumerate(trials, start=1):
        elapsed += trial.get("seconds") or 0.0
        figure = trial.get("figure")
        if (family is None or trial["family"] == family) and figure is not None and math.isfinite(figure):
            best = figure if best is None else direction.best(best, figure)
            series.append((elapsed, number, best))
    return series


def history_plot(trials: list[dict[str, Any]], direction: str, metric: str, floor: Optional[float]) -> Optional[Plot]:
    """Best figure so far against cumulative trial seconds and against trial count, per
    family and over all. ``trials``: dicts with family, seconds, figure (None when it has none)."""
    overall = best_so_far(trials, direction)
    if not overall:
        return None
    plt = _pyplot()
    fig, (by_time, by_count) = plt.subplots(1, 2, figsize=(_WIDTH, _HEIGHT))
    colors = _colors([t["family"] for t in trials])
    for family in [None, *sorted(colors)]:
        series = best_so_far(trials, direction, family)
        if series:
            seconds, numbers, best = zip(*series)
            style = {"color": "black", "linewidth": 2, "label": "all"} if family is None else \
                {"color": colors[family], "linestyle": "--", "label": family}
            by_time.step(seconds, best, where="post", **style)
            by_count.step(numbers, best, where="post", **style)
    for ax, label in ((by_time, "cumulative trial seconds"), (by_count, "trial")):
        if floor is not None:
            ax.axhline(floor, color="grey", linestyle=":", label="real data")
        ax.set_xlabel(label)
        ax.set_ylabel(f"best {metric} so far")
    by_count.legend(fontsize=8)
    return _finish(fig, len(overall))


def curves_plot(trials: list[dict[str, Any]], metric: str) -> Optional[Plot]:
    """Every trial's learning curve on its first fold, coloured by family; a cross where a
    trial was stopped (pruned or timed out), a dot where it finished."""
    curves = [t for t in trials if t.get("curve")]
    if not curves:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(_WIDTH, _HEIGHT))
    colors = _colors([t["family"] for t in curves])
    points = 0
    for trial in curves:
        epochs, figures = zip(*trial["curve"])
        color = colors[trial["family"]]
        ax.plot(epochs, figures, color=color, alpha=0.6, linewidth=1)
        ax.plot(epochs[-1], figures[-1], marker="o" if trial["status"] == "ok" else "x", color=color)
        points += len(epochs)
    for family, color in colors.items():
        ax.plot([], [], color=color, label=family)
    ax.plot([], [], "kx", label="stopped"), ax.plot([], [], "ko", label="finished")
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(_pyplot().matplotlib.ticker.ScalarFormatter())
    ax.set_xlabel("epoch")
    ax.set_ylabel(metric)
    ax.legend(fontsize=8)
    return _finish(fig, points)


def parameters_plot(trials: list[dict[str, Any]], direction: str, metric: str, top: int = 12) -> Optional[Plot]:
    """Parallel coordinates of the numeric hyperparameters of one family's best ``top``
    trials, each axis scaled to its range (log for ranges over two decades), coloured by figure."""
    direction = Direction(direction)
    scored = sorted((t for t in trials if t.get("figure") is not None), key=lambda t: direction.loss(t["figure"]))[:top]
    names = sorted({k for t in scored for k, v in t["params"].items() if isinstance(v, (int, float)) and not isinstance(v, bool)})
    if len(scored) < 2 or not names:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(_WIDTH, _HEIGHT))
    columns = [_scaled([t["params"].get(n) for t in scored]) for n in names]
    figures = [t["figure"] for t in scored]
    low, high = min(figures), max(figures)
    cmap = plt.get_cmap("viridis_r" if direction is Direction.MINIMIZE else "viridis")
    for row, trial in enumerate(scored):
        shade = cmap(0.0 if high == low else (trial["figure"] - low) / (high - low))
        ax.plot(range(len(names)), [column[row] for column in columns], color=shade, marker="o", alpha=0.8)
    ax.set_xticks(range(len(names)), names, rotation=20)
    ax.set_yticks([0, 1], ["low", "high"])
    mappable = plt.cm.ScalarMappable(cmap=cmap, norm=plt.Normalize(low, high))
    fig.colorbar(mappable, ax=ax, label=metric)
    return _finish(fig, len(scored) * len(names))


def _scaled(values: list[Any]) -> list[float]:
    """Values in [0, 1] over their range; log-scaled when they span two decades; 0.5 for a
    value a trial does not have or a constant column."""
    present = [float(v) for v in values if isinstance(v, (int, float))]
    if not present:
        return [0.5] * len(values)
    use_log = min(present) > 0 and max(present) / min(present) >= 100
    lift = (lambda v: math.log10(v)) if use_log else (lambda v: v)
    low, high = lift(min(present)), lift(max(present))
    return [0.5 if not isinstance(v, (int, float)) or high == low else (lift(float(v)) - low) / (high - low) for v in values]
