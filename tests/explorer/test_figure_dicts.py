"""The live charts' plain-dict figures (``as_dict=True``: the Training lab's probe charts, the
comparison lab's curves and views) against plotly's own validation as the oracle: the browser must
receive the same figure either way, and a name only plotly.py knows (a reversed colour scale such
as "RdBu_r") must not reach plotly.js."""
import json
import re

import numpy as np
import plotly.graph_objects as go
import pytest

from explorer.figures import classes as C
from explorer.figures import compare as FC
from explorer.figures import states as S
from explorer.figures import training as T
from explorer.figures.live import figure_parts
from explorer.figures.live_patch import decode_arrays, live_json


def _numbers(o):
    """JSON-like value with every numeric array or nested numeric list as (flat float list, shape):
    plotly's validation turns some arrays into lists, the live JSON carries others as base64."""
    if isinstance(o, np.ndarray):
        a = o.astype(float)
        return {"values": [None if v != v else v for v in a.ravel().tolist()], "shape": list(a.shape)}
    if isinstance(o, dict):
        return {k: _numbers(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        try:
            a = np.array(o, dtype=float)
        except (TypeError, ValueError):
            a = None
        if a is not None and a.size:
            return _numbers(a)
        return [_numbers(v) for v in o]
    return o


def _sent(fig) -> dict:
    """What the browser receives for ``fig`` (its live JSON, arrays decoded and normalised)."""
    return _numbers(decode_arrays(json.loads(live_json(figure_parts(fig)))))


def _cases(rng):
    g = np.abs(rng.normal(size=50))
    g[3], g[7] = 0.0, np.inf
    return {
        "prediction rows": lambda d, lang: T.prediction_figure(
            rng.normal(size=(4, 50, 2)), rng.normal(size=(4, 50, 2)), channel_names=["a", "b"], lang=lang, as_dict=d),
        "prediction one row": lambda d, lang: T.prediction_figure(
            rng.normal(size=(1, 30, 1)), rng.normal(size=(1, 30, 1)), lang=lang, as_dict=d),
        "prediction scatter": lambda d, lang: T.prediction_figure(
            rng.normal(size=(20, 2)), rng.normal(size=(20, 2)), lang=lang, as_dict=d),
        "prediction empty": lambda d, lang: T.prediction_figure(np.zeros((0, 3, 1)), np.zeros((0, 3, 1)), lang=lang,
                                                              as_dict=d),
        "trajectory 2d": lambda d, lang: S.trajectory_figure(
            rng.normal(size=(5, 40, 2)), explained=[0.5, 0.2], ranges=[(-3, 3)] * 2, lang=lang, as_dict=d),
        "trajectory 3d": lambda d, lang: S.trajectory_figure(
            rng.normal(size=(5, 40, 3)), ranges=[(-3, 3)] * 3, lang=lang, as_dict=d),
        "trajectory labels": lambda d, lang: S.trajectory_figure(
            rng.normal(size=(5, 40, 2)), color_by="label", labels_n=np.array([0, 1, 0, 2, 1]), lang=lang, as_dict=d),
        "hidden": lambda d, lang: S.hidden_heatmap(rng.normal(size=(600, 200)), lang=lang, as_dict=d),
        "hidden empty": lambda d, lang: S.hidden_heatmap(np.zeros((0, 3)), lang=lang, as_dict=d),
        "gradient curve": lambda d, lang: S.grad_norm_curve(g, label="lstm", lang=lang, as_dict=d),
        "gradient curve linear": lambda d, lang: S.grad_norm_curve(g, log_y=False, lang=lang, as_dict=d),
        "gradient map": lambda d, lang: S.grad_norm_heatmap(
            np.arange(40) * 10, np.abs(rng.normal(size=(40, 60))), lang=lang, as_dict=d),
        "class heatmap": lambda d, lang: C.class_prob_figure(
            rng.dirichlet(np.ones(5), size=30), np.r_[rng.integers(0, 5, 29), -100], list("abcde"), lang=lang,
            as_dict=d),
        "class bars": lambda d, lang: C.class_prob_figure(
            rng.dirichlet(np.ones(30), size=8), rng.integers(0, 30, 8), many_to_one=True, lang=lang, as_dict=d),
        "loss": lambda d, lang: T.loss_figure(np.arange(100), np.abs(rng.normal(size=100)) + 0.1, lang=lang,
                                             as_dict=d),
    }


def _compare_cases(rng):
    steps = np.arange(300)
    curves = {k: (steps, np.abs(rng.normal(size=300)) + 0.05) for k in ("rnn", "lstm", "gru")}
    vals = {k: (steps[::30], np.abs(rng.normal(size=10)) + 0.05) for k in ("rnn", "lstm", "gru")}
    grads = {k: (np.arange(40) * 5, np.abs(rng.normal(size=(40, 60)))) for k in ("rnn", "lstm", "gru")}
    grads["rnn"][1][0, :3] = (0.0, np.nan, np.inf)
    lstm = {n: rng.uniform(size=(50, 12)) for n in ("input", "forget", "output")}
    lstm.update(cell=rng.normal(size=(50, 12)), c=3 * rng.normal(size=(50, 12)))
    gru = {"reset": rng.uniform(size=(50, 12)), "update": rng.uniform(size=(50, 12)), "new": rng.normal(size=(50, 12))}
    return {
        "curves log": lambda d, lang: FC.overlay_curves_figure(
            curves, val_curves=vals, baseline=0.3, log_y=True, title="Loss", y_title="MSE", lang=lang, as_dict=d),
        "curves two kinds, linear, range": lambda d, lang: FC.overlay_curves_figure(
            {k: curves[k] for k in ("rnn", "gru")}, baseline=0.5, y_range=(0, 1.02), title="Accuracy<br>held out",
            y_title="accuracy", lang=lang, as_dict=d),
        "curves held-out only": lambda d, lang: FC.overlay_curves_figure(
            {}, val_curves=vals, title="t", y_title="y", lang=lang, as_dict=d),
        "curves empty": lambda d, lang: FC.overlay_curves_figure({}, title="t", y_title="y", lang=lang, as_dict=d),
        "grad three": lambda d, lang: FC.grad_heatmaps_figure(grads, zrange=(-2.0, 1.0), lang=lang, as_dict=d),
        "grad two, no range": lambda d, lang: FC.grad_heatmaps_figure(
            {k: grads[k] for k in ("lstm", "gru")}, zrange=None, max_rows=10, max_cols=20, lang=lang, as_dict=d),
        "grad empty": lambda d, lang: FC.grad_heatmaps_figure(
            {"rnn": (np.empty(0), np.empty((0, 4)))}, zrange=None, lang=lang, as_dict=d),
        "trajectories": lambda d, lang: FC.trajectories_figure(
            {k: rng.normal(size=(4, 30, 2)) for k in ("rnn", "lstm", "gru")}, xy_range=(-3, 3),
            explained={"rnn": np.array([0.6, 0.3]), "lstm": np.array([0.5])}, lang=lang, as_dict=d),
        "trajectories one": lambda d, lang: FC.trajectories_figure(
            {"gru": rng.normal(size=(2, 8, 2)), "rnn": None}, lang=lang, as_dict=d),
        "trajectories empty": lambda d, lang: FC.trajectories_figure({}, lang=lang, as_dict=d),
        "gates lstm": lambda d, lang: FC.gate_heatmaps_figure(lstm, title="LSTM", max_units=8, lang=lang, as_dict=d),
        "gates gru": lambda d, lang: FC.gate_heatmaps_figure(gru, title="GRU", signed_range=2.0, lang=lang, as_dict=d),
        "gates sigmoid only": lambda d, lang: FC.gate_heatmaps_figure(
            {"forget": lstm["forget"]}, title="f", lang=lang, as_dict=d),
        "gates empty": lambda d, lang: FC.gate_heatmaps_figure({"input": None}, title="e", lang=lang, as_dict=d),
        "means": lambda d, lang: FC.gate_means_figure(
            {n: v.mean(axis=1) for n, v in lstm.items()}, title="LSTM", lang=lang, as_dict=d),
        "means no range": lambda d, lang: FC.gate_means_figure(
            {"reset": np.full(5, 0.2), "mystery": np.ones(5)}, title="GRU", y_range=None, lang=lang, as_dict=d),
        "means empty": lambda d, lang: FC.gate_means_figure({}, title="x", lang=lang, as_dict=d),
        "saturation": lambda d, lang: FC.saturation_figure(
            {n: lstm[n] for n in ("input", "forget", "output")}, title="LSTM", y_max=0.6, lang=lang, as_dict=d),
        "saturation two": lambda d, lang: FC.saturation_figure(
            {"reset": gru["reset"], "update": gru["update"]}, title="GRU", bins=10, low=0.2, high=0.7, lang=lang,
            as_dict=d),
        "saturation empty": lambda d, lang: FC.saturation_figure({}, title="e", lang=lang, as_dict=d),
    }


def _all_cases(rng) -> dict:
    return {**_cases(rng), **{"compare " + k: f for k, f in _compare_cases(rng).items()}}


NAMES = list(_all_cases(np.random.default_rng(0)))


def check_sends_what_plotly_validates(make, lang: str) -> None:
    """``make(as_dict, lang)`` (called twice: with a fresh seeded generator each time) gives plain
    dicts that reach the browser as its validated figure does, and are valid plotly properties."""
    plain, validated = make(True, lang), make(False, lang)
    assert isinstance(plain, dict) and isinstance(validated, go.Figure)
    assert set(plain) == {"data", "layout"}
    assert _sent(plain) == _sent(validated)
    go.Figure(plain)  # every property a real plotly one (raises otherwise)


def check_plain(plain: dict) -> None:
    """No plotly object, no plotly.py-only colour scale name, every title a {"text": ...} dict."""
    assert not [t for t in _plain_types(plain) if t.__module__.startswith("plotly")]
    text = live_json(figure_parts(plain))
    for scale in ("RdBu_r", "Viridis"):  # plotly.py names: plotly.js has no "_r", and its own Viridis differs
        assert f'"{scale}"' not in text
    assert not [t for t in _titles(plain) if not isinstance(t, dict)]  # plotly.js wants title={"text": ...}


def _plain_types(o) -> set:
    if isinstance(o, dict):
        return set().union({dict}, *(_plain_types(v) for v in o.values()))
    if isinstance(o, (list, tuple)):
        return set().union({type(o)}, *(_plain_types(v) for v in o))
    return {type(o)}


def _titles(o) -> list:
    if isinstance(o, dict):
        return [v for k, v in o.items() if k == "title"] + [t for v in o.values() for t in _titles(v)]
    return [t for v in o for t in _titles(v)] if isinstance(o, list) else []


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("name", NAMES)
def test_the_plain_dict_figure_sends_what_plotly_validates(name, lang):
    check_sends_what_plotly_validates(lambda d, lg: _all_cases(np.random.default_rng(1))[name](d, lg), lang)


@pytest.mark.parametrize("name", NAMES)
def test_the_plain_dict_figure_holds_no_plotly_objects_and_no_python_only_colour_names(name):
    check_plain(_all_cases(np.random.default_rng(2))[name](True, "en"))


PANELS = [n for n in _compare_cases(np.random.default_rng(0)) if n.split()[0] in ("grad", "trajectories", "gates", "saturation") and "empty" not in n]


@pytest.mark.parametrize("name", PANELS)
def test_each_panel_draws_on_its_own_axes(name):
    plain = _compare_cases(np.random.default_rng(3))[name](True, "en")
    layout = plain["layout"]
    refs = {(t["xaxis"], t["yaxis"]) for t in plain["data"]}
    assert all("xaxis" + x[1:] in layout and "yaxis" + y[1:] in layout for x, y in refs)
    assert len(refs) == len([k for k in layout if re.fullmatch(r"xaxis\d*", k)]) == len(layout["annotations"])


def test_the_live_views_send_plain_dicts_equal_to_the_validated_views():
    from explorer.views import comparison as V
    s = V.PageSettings(V.CUSTOM, "adding", 12, 8, False, 1e-2, 16, 1.0, 0, 40, "cpu")
    task = V.make_task(s)
    jobs = V.make_jobs(s, task)
    for j in jobs.values():
        j.run_sync(5)
    curves = V.live_curve_figures(jobs, task, "ko")
    views = V.live_view_figures(jobs, 1, {}, "ko")
    snaps = {k: j.snapshot() for k, j in jobs.items()}
    validated = {"cmp_loss": V.loss_fig(snaps, task, lang="ko"), "cmp_metric": V.metric_fig(snaps, task, lang="ko"),
                 **{f"cmp_{k}": f for k, f in V.probe_views(snaps, {k: j.id for k, j in jobs.items()}, 1, {},
                                                            lang="ko").items()}}
    plain = {**curves, **views}
    assert set(plain) == set(validated)
    for key, fig in plain.items():
        assert isinstance(fig, dict) and isinstance(validated[key], go.Figure), key
        assert _sent(fig) == _sent(validated[key]), key
