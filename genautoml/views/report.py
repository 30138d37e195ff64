"""report.html: one self-contained page of a run directory, for a person to look at.

Everything is inside the file (plots and sample pictures as PNG data URIs, sound as WAV
data URIs, no script, no stylesheet or font from elsewhere), so it opens offline and can be
mailed or attached to a CI job. It shows what exists: on an unfinished run the sections
whose stage has not run say so. Read-only over the run's files; ``write_report`` writes
the page atomically.
"""

from __future__ import annotations

import base64
import html
import itertools
import json
import os
from pathlib import Path
from typing import Any, Optional

from genautoml import atomic
from genautoml.errors import RunDirError
from genautoml.pipeline.runs import one_run
from genautoml.rundir import RunDir
from genautoml.views import report_plots as plots

#: most audio clips embedded as players (each is a WAV in the page)
MAX_CLIPS = 8
#: text samples longer than this are cut in the page (the full ones are in samples/)
MAX_TEXT = 2000
#: rows of a table's samples shown in the page (all of them are in samples/samples.csv)
MAX_ROWS = 15

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ddd; padding-bottom: .2em; margin-top: 2em; }
table { border-collapse: collapse; margin: .5em 0; font-size: .9em; }
th, td { border: 1px solid #ddd; padding: .25em .6em; text-align: left; }
th { background: #f4f6f8; } tr.floor td { color: #666; font-style: italic; }
img { max-width: 100%; } .note { color: #555; font-size: .9em; } pre { background: #f7f7f7; padding: .8em; overflow-x: auto; }
.clip { display: inline-block; margin: .3em; text-align: center; font-size: .8em; }
img.samples { image-rendering: pixelated; display: block; margin: .5em 0; }
.wide { overflow-x: auto; max-width: 100%; }
"""


REPORT = "report.html"


def write_report(run_dir: Path, out: Optional[Path] = None, *, overwrite: bool = False) -> Path:
    """Write the report of ``run_dir`` to ``out``, or to report.html inside it, taking the
    run's lock (one writer: a run being written by another process is refused, with the
    hint to write elsewhere). ``out`` that exists is refused unless ``overwrite``: it may be
    a user's file."""
    run_dir = Path(run_dir)
    one_run(run_dir)  # a folder that is no run directory is refused here, before anything is written
    if out is not None:
        out = Path(out)
        if out.is_dir():
            raise RunDirError(f"--out: {out} is a folder; expected the path of an .html file")
        if out.exists() and not overwrite:
            raise RunDirError(f"--out: {out} exists; pass --overwrite to replace it")
        return atomic.write_text(out, build_report(run_dir))
    run = RunDir(run_dir)
    holder = run.writer()
    if holder is not None and holder != os.getpid():
        raise RunDirError(f"{run_dir}: being written by process {holder}; pass --out FILE to write the report elsewhere")
    with run.locked():
        return atomic.write_text(run_dir / REPORT, build_report(run_dir))


def build_report(run_dir: Path) -> str:
    summary = one_run(run_dir)
    run = RunDir(run_dir)
    artifacts = {name: run.read_json(f"{name}.json") for name in ("cv", "tune", "features", "metrics")}
    manifest = run.manifest()
    trials = _trials(run_dir)
    sections = [
        _header(summary),
        _budget(manifest, summary),
        _cv(artifacts["cv"]),
        _search(trials, artifacts["tune"], artifacts["cv"]),
        _features(artifacts["features"]),
        _test(artifacts["metrics"]),
        _samples(run_dir, summary.get("modality")),
        _config(run_dir),
    ]
    title = html.escape(f"genautoml: {summary['name']}")
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>"
            f"<style>{_STYLE}</style></head><body>\n" + "\n".join(sections) + "\n</body></html>\n")


# ---- pieces --------------------------------------------------------------------------


def _esc(value: Any) -> str:
    return html.escape(str(value))


def _fmt(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return "-" if value is None else str(value)
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _table(columns: list[str], rows: list[list[Any]], floor_rows: int = 0) -> str:
    head = "".join(f"<th>{_esc(c)}</th>" for c in columns)
    body = []
    for i, row in enumerate(rows):
        css = ' class="floor"' if i >= len(rows) - floor_rows else ""
        body.append(f"<tr{css}>" + "".join(f"<td>{_esc(_fmt(v))}</td>" for v in row) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def _image(png: bytes, alt: str, css: str = "plot", points: Optional[int] = None) -> str:
    data = base64.b64encode(png).decode("ascii")
    extra = f' data-points="{points}"' if points is not None else ""
    return f'<img class="{css}" alt="{_esc(alt)}"{extra} src="data:image/png;base64,{data}">'


def _plot(plot: Optional[plots.Plot], alt: str, missing: str) -> str:
    if plot is None:
        return f'<p class="note">{_esc(missing)}</p>'
    return _image(plot.png, alt, points=plot.points)


def _section(title: str, *parts: str) -> str:
    return f"<section><h2>{_esc(title)}</h2>{''.join(parts)}</section>"


def _not_yet(title: str, stage: str) -> str:
    return _section(title, f'<p class="note">{_esc(stage)} has not run yet.</p>')


def _header(summary: dict[str, Any]) -> str:
    figure = "" if summary.get("figure") is None else (
        f"; test {_esc(summary['metric'])} <b>{_fmt(summary['figure'])}</b> "
        f"(real data {_fmt(summary.get('floor'))}, n={_esc(summary.get('scored_examples'))})")
    chosen = f"{summary['family']} on {summary.get('representation') or '-'}" if summary.get("family") else "not chosen yet"
    return (f"<h1>{_esc(summary['name'])}</h1><p>{_esc(summary.get('modality'))} &middot; "
            f"status <b>{_esc(summary['status'])}</b> &middot; chosen: {_esc(chosen)}{figure}</p>"
            f"<p class=\"note\">{_esc(summary['path'])} &middot; created {_esc(summary.get('created'))} "
            f"&middot; updated {_esc(summary.get('updated'))}</p>")


def _budget(manifest: dict[str, Any], summary: dict[str, Any]) -> str:
    stages = manifest.get("stages", {})
    rows = [[name, entry.get("status", "-"), entry.get("budget"), entry.get("seconds")] for name, entry in stages.items()]
    plan = manifest.get("plan") or {}
    budget = plan.get("time_budget")
    spent = summary.get("seconds")
    line = (f"<p>time budget {_fmt(budget)} s for the whole search; spent {_fmt(spent)} s in the stages. "
            f"{_esc(plan.get('rule', ''))}</p>" if budget else f"<p>no time budget; {_fmt(spent)} s in the stages.</p>")
    plot = plots.budget_plot([(name, entry.get("budget"), entry.get("seconds")) for name, entry in stages.items()])
    return _section("Budget: planned and spent", line, _table(["stage", "status", "budget s", "spent s"], rows),
                    _plot(plot, "budget per stage", "no stage has run yet."))


def _cv(cv: Optional[dict[str, Any]]) -> str:
    if cv is None:
        return _not_yet("Families compared (cv)", "cv")
    rows = [[r["rank"], r["family"], r.get("fidelity"), r.get("epochs"), r.get("figure"), r.get("std"),
             (r.get("metrics") or {}).get("c2st"), r["status"]] for r in cv.get("leaderboard", [])]
    floor = cv.get("floor") or {}
    if floor:
        rows.append(["", "real data", "", "", floor.get(cv["metric"]), "", floor.get("c2st"), "the floor at these sizes"])
    return _section("Families compared (cv)",
                    f"<p>{_esc(cv['metric'])}, mean over the folds ± spread, at the fidelity each family reached "
                    f"(x of its default epochs); stopped by: {_esc(cv.get('stopped_by', '-'))}.</p>",
                    _table(["rank", "family", "fidelity", "epochs", cv["metric"], "±", "c2st", "status"], rows,
                           floor_rows=1 if floor else 0))


def _trials(run_dir: Path) -> list[dict[str, Any]]:
    path = Path(run_dir) / "trials.jsonl"
    if not path.exists():
        return []
    trials = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:  # a line cut by a crash: the trials before it still count
            continue
        if record.get("stage") == "tune":
            folds = record.get("folds") or [{}]
            trials.append({"family": record.get("family"), "params": record.get("params") or {},
                           "status": record.get("status"), "seconds": record.get("seconds"),
                           "figure": record.get("figure"), "curve": folds[0].get("curve") or []})
    return trials


def _search(trials: list[dict[str, Any]], tune: Optional[dict[str, Any]], cv: Optional[dict[str, Any]]) -> str:
    if tune is None and not trials:
        return _not_yet("Hyperparameter search (tune)", "tune")
    metric = (cv or {}).get("metric", "figure")
    direction = (cv or {}).get("direction", "minimize")
    floor = ((cv or {}).get("floor") or {}).get(metric)
    counts = ", ".join(f"{k} {v}" for k, v in ((tune or {}).get("counts") or {}).items())
    chosen = (tune or {}).get("chosen") or {}
    intro = (f"<p>{len(trials)} trials ({_esc(counts or '-')}); chosen: {_esc(chosen.get('family', '-'))} "
             f"({_esc(chosen.get('source', '-'))}), {_esc(metric)} {_fmt(chosen.get('figure'))} on all folds.</p>")
    best_family = chosen.get("family")
    return _section(
        "Hyperparameter search (tune)", intro,
        "<h3>Best so far</h3>", _plot(plots.history_plot(trials, direction, metric, floor), "optimisation history",
                                      "no trial has a figure yet."),
        "<h3>Learning curves</h3>", _plot(plots.curves_plot(trials, metric), "learning curves", "no trial reported a curve."),
        f"<h3>Hyperparameters of the best {_esc(best_family or '')} trials</h3>",
        _plot(plots.parameters_plot([t for t in trials if t["family"] == best_family], direction, metric),
              "parallel coordinates", "fewer than two scored trials of the chosen family."),
    )


def _features(features: Optional[dict[str, Any]]) -> str:
    if features is None:
        return _not_yet("Representations compared (features)", "features")
    rows = [[r["rank"], r["feature"], r.get("figure"), r["status"]] for r in features.get("leaderboard", [])]
    floor = features.get("floor")
    if floor is not None:
        rows.append(["", "real data", floor, "the floor at these sizes"])
    skipped = features.get("not_compared") or []
    note = f'<p class="note">not compared (no time left): {_esc(", ".join(map(str, skipped)))}</p>' if skipped else ""
    return _section("Representations compared (features)",
                    _table(["rank", "representation", features.get("metric", "figure"), "status"], rows,
                           floor_rows=1 if floor is not None else 0), note,
                    f"<p>chosen: <b>{_esc(features.get('chosen_label', '-'))}</b></p>")


def _test(metrics: Optional[dict[str, Any]]) -> str:
    if metrics is None:
        return _not_yet("The chosen model on the test split", "train")
    floor, intervals = metrics.get("floor") or {}, (metrics.get("intervals") or {}).get("metrics", {})
    rows = [[name, value, _interval(intervals.get(name)), floor.get(name), (metrics.get("directions") or {}).get(name)]
            for name, value in metrics["metrics"].items()]
    sampling = metrics.get("sampling")
    speed = (f"<p>sampling: {_fmt(sampling['per_second'])} samples per second on {_esc(sampling['device'])}.</p>"
             if sampling else "")
    return _section("The chosen model on the test split",
                    f"<p>{_esc(metrics['family'])}, {metrics.get('scored_examples')} of {metrics.get('test_examples')} "
                    f"test examples scored, {metrics.get('generated')} samples{_draws(metrics)}; "
                    "real data: as many training examples "
                    f"scored the same way (the floor at this size).</p>",
                    _table(["metric", "value", "90% interval", "real data", "better"], rows), speed)


def _interval(pair: Optional[list[float]]) -> str:
    return "-" if not pair else f"[{pair[0]:.4g}, {pair[1]:.4g}]"


def _samples(run_dir: Path, modality: Optional[str]) -> str:
    folder = Path(run_dir) / "samples"
    if not folder.is_dir():
        return _not_yet("Samples", "train")
    parts = []
    for picture in ("grid.png", "spectrograms.png"):
        if (folder / picture).is_file():
            parts.append(_image((folder / picture).read_bytes(), picture, css="samples"))
    clips = sorted(folder.glob("sample_*.wav"))
    for clip in clips[:MAX_CLIPS]:
        data = base64.b64encode(clip.read_bytes()).decode("ascii")
        parts.append(f'<div class="clip"><audio controls preload="auto" src="data:audio/wav;base64,{data}"></audio>'
                     f"<br>{_esc(clip.name)}</div>")
    if len(clips) > MAX_CLIPS:
        parts.append(f'<p class="note">{len(clips) - MAX_CLIPS} more clips in {_esc(folder)}.</p>')
    if (folder / "samples.jsonl").is_file():
        for line in (folder / "samples.jsonl").read_text(encoding="utf-8").splitlines():
            text = json.loads(line)["text"]
            parts.append(f"<pre>{_esc(text[:MAX_TEXT])}</pre>")
    if (folder / "samples.csv").is_file():
        parts.append(_csv_rows(folder / "samples.csv"))
    if not parts:
        parts.append(f'<p class="note">no samples in {_esc(folder)} ({_esc(modality)}).</p>')
    return _section("Samples", *parts)


def _csv_rows(path: Path) -> str:
    """The first rows of a table's samples, scrollable sideways when the table is wide."""
    import csv

    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(itertools.islice(csv.reader(handle), MAX_ROWS + 1))
    if not rows:
        return f'<p class="note">{_esc(path.name)} is empty.</p>'
    note = f'<p class="note">the first {len(rows) - 1} rows of {_esc(path.name)}.</p>'
    return note + f'<div class="wide">{_table(rows[0], rows[1:])}</div>'


def _config(run_dir: Path) -> str:
    path = Path(run_dir) / "config.yaml"
    text = path.read_text(encoding="utf-8") if path.is_file() else "(no config.yaml)"
    return _section("Config (resolved)", f"<details><summary>config.yaml</summary><pre>{_esc(text)}</pre></details>")


def _draws(metrics: dict[str, Any]) -> str:
    """How the samples were scored when in several draws (small tables)."""
    draws = metrics.get("draws", 1)
    return (f" (figures: the mean over {draws} draws of {metrics.get('scored_examples')}, the floor's too)"
            if draws > 1 else "")
