"""The live feed (explorer/app/live_feed.py) and the messages it shares with script runs
(explorer/app/live_updates.py): revisions, patches that apply to every base they name, sources
built at their cadence, and the stream route."""
import asyncio
import json
import threading

import numpy as np
import plotly.graph_objects as go
import pytest
from starlette.applications import Starlette

from explorer.app import live_feed as LF
from explorer.app.live_updates import BASES, forget, next_message
from explorer.figures.live import figure_parts
from explorer.figures.live_patch import apply_patch, decode_arrays, live_json


def curve(n: int, title: str = "Loss") -> go.Figure:
    x = np.arange(n, dtype=float)
    return go.Figure(go.Scatter(x=x, y=np.sin(x / 7.0)), layout=dict(title=title, height=300))


def parsed(msg: dict) -> tuple[str, dict]:
    (kind, text), = msg.items()
    return kind, json.loads(text)


def same_figure(a: dict, b: dict) -> bool:
    a, b = decode_arrays(a), decode_arrays(b)
    if a["layout"] != b["layout"] or len(a["data"]) != len(b["data"]):
        return False
    for ta, tb in zip(a["data"], b["data"]):
        if set(ta) != set(tb):
            return False
        for k in ta:
            if isinstance(ta[k], (list, np.ndarray)):
                if not np.array_equal(np.asarray(ta[k], dtype=float), np.asarray(tb[k], dtype=float)):
                    return False
            elif ta[k] != tb[k]:
                return False
    return True


def strip(fig: dict) -> dict:
    return {"data": fig["data"], "layout": fig["layout"]}


def apply(held: dict, patch: dict) -> dict:
    """What the browser makes of the figure it holds and a patch (arrays decoded, as it does)."""
    return apply_patch(decode_arrays(held), decode_arrays(patch))


def test_a_chart_sends_its_figure_then_patches_that_apply_to_every_base_named():
    sent, held = {}, {}
    kind, first = parsed(next_message(sent, "c", curve(50), partial=True))
    assert kind == "spec" and first["rev"] == 1  # nothing sent before: the whole figure
    held[1] = strip(first)
    assert next_message(sent, "c", sent["c"].fig, partial=True) is None  # the same figure: nothing
    for n, rev in ((60, 2), (75, 3), (90, 4), (120, 5)):
        kind, p = parsed(next_message(sent, "c", curve(n), partial=True))
        assert kind == "patch" and p["rev"] == rev
        want = figure_parts(curve(n))
        assert p["bases"] == list(range(max(1, rev - BASES), rev))
        for base in p["bases"]:  # a browser holding any of them gets the new figure
            assert same_figure(apply(held[base], p), want)
        held[rev] = strip(want)
        # a patch carries the new points, not the curve
        assert len(json.dumps(p)) < len(live_json(figure_parts(curve(n)))) / 2


def test_a_whole_figure_keeps_the_older_bases_and_forget_sends_the_whole_figure():
    sent = {}
    next_message(sent, "c", curve(40), partial=True)
    held1 = figure_parts(curve(40))
    kind, full = parsed(next_message(sent, "c", curve(45), partial=False))  # a full script run
    assert kind == "spec" and full["rev"] == 2
    # the stream's next patch may reach the browser before that whole figure: it still applies to rev 1
    kind, p = parsed(next_message(sent, "c", curve(50), partial=True))
    assert kind == "patch" and p["bases"] == [1, 2]
    assert same_figure(apply(held1, p), figure_parts(curve(50)))
    forget(sent, "c")  # the browser asked for the whole figure
    kind, again = parsed(next_message(sent, "c", curve(50), partial=True))
    assert kind == "spec" and again["rev"] == 4


def test_a_change_older_figures_cannot_take_is_patched_for_the_newest():
    sent = {}
    replay = curve(30)
    replay.frames = [go.Frame(data=[go.Scatter(y=[0.0, 1.0])], name="0")]  # frames are never patched
    next_message(sent, "c", replay, partial=True)
    assert parsed(next_message(sent, "c", curve(40), partial=True))[0] == "spec"  # the frames went: whole figure
    kind, p = parsed(next_message(sent, "c", curve(50), partial=True))
    assert kind == "patch" and p["bases"] == [2]  # the replay (rev 1) cannot take it; the newest can
    assert same_figure(apply(figure_parts(curve(40)), p), figure_parts(curve(50)))


class Builder:
    """A source whose figure grows by ten points per build."""

    def __init__(self, key="k"):
        self.key, self.calls = key, 0

    def __call__(self):
        self.calls += 1
        return {self.key: curve(10 * self.calls)}


def events(lines: list[str]) -> list[tuple[str, str, dict]]:
    out = []
    for ev in lines:
        assert ev.endswith("\n\n")
        key, kind, text = (ln.removeprefix("data: ") for ln in ev.strip("\n").split("\n"))
        out.append((key, kind, json.loads(text)))
    return out


def test_a_feed_builds_each_source_when_due_and_streams_what_changed():
    feed = LF.Feed("t" * 32)
    b = Builder()
    feed.publish("curves", b, every_s=0.5)
    first = events(feed.tick(now=100.0))
    assert [(k, kind) for k, kind, _ in first] == [("k", "spec")] and b.calls == 1
    assert feed.tick(now=100.2) == [] and b.calls == 1  # not due yet
    assert feed.wait_s(now=100.2) == pytest.approx(0.3)
    (key, kind, p), = events(feed.tick(now=100.5))
    assert kind == "patch" and p["bases"] == [first[0][2]["rev"]] and b.calls == 2
    feed.publish("curves", b, None)  # stopped: not built again
    assert feed.tick(now=200.0) == [] and b.calls == 2
    assert feed.wait_s(now=200.0) == LF.MAX_WAIT_S


