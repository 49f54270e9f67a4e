"""The probe charts' plain-dict figures (``as_dict=True``, what live charts send) against plotly's
own validation as the oracle: the browser must receive the same figure either way, and a name
only plotly.py knows (a reversed colour scale such as "RdBu_r") must not reach plotly.js."""
import json

import numpy as np
import plotly.graph_objects as go
import pytest

from explorer.figures import classes as C
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


NAMES = list(_cases(np.random.default_rng(0)))


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("name", NAMES)
def test_the_plain_dict_figure_sends_what_plotly_validates(name, lang):
    plain = _cases(np.random.default_rng(1))[name](True, lang)
    validated = _cases(np.random.default_rng(1))[name](False, lang)
    assert isinstance(plain, dict) and isinstance(validated, go.Figure)
    assert set(plain) == {"data", "layout"}
    assert _sent(plain) == _sent(validated)
    go.Figure(plain)  # every property a real plotly one (raises otherwise)


def _plain_types(o) -> set:
    if isinstance(o, dict):
        return set().union({dict}, *(_plain_types(v) for v in o.values()))
    if isinstance(o, (list, tuple)):
        return set().union({type(o)}, *(_plain_types(v) for v in o))
    return {type(o)}


@pytest.mark.parametrize("name", NAMES)
def test_the_plain_dict_figure_holds_no_plotly_objects_and_no_python_only_colour_names(name):
    plain = _cases(np.random.default_rng(2))[name](True, "en")
    assert not [t for t in _plain_types(plain) if t.__module__.startswith("plotly")]
    text = live_json(figure_parts(plain))
    for scale in ("RdBu_r", "Viridis"):  # plotly.py names: plotly.js has no "_r", and its own Viridis differs
        assert f'"{scale}"' not in text
