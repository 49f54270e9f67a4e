"""Live charts: one Plotly graph per chart, kept in the page and updated in place.

``st.plotly_chart`` derives a chart's identity from its figure, so each refresh of a live chart
mounts a new chart in the browser: a full Plotly build and teardown every time (several times the
cost of an update, on the browser's one busy thread) and the user's zoom, pan and legend choices
lost twice a second. This module draws such charts with a small Streamlit component (components
v2, in the page, no iframe) keyed by the chart's key: its script keeps the graph and calls
``Plotly.react``, so only the data are redrawn, and keeps the user's view: the axis ranges the
reader zoomed or panned to are put into every layout drawn after (``layout.uirevision`` keeps the
rest: legend choices, 3-D cameras). A chart out of sight is not redrawn: its newest figure waits
until the chart comes near the window (the browser's busy thread is the one a training run on the
same laptop competes with).

While a run trains, the figures come over the session's stream (``explorer.app.live_feed``) rather
than with timed reruns; the component takes them from both, revisions deciding. Its code is
explorer/static/live_chart.js. Plotly.js itself is the copy that ships inside the plotly Python
package; Streamlit serves both files through (never mounted) v1 component routes, so nothing is
copied or written.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
from functools import partial
from pathlib import Path

import plotly
import streamlit as st
import streamlit.components.v1 as components_v1

from .lang import t
from .live_feed import STREAMED, session_feed
from .live_updates import chart_data

LIVE_COMPONENT = "rnnx_live_chart"  # the component's name (must be unique in the app)
GROUP_COMPONENT = "rnnx_live_charts"  # a group of live charts in rows (class mode's followers)
_PLOTLY_DIR = os.path.join(os.path.dirname(plotly.__file__), "package_data")
PLOTLY_FILE = "plotly.min.js"
STATIC_DIR = Path(__file__).resolve().parents[1] / "static"  # the app's own files (explorer/static)
LIVE_JS = "live_chart.js"  # the browser half of the live charts, in STATIC_DIR

# The components' code is explorer/static/live_chart.js, served by the app (through a never
# mounted v1 component route, like plotly.js): Streamlit sends a v2 component's inline script with
# every element, and each refresh of each chart then carried 12 KB of it. The inline script only
# loads the module (once per page) and hands each call to one of its functions.
_LOADER_JS = r"""
const mod = import(new URL("%(src)s", document.baseURI).href);
export default function (args) {
  let cleanup = null, gone = false;
  mod.then((m) => { if (!gone) cleanup = m.%(fn)s(args); })
     .catch((e) => { args.parentElement.textContent = ((args.data && args.data.failed) || %(failed)s) + " (" + e.message + ")"; });
  return () => { gone = true; if (cleanup) cleanup(); };
}
"""


def _code_version() -> str:
    """A digest of the module's text: its URL changes with it (no stale copy in a browser cache)."""
    return hashlib.sha256((STATIC_DIR / LIVE_JS).read_bytes()).hexdigest()[:12]


def _loader(fn: str, src: str) -> str:
    """The inline script of a component whose code is function ``fn`` of the module at ``src``
    (the message if it cannot be loaded: the chart's own, in the page's language, else English)."""
    return _LOADER_JS % {"src": src, "fn": fn, "failed": json.dumps("could not load the live charts")}


@st.cache_resource(show_spinner=False)
def _component():
    """Register the component and the routes to plotly.js and our module once per server (all app-wide)."""
    served = components_v1.declare_component("rnnx_plotly_js", path=_PLOTLY_DIR)
    src = f"component/{served.name}/{PLOTLY_FILE}"  # relative to the page (works under a base path)
    ours = components_v1.declare_component("rnnx_static", path=str(STATIC_DIR))
    module = f"component/{ours.name}/{LIVE_JS}?v={_code_version()}"
    js, group = _loader("chart", module), _loader("group", module)
    return (st.components.v2.component(LIVE_COMPONENT, js=js, isolate_styles=False), src,
            st.components.v2.component(GROUP_COMPONENT, js=group, isolate_styles=False))


def live_chart(fig, key: str, *, where=None) -> None:
    """Draw ``fig`` as a live chart: the same graph is updated in place on every rerun.

    Args:
        fig: a plotly figure (its ``layout.uirevision`` decides when the user's view is kept), or
            ``explorer.app.live_feed.STREAMED``: the session's stream brings it.
        key: the chart's key; the chart's identity in the browser, so it must be stable.
        where: a container or column to draw in (default: the current one).
    """
    mount, src, _ = _component()
    feed = session_feed()
    data = {"key": key, "feed": feed.url, "src": src, "failed": t("widgets.live_chart_failed")}
    if fig is not STREAMED:  # a timed refresh sends what changed (explorer.app.live_updates)
        with feed.lock:
            data.update(chart_data(fig, key, feed.sent))
    with where if where is not None else contextlib.nullcontext():
        # "resync": the browser asks for the whole figure
        mount(key=key, data=data, width="stretch", height="content", on_resync_change=partial(feed.forget, key))


def live_chart_group(group: bytes, key: str) -> None:
    """Draw a group of live charts in rows as one element (``group``: UTF-8 JSON of {"rows":
    [[chart key, ...], ...], "specs": {chart key: live_spec text}}, built once for every follower
    by ``explorer.jobs.rooms``); each chart keeps its graph, and its reader's zoom, across updates.
    Sent as bytes, which Streamlit forwards as they are (a dict would be JSON-escaped, and hashed
    for its identity, once per follower and refresh)."""
    _, src, mount = _component()
    head = f"{src}\n{t('widgets.live_chart_failed')}\n".encode()
    mount(key=key, data=head + group, width="stretch", height="content")
