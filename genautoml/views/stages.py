"""How each stage's artifact is shown: one function per stage of genautoml/pipeline/stages.py."""

from __future__ import annotations

from typing import Any, Callable, Optional

from genautoml.views.console import ConsoleView
from genautoml.words import count

#: what a leaderboard's "real data" row is
FLOOR_NOTE = "the floor at these sizes"


def better_word(direction: Optional[str]) -> str:
    """"min" or "max"; "-" for a figure with no better direction (read it against its floor)."""
    return direction.replace("imize", "") if direction else "-"


def show_data(view: ConsoleView, artifact: dict[str, Any]) -> None:
    rows = [(k, v) for k, v in artifact.items() if k not in ("key", "test_index", "split", "schema")]
    rows += [(f"split.{k}", v) for k, v in artifact["split"].items()]
    view.table("data", ["", "value"], rows)
    if "schema" in artifact:  # a table's columns, one row each
        view.table("columns", ["column", "type", "missing", "values"],
                   [(name, c["type"], f"{c['missing']:.1%}",
                     f"{c['categories']} categories" if "categories" in c else " to ".join(map(_value, c["range"])))
                    for name, c in artifact["schema"].items()])


def _value(value: Any) -> str:
    return f"{value:g}" if isinstance(value, (int, float)) else str(value)


def show_cv(view: ConsoleView, artifact: dict[str, Any]) -> None:
    names = sorted({n for row in artifact["leaderboard"] for n in row["metrics"]} - {artifact["metric"]})
    rows = [
        (row["rank"], row["family"], _epochs(row), row["figure"], row["std"],
         *[row["metrics"].get(n) for n in names],
         row["seconds"], row["status"] if row["status"] == "ok" else f"{row['status']}: {row['error']}")
        for row in artifact["leaderboard"]
    ]
    floor = artifact.get("floor")
    if floor:  # what real training examples score on the same folds: read the figures against it
        rows.append(("", "real data", "", floor.get(artifact["metric"]), None, *[floor.get(n) for n in names], None,
                     FLOOR_NOTE))
    view.table(
        f"cv leaderboard ({artifact['metric']}, {artifact['direction']}; mean over folds)",
        ["rank", "family", "epochs", artifact["metric"], "±", *names, "seconds", "status"], rows,
    )
    if "stopped_by" in artifact:
        ruled_out = []
        if artifact.get("c2st_max") is not None and any("c2st" in r["metrics"] for r in artifact["leaderboard"]):
            ruled_out.append(f"samples a classifier tells from real ones (c2st >= {artifact['c2st_max']:g})")
        if artifact.get("dcr_min") is not None and any("dcr_ratio" in r["metrics"] for r in artifact["leaderboard"]):
            ruled_out.append(f"samples nearer the training rows than real unseen rows (dcr_ratio < {artifact['dcr_min']:g})")
        guard = f"last {' or '.join(ruled_out)}, the others " if ruled_out else ""
        view.note(f"cv: fidelity raised until {artifact['stopped_by']}; ranked {guard}by the highest rung reached, "
                  "then by the figure there")


def _epochs(row: dict[str, Any]) -> str:
    """Epochs trained and the fidelity, e.g. ``240 (x2)``; '-' for families without epochs."""
    if row.get("epochs") is None:
        return "-"
    return f"{row['epochs']} (x{row['fidelity']})" if row.get("fidelity") else str(row["epochs"])


def show_tune(view: ConsoleView, artifact: dict[str, Any]) -> None:
    rows = [(f, b["figure"], b["id"], ", ".join(f"{k}={v}" for k, v in sorted(b["params"].items())))
            for f, b in artifact["best_per_family"].items()]
    metric = artifact["metric"]
    view.table(f"tune: best per family ({metric}, holdout fold)", ["family", metric, "trial", "params"],
               rows + _floor_row(artifact.get("floor"), lambda floor: ("real data", floor, "", FLOOR_NOTE)))
    chosen = artifact["chosen"]
    all_folds = artifact.get("floor_all_folds")
    floor = f" (real data: {all_folds:.4g})" if all_folds is not None else ""
    view.note(
        f"chosen: {chosen['family']} ({chosen['source']}) {metric} {chosen['figure']:.4g} on all folds{floor}; "
        f"trials {artifact['trials']} {artifact['counts']}, stopped by {artifact['stopped_by']}"
    )


def show_features(view: ConsoleView, artifact: dict[str, Any]) -> None:
    metric = artifact["metric"]
    rows = [(r["rank"], r["feature"], r["figure"], r["status"]) for r in artifact["leaderboard"]]
    view.table(f"features ({metric}, mean over folds)", ["rank", "representation", metric, "status"],
               rows + _floor_row(artifact.get("floor"), lambda floor: ("", "real data", floor, FLOOR_NOTE)))
    view.note(f"chosen representation: {artifact['chosen_label']}")


def show_metrics(view: ConsoleView, artifact: dict[str, Any]) -> None:
    """The train stage's test metrics (metrics.json), or ``evaluate``'s."""
    directions, floor = artifact.get("directions", {}), artifact.get("floor") or {}
    scored = artifact.get("scored_examples", artifact["test_examples"])
    title = artifact.get("title") or (
        f"test metrics: {artifact['family']} ({scored} of {count(artifact['test_examples'], 'held-out example')})")
    intervals = (artifact.get("intervals") or {}).get("metrics", {})
    level = f"{(artifact.get('intervals') or {}).get('level', 0.9):.0%} interval"
    view.table(title, ["metric", "value", level, "real data", "better"],
               [(name, value, _interval(intervals.get(name)), floor.get(name), better_word(directions.get(name)))
                for name, value in artifact["metrics"].items()])
    if floor:
        view.note("real data: as many training examples as samples, scored against the same held-out "
                  "examples (the figure's floor at this size)")
    draws = artifact.get("draws", 1)
    if draws > 1:
        view.note(f"sample figures: the mean over {draws} draws of {scored} samples, each scored against the "
                  f"same held-out examples (one draw of so few is noisy)")
    sampling = artifact.get("sampling")
    if sampling:
        view.note(f"sampling: {sampling['per_second']:.4g} samples per second on {sampling['device']} "
                  f"({sampling['samples']} drawn and decoded in {sampling['seconds']:.3g} s)")


def _floor_row(floor: Optional[float], row: Callable[[float], tuple]) -> list[tuple]:
    """A leaderboard's last row, ``row(floor)``: real data's figure on the same folds and
    subsets; none when the figure has no floor (likelihoods)."""
    return [] if floor is None else [row(floor)]


def _interval(bounds: Optional[list[float]]) -> str:
    return f"{bounds[0]:.4g} to {bounds[1]:.4g}" if bounds else "-"


STAGE_VIEWS: dict[str, Callable[[ConsoleView, dict[str, Any]], None]] = {
    "data": show_data,
    "cv": show_cv,
    "tune": show_tune,
    "features": show_features,
    "train": show_metrics,
}
