"""The live chart's JSON (explorer/figures/live.py): the figure as built, styled like Streamlit's charts."""
import json

import numpy as np
import plotly.graph_objects as go

from explorer.figures import loss_figure
from explorer.figures.live import DEFAULT_HEIGHT, LIVE_TEMPLATE, live_spec
from tests.pages.conftest import plot_array


def test_live_spec_keeps_the_figure_and_replaces_the_template():
    steps = np.arange(500)
    fig = loss_figure(steps, 1 / (1 + steps), steps[::50], 1 / (1 + steps[::50]), baseline=0.9)
    spec = json.loads(live_spec(fig))
    assert set(spec) == {"data", "layout"}
    assert [t["mode"] for t in spec["data"]] == [t.mode for t in fig.data]
    np.testing.assert_allclose(plot_array(spec["data"][0]["y"]), np.asarray(fig.data[0].y))
    lay = spec["layout"]
    assert lay["uirevision"] == "keep"  # the user's zoom survives updates
    assert lay["title"]["text"] == fig.layout.title.text
    assert lay["yaxis"]["type"] == "log"
    assert lay["template"] == LIVE_TEMPLATE  # plotly's default template (~10 KB) is not sent
    assert lay["height"] == DEFAULT_HEIGHT  # the box is sized before plotly.js draws
    assert len(live_spec(fig)) < 40_000


def test_live_spec_keeps_a_set_height_and_styles_every_axis_through_the_template():
    fig = go.Figure(go.Scatter(x=[0, 1], y=[1, 2]))
    fig.update_layout(height=321, xaxis=dict(showgrid=True))
    lay = json.loads(live_spec(fig))["layout"]
    assert lay["height"] == 321
    assert lay["xaxis"]["showgrid"] is True  # the figure's own settings win over the template
    tl = lay["template"]["layout"]
    # a template's xaxis / yaxis style every x / y axis, subplots included
    assert tl["xaxis"]["tickfont"]["size"] == tl["yaxis"]["tickfont"]["size"] == 12
    assert tl["paper_bgcolor"] == tl["plot_bgcolor"] == "#ffffff"


def test_live_spec_does_not_change_the_figure():
    fig = loss_figure(np.arange(10), np.linspace(1, 0.1, 10))
    before = fig.to_plotly_json()
    live_spec(fig)
    assert fig.to_plotly_json() == before