def test_a_new_stream_starts_with_whole_figures_and_a_full_run_clears_the_sources():
    feed = LF.Feed("u" * 32)
    b = Builder()
    feed.publish("curves", b, every_s=1.0)
    feed.tick(now=10.0)
    assert events(feed.tick(now=11.0))[0][1] == "patch"
    first = feed.connect()  # a new page: it holds nothing, and the source is due at once
    assert feed.streaming and feed.generation == first
    assert events(feed.tick(now=11.1))[0][1] == "spec"
    feed.disconnect()
    assert not feed.streaming
    feed.begin_run()  # another page: it publishes nothing
    assert feed.tick(now=50.0) == []


def test_a_source_that_fails_is_dropped_and_the_others_go_on():
    feed = LF.Feed("v" * 32)

    def broken():
        raise ValueError("no figure")
    good = Builder("g")
    feed.publish("bad", broken, every_s=0.1)
    feed.publish("good", good, every_s=0.1)
    assert [k for k, _, _ in events(feed.tick(now=1.0))] == ["g"]
    assert [k for k, _, _ in events(feed.tick(now=2.0))] == ["g"]  # "bad" was not tried again
    assert good.calls == 2


def run_async(coro, timeout: float = 60):
    """``asyncio.run(coro)`` in a thread of its own (a browser test's Playwright keeps an event
    loop running in the main thread for the whole session)."""
    out = {}

    def target():
        try:
            out["value"] = asyncio.run(coro)
        except BaseException as e:  # handed to the test's thread
            out["error"] = e
    t = threading.Thread(target=target)
    t.start()
    t.join(timeout)
    assert not t.is_alive(), "the coroutine did not finish"
    if "error" in out:
        raise out["error"]
    return out.get("value")


def get(app, path: str) -> tuple[int, dict, str]:
    """A GET through the ASGI app (the client stays connected): (status, headers, body)."""
    sent = []

    async def receive():
        await asyncio.sleep(3600)  # the client never leaves; the response ends by itself

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": path, "raw_path": path.encode(), "query_string": b"",
             "headers": [], "http_version": "1.1", "scheme": "http", "server": ("test", 80),
             "client": ("test", 1), "root_path": ""}
    run_async(asyncio.wait_for(app(scope, receive, send), 30))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], {k.decode(): v.decode() for k, v in start["headers"]}, body.decode()


def test_the_stream_route_serves_a_feed_by_its_token_only():
    hub = LF.hub()
    feed = LF.Feed(LF.secrets.token_hex(16))
    b = Builder()

    def once():  # the session ends after its first figure: the stream ends with it
        out = b()
        feed.closed = True
        return out
    feed.publish("curves", once, every_s=0.1)
    hub.add(feed)
    app = Starlette(routes=LF.routes())
    try:
        assert get(app, "/rnnx/live/" + "0" * 32)[0] == 404  # a token nobody holds
        status, headers, body = get(app, "/" + feed.url)
        assert status == 200 and headers["content-type"].startswith("text/event-stream")
        assert body.startswith(f"retry: {LF.RETRY_MS}\n\n")
        (key, kind, spec), = events([body.split("\n\n", 1)[1]])
        assert key == "k" and kind == "spec" and spec["rev"] == 1
        assert not feed.streaming  # the connection is counted off when it ends
    finally:
        hub.remove(feed)
    assert hub.get(feed.token) is None


def test_cadence_slows_a_fragment_only_while_a_stream_carries_its_charts():
    assert LF.cadence(0.2, streaming=False) == 0.2
    assert LF.cadence(0.2, streaming=True) == LF.SLOW_S
    assert LF.cadence(None, streaming=True) is None
    assert LF.cadence(2.0, streaming=True) == 2.0
    assert LF.cadence(0.4, streaming=True, slow_s=2.0) == 2.0


def test_the_stream_route_lives_under_the_servers_base_path():
    from streamlit import config
    assert [r.path for r in LF.routes()] == ["/rnnx/live/{token}"]
    before = config.get_option("server.baseUrlPath")
    config.set_option("server.baseUrlPath", "/course/rnn/")
    try:
        assert [r.path for r in LF.routes()] == ["/course/rnn/rnnx/live/{token}"]
    finally:
        config.set_option("server.baseUrlPath", before)


def test_a_newer_stream_ends_an_older_one():
    """A reconnect may open a stream before the server has seen the old one go: the charts'
    messages must all go down one stream (a patch on the other would miss its bases)."""
    feed = LF.Feed("w" * 32)
    feed.publish("curves", Builder(), every_s=0.05)

    async def run():
        old = LF._events(feed)
        assert (await old.__anext__()).startswith("retry:")
        assert "data: k" in await old.__anext__()
        new = LF._events(feed)
        assert (await new.__anext__()).startswith("retry:")  # connected: the old stream's turn is over
        with pytest.raises(StopAsyncIteration):
            while True:
                await asyncio.wait_for(old.__anext__(), 5)
        assert feed.streaming  # the new one is still open
        await new.aclose()
        assert not feed.streaming
    run_async(run())
