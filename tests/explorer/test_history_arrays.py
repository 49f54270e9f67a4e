"""Snapshots convert only new records (explorer/jobs/snapshots.py HistoryArrays)."""
import numpy as np
import pytest

from explorer.jobs.snapshots import HistoryArrays


def _recs(a, b, metric=True):
    return [{"step": i, "loss": 1.0 / i, "grad_norm": 2.0 * i, **({"metric": 0.5} if metric else {})}
            for i in range(a, b)]


def _direct(h):
    return (np.array([r["step"] for r in h], float), np.array([r["loss"] for r in h], float),
            np.array([r["grad_norm"] for r in h], float), np.array([r.get("metric", np.nan) for r in h], float))


def test_growing_thinned_and_replaced_histories_convert_exactly():
    conv, h = HistoryArrays(), _recs(1, 50)
    for got, want in zip(conv.of(h), _direct(h)):
        np.testing.assert_array_equal(got, want)
    first = conv.of(h)
    h += _recs(50, 60, metric=False)  # grown in place (a diverged step has no metric)
    out = conv.of(h)
    for got, want in zip(out, _direct(h)):
        np.testing.assert_array_equal(got, want)
    assert len(first[0]) == 49  # an earlier snapshot's arrays are its own
    thinned = h[:30:2] + h[30:]  # the trainer thins into a new list
    for got, want in zip(conv.of(thinned), _direct(thinned)):
        np.testing.assert_array_equal(got, want)
    shorter = _recs(1, 5)  # a reloaded run: another list, shorter
    for got, want in zip(conv.of(shorter), _direct(shorter)):
        np.testing.assert_array_equal(got, want)
    with pytest.raises(ValueError):
        out[1][0] = 0.0  # read-only: snapshots share them
