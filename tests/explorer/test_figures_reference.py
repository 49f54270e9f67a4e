"""Baseline lines and the best-step marker on the training curves (pure builders, no Streamlit),
and their survival through the live chart's JSON (explorer.figures.live.live_spec)."""
import json

import numpy as np
import pytest

from explorer.figures import loss_figure, metric_figure
from explorer.figures.live import live_spec
from explorer.figures.reference import finite_lines, label_low_references

STEPS = np.arange(1, 201)


def dashed(fig):
    return {tr.name: tr for tr in fig.data if tr.line is not None and tr.line.dash}


def test_metric_figure_draws_each_baseline_as_a_labelled_line():
    fig = metric_figure(STEPS, np.linspace(0.3, 0.9, 200), name="accuracy", val_steps=np.arange(0, 201, 50),
                        val_values=np.array([0.3, 0.5, 0.7, 0.8, 0.85]),
                        baselines={"constant": 0.5, "1-NN-ED": 0.913}, percent=True)
    lines = dashed(fig)
    assert set(lines) == {"constant", "1-NN-ED"}
    assert tuple(lines["1-NN-ED"].y) == (0.913, 0.913) and tuple(lines["constant"].y) == (0.5, 0.5)
    assert lines["1-NN-ED"].x[0] <= 0 and lines["1-NN-ED"].x[-1] >= 200  # spans train and held-out steps
    assert lines["constant"].line.dash != lines["1-NN-ED"].line.dash  # told apart without colour
    ann = {a.text: a for a in fig.layout.annotations}
    assert ann["1-NN-ED: 91.3%"].y == pytest.approx(0.913) and ann["constant: 50.0%"].y == pytest.approx(0.5)
    # close labels sit at opposite ends of the plot
    assert {ann["constant: 50.0%"].x, ann["1-NN-ED: 91.3%"].x} == {0.0, 1.0}
    assert not fig.layout.shapes  # no best step given: no marker


def test_loss_figure_baselines_on_a_log_axis_and_without_bad_values():
    fig = loss_figure(STEPS, 2.0 / np.sqrt(STEPS), baselines={"persistence": 0.4, "seasonal naive": np.nan,
                                                              "constant": 1.0})
    assert fig.layout.yaxis.type == "log"
    assert set(dashed(fig)) == {"persistence", "constant"}  # NaN skipped
    ann = {a.text: a for a in fig.layout.annotations}
    assert ann["persistence: 0.4"].y == pytest.approx(np.log10(0.4))  # log axis: annotation in log units
    assert finite_lines({"a": None, "b": np.inf, "c": 2}) == {"c": 2.0}


def test_the_best_step_is_a_vertical_marker_with_its_label():
    fig = metric_figure(STEPS, np.linspace(0.3, 0.9, 200), name="accuracy", best_step=150)
    (shape,) = fig.layout.shapes
    assert (shape.x0, shape.x1, shape.yref, shape.name) == (150, 150, "paper", "best_step")
    assert [a.text for a in fig.layout.annotations if a.x == 150] == ["best: step 150"]
    ko = metric_figure(STEPS, np.ones(200), name="정확도", best_step=150, lang="ko")
    assert "최적: 단계 150" in [a.text for a in ko.layout.annotations]


def test_the_best_step_label_moves_to_the_top_where_a_reference_label_sits_low():
    """After one step of a two-class task the baseline (ln 2) was the lowest value on the loss chart:
    its label and the best-step label at the foot of the plot covered each other."""
    low = loss_figure(np.array([1]), np.array([0.6947]), val_steps=np.array([1]), val_loss=np.array([0.6934]),
                      baseline=0.6931, best_step=1)
    high = loss_figure(STEPS, 2.0 / np.sqrt(STEPS), baseline=2.0, best_step=150)  # the baseline at the top
    best = lambda f: next(a for a in f.layout.annotations if a.text.startswith("best"))  # noqa: E731
    assert (best(low).y, best(low).yanchor) == (1.0, "top")
    assert (best(high).y, best(high).yanchor) == (0.0, "bottom")
    assert label_low_references([0.1], np.array([0.1, 10.0]), use_log=True)
    assert not label_low_references([5.0], np.array([0.1, 10.0]), use_log=True)  # 5 is high on a log axis
    assert label_low_references([2.0], np.array([1.0, 10.0]), use_log=False)
    assert not label_low_references([3.0], np.array([1.0, 10.0]), use_log=False)  # 22 % up
    assert not label_low_references([], np.array([1.0, 10.0]), use_log=False)


def test_marks_survive_the_live_charts_json():
    fig = metric_figure(STEPS, np.linspace(0.3, 0.9, 200), name="accuracy", baselines={"1-NN-ED": 0.913},
                        best_step=120, percent=True)
    spec = json.loads(live_spec(fig))
    assert [s["x0"] for s in spec["layout"]["shapes"]] == [120]
    texts = [a["text"] for a in spec["layout"]["annotations"]]
    assert "1-NN-ED: 91.3%" in texts and "best: step 120" in texts
    assert any(d.get("name") == "1-NN-ED" for d in spec["data"])


def test_without_new_arguments_the_curves_are_unchanged():
    a = loss_figure(STEPS, 1.0 / STEPS, baseline=0.5)
    b = loss_figure(STEPS, 1.0 / STEPS, baseline=0.5, baselines=None, best_step=None)
    assert a.to_json() == b.to_json()
    assert [x.text for x in a.layout.annotations] == ["trivial baseline (best constant)"]
