"""Stable min/max decimation of live curves (explorer.figures.decimate)."""
import numpy as np
import pytest

from explorer.figures import loss_figure
from explorer.figures.decimate import bucket_width, decimate_minmax


def _walk(n, seed=0):
    rng = np.random.default_rng(seed)
    return np.arange(1, n + 1, dtype=float), np.cumsum(rng.normal(size=n)) + 100


@pytest.mark.parametrize("n", [2001, 2048, 5000, 65_537, 300_000])
def test_never_more_than_max_points_and_keeps_the_extremes(n):
    x, y = _walk(n)
    y[n // 3] = 1e6  # a one-step spike and a one-step dip
    y[n // 2] = -1e6
    xd, yd = decimate_minmax(x, y, 2000)
    assert 0 < xd.size <= 2000
    assert yd.max() == 1e6 and yd.min() == -1e6
    pos = np.searchsorted(x, xd)  # a subsequence of the input, in order
    assert np.array_equal(x[pos], xd) and np.array_equal(y[pos], yd) and np.all(np.diff(xd) > 0)


def test_short_curves_are_unchanged():
    x, y = _walk(2000)
    xd, yd = decimate_minmax(x, y, 2000)
    assert xd is x and yd is y


def test_a_growing_curve_keeps_its_complete_buckets():
    x, y = _walk(9000)
    w = bucket_width(1, 9000, 2000)
    assert w == bucket_width(1, 8000, 2000)  # same width: only the tail may change
    old_x, _ = decimate_minmax(x[:8000], y[:8000])
    new_x, _ = decimate_minmax(x, y)
    done = old_x[np.floor(old_x / w) < np.floor(8000 / w)]  # points of buckets complete at 8000
    assert done.size > 900 and np.array_equal(new_x[:done.size], done)


def test_when_buckets_merge_no_extreme_a_reader_saw_is_lost():
    x, y = _walk(40_000, seed=3)
    n_old = 30_000
    w_old, w_new = bucket_width(1, n_old, 2000), bucket_width(1, 40_000, 2000)
    assert w_new == 2 * w_old
    ox, oy = decimate_minmax(x[:n_old], y[:n_old])
    nx, ny = decimate_minmax(x, y)
    ob, nb = np.floor(ox / w_new), np.floor(nx / w_new)
    for b in np.unique(ob):  # each new bucket shows the highest and lowest value seen in it
        assert ny[nb == b].max() >= oy[ob == b].max() and ny[nb == b].min() <= oy[ob == b].min()
        if b < np.floor(n_old / w_new):  # a bucket that got no new points shows exactly those
            assert ny[nb == b].max() == oy[ob == b].max() and ny[nb == b].min() == oy[ob == b].min()


def test_bucket_width_is_the_smallest_power_of_two_that_fits():
    for n in (2001, 4000, 4001, 10**6):
        w = bucket_width(1, n, 2000)
        assert np.log2(w) == int(np.log2(w))
        count = lambda w: np.floor(n / w) - np.floor(1 / w) + 1  # noqa: E731
        assert count(w) <= 1000 and (w == 1 or count(w / 2) > 1000)
    with pytest.raises(ValueError):
        decimate_minmax(np.arange(3), np.arange(4), 10)


def test_the_loss_chart_is_bounded_and_shows_a_spike():
    x, y = _walk(50_000)
    y = np.abs(y) + 1
    y[12_345] = 1e5
    fig = loss_figure(x, y)
    tx, ty = np.asarray(fig.data[0].x), np.asarray(fig.data[0].y)
    assert tx.size <= 2000 and ty.max() == pytest.approx(1e5)
