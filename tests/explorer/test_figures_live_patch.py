"""Live chart patches (explorer/figures/live_patch.py): what changed between two refreshes."""
import json

import numpy as np

from explorer.figures import loss_figure
from explorer.figures.live import figure_parts
from explorer.figures.live_patch import apply_patch, decode_arrays, figure_patch, live_json, same
from tests.pages.conftest import plot_array


def _curve(n, val_every=100, best=None):
    steps = np.arange(1, n + 1)
    loss = 1 / np.sqrt(steps) + 0.01 * np.sin(steps)
    vs = steps[::val_every]
    return figure_parts(loss_figure(steps, loss, vs, 1 / np.sqrt(vs), baseline=0.9, best_step=best, as_dict=True))


def test_a_growing_curve_sends_its_tail_only():
    old, new = _curve(1450), _curve(1490)
    patch = figure_patch(old, new)
    train = patch["traces"][0]
    assert set(train) == {"ext"} and set(train["ext"]) == {"x", "y"}
    keep, tail = train["ext"]["y"]
    assert keep == 1450 and tail.size == 40  # the whole old curve kept, 40 new points
    assert patch["traces"][1] is None and "layout" not in patch  # held-out curve and layout as they were
    text = live_json({**patch, "rev": 2, "base": 1})
    assert len(text) < len(live_json(new)) / 5
    assert same(apply_patch(old, decode_arrays(json.loads(text))), new)


def test_a_decimated_curve_keeps_its_complete_buckets():
    old, new = _curve(30_000), _curve(30_400)
    patch = figure_patch(old, new)
    keep, tail = patch["traces"][0]["ext"]["x"]
    assert keep > 1000 and tail.size < 50
    assert same(apply_patch(old, patch), new)


def test_layout_and_new_traces_are_sent_when_they_change():
    old, new = _curve(500, best=None), _curve(600, best=300)  # the best step marker appears
    patch = figure_patch(old, new)
    assert patch["layout"]["shapes"][0]["x0"] == 300.0
    assert same(apply_patch(old, patch), new)
    fewer = {**new, "data": new["data"][:1]}
    assert same(apply_patch(new, figure_patch(new, fewer)), fewer)
    assert same(apply_patch(fewer, figure_patch(fewer, new)), new)


def test_unchanged_figures_need_no_message_and_arrays_round_trip():
    a = _curve(800)
    assert figure_patch(a, _curve(800)) is None
    z = np.arange(12, dtype=np.float32).reshape(3, 4)
    spec = json.loads(live_json({"data": [{"type": "heatmap", "z": z, "x": np.arange(4, dtype=np.int64)}]}))
    assert np.array_equal(plot_array(spec["data"][0]["z"]), z) and spec["data"][0]["x"]["dtype"] == "i4"
    heat = decode_arrays(spec)
    changed = {"data": [{**heat["data"][0], "z": z + 1}]}
    patch = figure_patch(heat, changed)  # a probe chart: the new array, nothing else
    assert set(patch["traces"][0]) == {"set"} and set(patch["traces"][0]["set"]) == {"z"}
    assert figure_patch({"data": [], "frames": [{"a": 1}]}, {"data": [], "frames": [{"a": 2}]}) == {"full": True}


def test_one_patch_serves_a_browser_that_missed_a_message():
    from explorer.figures.live_patch import patch_from_any
    r1, r2, r3 = _curve(1000), _curve(1030, best=500), _curve(1060, best=600)
    patch = patch_from_any([r1, r2], r3)
    assert patch["traces"][0]["ext"]["y"][0] == 1000  # the prefix both hold
    assert same(apply_patch(r1, patch), r3) and same(apply_patch(r2, patch), r3)
    assert patch_from_any([r3, r3], r3) is None
