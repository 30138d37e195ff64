"""Small tables are scored over several draws of generated rows: the figures are the mean of
the statistic at the held-out size, steadier than one draw, and the floor is drawn alike."""

from __future__ import annotations

import numpy as np
import pytest

from genautoml.data.tabular.modality import MODALITY
from genautoml.metrics.tabular import all_tabular_metrics, drawn_tabular_metrics, draws_for
from genautoml.pipeline.floor import real_data_floor
from tests.test_tabular_metrics import mixed_table

NAMES = ["c2st_auc", "marginal", "dcr_ratio"]


def stacked(parts):
    return parts[0].like({name: np.concatenate([p.values[name] for p in parts]) for name in parts[0].names})


def test_draws_shrink_as_the_held_out_rows_grow():
    assert [draws_for(n) for n in (1, 30, 36, 88, 114, 400, 1000)] == [10, 10, 10, 6, 5, 2, 1]
    heldout = mixed_table(30, 1)
    assert MODALITY.scoring_draws(heldout) == 10 and MODALITY.generate_count(heldout) == 300


def test_the_figure_is_the_mean_over_blocks_of_the_held_out_size():
    heldout, train = mixed_table(30, 1), mixed_table(120, 2)
    blocks = [mixed_table(30, 10 + b) for b in range(3)]
    drawn = drawn_tabular_metrics(heldout, stacked(blocks), train, NAMES)
    each = [all_tabular_metrics(heldout, block, train, NAMES) for block in blocks]
    for name in NAMES:
        assert drawn[name] == pytest.approx(np.mean([figures[name] for figures in each]))
    # one block's worth (or less than two): scored once on every row, as a user's own samples are
    one = mixed_table(45, 20)
    assert drawn_tabular_metrics(heldout, one, train, NAMES) == all_tabular_metrics(heldout, one, train, NAMES)


def test_draws_steady_the_figures_of_a_small_table():
    """Real rows against real rows at 30 held-out rows: over 8 samplings, the spread of the
    ten-draw figure is well under that of one draw's (about 1/sqrt(10) of the sampling part)."""
    heldout, train = mixed_table(30, 1), mixed_table(400, 2)
    one_draw, ten_draws = [], []
    for seed in range(8):
        generated = mixed_table(300, 100 + seed)
        one_draw.append(all_tabular_metrics(heldout, generated.subset(np.arange(30)), train, NAMES))
        ten_draws.append(drawn_tabular_metrics(heldout, generated, train, NAMES))
    for name in ("c2st_auc", "marginal"):
        assert np.std([f[name] for f in ten_draws]) < 0.6 * np.std([f[name] for f in one_draw]), name


def test_the_floor_is_drawn_in_as_many_draws_without_repeats():
    heldout, train = mixed_table(30, 1), mixed_table(60, 2)
    floor = real_data_floor(MODALITY, None, heldout, train, seed=3)
    assert set(floor) >= {"c2st_auc", "dcr_ratio", "copies"}
    # each draw of training rows holds no row twice (a draw with repeats would look like copying)
    from genautoml.pipeline.floor import _real_draws

    real = _real_draws(MODALITY, None, train, heldout, np.random.default_rng(0))
    assert len(real) == 300
    embedded = np.stack([real.values["x0"], real.values["age"]], axis=1)
    for b in range(10):
        block = embedded[b * 30:(b + 1) * 30]
        assert len(np.unique(block, axis=0)) == 30


def test_checks_oversample_only_what_the_draws_do_not():
    """Extended training's checks draw 4x the samples; draws already give a small table more."""
    from genautoml.pipeline.trial import Scorer

    class Counting:  # a representation that says how many samples it was asked for
        def encode(self, raw):
            return None

        def draw(self, model, count, generator):
            return count

    for rows, expected in ((30, 300), (250, 1000), (600, 2400)):
        scorer = Scorer(MODALITY, Counting(), mixed_table(rows, 1), mixed_table(50, 2), seed=0, oversample=4)
        assert scorer.generate(model=None) == expected, rows


def test_bootstrap_resamples_one_draw_at_a_time():
    from genautoml.pipeline.interval import bootstrap_intervals

    heldout, train = mixed_table(30, 1), mixed_table(120, 2)
    intervals = bootstrap_intervals(MODALITY, heldout, mixed_table(300, 3), train, seed=0)
    assert intervals["generated"] == 300 and intervals["generated_per_resample"] == 30
    for low, high in intervals["metrics"].values():
        assert low < high


def test_bootstrap_of_outside_samples_of_any_count_resamples_them_all():
    from genautoml.pipeline.interval import bootstrap_intervals

    intervals = bootstrap_intervals(MODALITY, mixed_table(30, 1), mixed_table(50, 3), mixed_table(120, 2), seed=0)
    assert intervals["generated"] == 50 and intervals["generated_per_resample"] == 50
