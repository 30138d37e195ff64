"""report.html: written by search, by `genautoml report` on any run (finished or not), and
opened in a real browser without a console error, a broken image, an empty plot or audio
that cannot play."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from tests.browser import CHROMIUM, check_page
from tests.golden.summary import MODALITIES
from tests.helpers import invoke

#: CI sets this: there a missing browser is a failure, not a skip (.ci/run installs it)
REQUIRED = bool(os.environ.get("GENAUTOML_REQUIRE_BROWSER"))
needs_browser = pytest.mark.skipif(not CHROMIUM.exists() and not REQUIRED,
                                   reason=f"{CHROMIUM} is missing (Debian's chromium; make test installs it as root)")

SECTIONS = ["Budget: planned and spent", "Families compared (cv)", "Hyperparameter search (tune)",
            "Representations compared (features)", "The chosen model on the test split", "Samples",
            "Config (resolved)"]


@needs_browser
@pytest.mark.parametrize("modality", MODALITIES)
def test_the_report_of_every_smoke_search_opens_cleanly_in_chromium(modality, smoke_runs):
    run_dir, _ = smoke_runs(modality)
    report = run_dir / "report.html"
    assert report.is_file(), "search did not write report.html"
    found = check_page(report, run_dir / "report.png")
    assert found["problems"] == []
    assert found["sections"] == SECTIONS
    assert found["width"] <= 1280  # nothing wider than the window: readable without scrolling sideways
    page = report.read_text(encoding="utf-8")
    assert "http://" not in page and "https://" not in page  # opens offline: nothing fetched
    expected_media = {"image": 'alt="grid.png"', "audio": "<audio controls", "text": "<pre>",
                      "tabular": "<th>age</th><th>region</th>"}[modality]
    assert expected_media in page
    assert (run_dir / "report.png").stat().st_size > 10_000


@needs_browser
def test_the_browser_check_finds_what_is_broken(tmp_path):
    """The checker itself: a broken image, an empty plot, a console error and broken sound
    are each reported (so a clean report above means something)."""
    page = tmp_path / "broken.html"
    page.write_text(
        '<html><body><img alt="bad" src="data:image/png;base64,AAAA">'
        '<img class="plot" alt="nothing" data-points="0" src="data:image/png;base64,'
        'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==">'
        '<audio src="data:audio/wav;base64,AAAA"></audio>'
        "<script>console.error('boom')</script></body></html>")
    problems = check_page(page, tmp_path / "shot.png")["problems"]
    assert any("console error: boom" in p for p in problems)
    assert any("image did not decode: bad" in p for p in problems)
    assert any("empty plot: nothing" in p for p in problems)
    assert any("audio cannot play" in p for p in problems)


def test_report_of_an_unfinished_run_shows_what_exists(finished_run, tmp_path):
    _, run_dir, _ = finished_run
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    for name in ("tune.json", "features.json", "metrics.json", "trials.jsonl", "report.html"):
        (copy / name).unlink(missing_ok=True)
    shutil.rmtree(copy / "samples")
    result = invoke("report", copy)
    assert result.exit_code == 0, result.output
    page = (copy / "report.html").read_text(encoding="utf-8")
    assert "Families compared (cv)" in page and "tune has not run yet" in page and "train has not run yet" in page


def test_report_writes_elsewhere_only_where_told(finished_run, tmp_path):
    _, run_dir, _ = finished_run
    mine = tmp_path / "mine.html"
    mine.write_text("my notes")
    refused = invoke("report", run_dir, "--out", mine)
    assert refused.exit_code == 2 and "exists; pass --overwrite" in refused.output
    assert mine.read_text() == "my notes"
    assert invoke("report", run_dir, "--out", mine, "--overwrite").exit_code == 0
    assert mine.read_text().startswith("<!DOCTYPE html>")


def test_report_shows_the_runs_figures(finished_run):
    _, run_dir, _ = finished_run
    page = (run_dir / "report.html").read_text(encoding="utf-8")
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert f"{metrics['figure']:.4g}" in page and "real data" in page
    assert page.count('class="plot"') >= 2  # the budget and the learning curves at least


def test_best_so_far_follows_the_metric_direction():
    from genautoml.views.report_plots import best_so_far

    trials = [{"family": "a", "seconds": 1.0, "figure": 3.0}, {"family": "b", "seconds": 2.0, "figure": 1.0},
              {"family": "a", "seconds": 1.0, "figure": None}, {"family": "a", "seconds": 1.0, "figure": 2.0}]
    assert best_so_far(trials, "minimize") == [(1.0, 1, 3.0), (3.0, 2, 1.0), (5.0, 4, 1.0)]
    assert best_so_far(trials, "maximize") == [(1.0, 1, 3.0), (3.0, 2, 3.0), (5.0, 4, 3.0)]
    assert best_so_far(trials, "minimize", "a") == [(1.0, 1, 3.0), (5.0, 4, 2.0)]
