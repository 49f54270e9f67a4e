"""Live charts in a real browser: patches keep the reader's zoom, the curve stays bounded, and no
extreme the reader saw leaves the chart."""
import time

from .conftest import assert_no_exception, wait_idle

# a small, fast run, so the curve passes the 2,000-point bound within a test
FAST_RUN = "lab.steps=200000&lab.kind=rnn&lab.hidden=8&lab.seq_len=10&lab.batch=8"
LOSS_EL = """[...document.querySelectorAll('.js-plotly-plot')].find(el => el.layout && el.layout.title
    && String(el.layout.title.text).replace(/<[^>]*>/g, '').startsWith('Loss'))"""
# [last step drawn, points held, min y, max y, revision, x autorange, x range lo, x range hi, tag]
STATE_JS = f"""() => {{ const el = {LOSS_EL};
  if (!el || !el._fullData || !el._fullData.length || !el.__rnnxFig) return null;
  if (!el.__testTag) el.__testTag = Math.random().toString(36).slice(2);
  const x = el._fullData[0].x, y = Array.from(el._fullData[0].y), ax = el._fullLayout.xaxis;
  return [Number(x[x.length - 1]), x.length, Math.min(...y), Math.max(...y), el.__rnnxFig.rev,
          ax.autorange, ax.range[0], ax.range[1], el.__testTag]; }}"""


RESYNCS_JS = "() => window.__rnnxResyncs || 0"  # whole figures the page's charts asked for


def _state(page):
    return page.evaluate(STATE_JS)


def test_a_zoomed_live_chart_stays_zoomed_and_bounded(page, app_server):
    page.goto(f"{app_server}/training_lab?{FAST_RUN}")
    wait_idle(page)
    page.get_by_role("button", name="Train").click()
    # running (the page has rerun for the status change) and every chart drawn: from then on the
    # loss chart is patched, not rebuilt
    page.wait_for_function("() => [...document.querySelectorAll('[data-testid=stMetricValue]')]"
                           ".some(e => e.innerText.trim() === 'running')", timeout=120000)
    page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length >= 5", timeout=120000)
    page.wait_for_function(f"() => {{ const el = {LOSS_EL}; if (!el) return false;"
                           " const r = el.getBoundingClientRect(); if (r.top >= 0 && r.bottom <= innerHeight) return true;"
                           " el.scrollIntoView({block: 'center'}); return false; }", timeout=30000, polling=300)
    # the reader watches the chart (a chart out of sight is not redrawn) while the run gets going
    page.wait_for_function(f"(() => {{ const s = ({STATE_JS})(); return s && s[0] > 200; }})", timeout=120000)
    # The page above the chart may still move (status line, messages) between measuring the chart
    # and pressing: as a reader would, drag again if a drag did not zoom (at most three times).
    for attempt in range(3):
        page.wait_for_function(f"() => !!({LOSS_EL}) && !!({LOSS_EL}).querySelector('.nsewdrag')", timeout=30000)
        x, y, w, h = page.evaluate(f"""() => {{ const r = ({LOSS_EL}).querySelector('.nsewdrag').getBoundingClientRect();
            return [r.x, r.y, r.width, r.height]; }}""")
        page.mouse.move(x + 0.3 * w, y + 0.3 * h)
        time.sleep(0.3)  # a hand rests before it presses (plotly reads the hover first)
        page.mouse.down()
        page.mouse.move(x + 0.6 * w, y + 0.7 * h, steps=8)
        page.mouse.up()
        try:
            page.wait_for_function(f"() => {{ const s = ({STATE_JS})(); return s && s[5] === false; }}", timeout=10000)
            break
        except Exception:
            if attempt == 2:
                raise AssertionError("three drags on the loss chart did not zoom it")
    zoomed = _state(page)
    # Resyncs from here on: as the page reruns into streaming, a chart may ask for its whole figure
    # once (seen on a busy machine: the chart drawn before any figure of its had come), not while
    # it is being patched.
    resyncs0 = page.evaluate(RESYNCS_JS)
    # the curve grows past the 2,000-point bound while the reader looks at the zoomed region
    page.wait_for_function(f"() => {{ const s = ({STATE_JS})(); return s && s[0] > Math.max(3000, {zoomed[0]} + 1000); }}",
                           timeout=240000, polling=500)
    after = _state(page)
    assert after[8] == zoomed[8], "the loss chart was rebuilt instead of patched"
    assert after[4] > zoomed[4] + 2  # several refreshes came in
    assert after[1] <= 2000 < after[0], f"{after[1]} points for {after[0]} steps"
    # extremes the reader saw are still drawn (buckets merged, min and max kept)
    assert after[2] <= zoomed[2] and after[3] >= zoomed[3], f"lost an extreme: {zoomed[2:4]} -> {after[2:4]}"
    assert page.evaluate(RESYNCS_JS) - resyncs0 <= 1  # patches apply (a resync is the exception)
    assert_no_exception(page)
    assert after[5] is False and after[6:8] == zoomed[6:8], (
        f"zoom lost: {zoomed} -> {after}, resyncs {page.evaluate('() => window.__rnnxResyncs || 0')}")
    # a double click gives the axes back to the data: later updates do not restore the old zoom
    page.mouse.dblclick(x + 0.5 * w, y + 0.5 * h)
    page.wait_for_function(f"() => {{ const s = ({STATE_JS})(); return s && s[5] === true; }}", timeout=15000)
    rev = _state(page)[4]
    page.wait_for_function(f"() => {{ const s = ({STATE_JS})(); return s && s[4] >= {rev} + 3; }}", timeout=120000,
                           polling=300)
    final = _state(page)
    assert final[5] is True and final[7] > zoomed[7], f"the old zoom came back: {zoomed} -> {final}"


def test_a_chart_out_of_sight_waits_and_shows_the_newest_figure_in_sight(page, app_server):
    """A live chart scrolled out of sight is not redrawn (the browser's thread is spared) but keeps
    the newest figure, and draws it as soon as it comes back into sight."""
    page.goto(f"{app_server}/training_lab?{FAST_RUN}")
    wait_idle(page)
    page.get_by_role("button", name="Train").click()
    page.wait_for_function("() => [...document.querySelectorAll('[data-testid=stMetricValue]')]"
                           ".some(e => e.innerText.trim() === 'running')", timeout=120000)
    page.wait_for_function(f"() => {{ const el = {LOSS_EL}; if (el) el.scrollIntoView({{block: 'start'}}); return !!el; }}",
                           timeout=120000)
    page.wait_for_function(f"(() => {{ const s = ({STATE_JS})(); return s && s[0] > 200; }})", timeout=120000)
    # the reader scrolls down to the last chart: the loss chart is far above the window
    page.evaluate("() => { const c = [...document.querySelectorAll('.js-plotly-plot')]; c[c.length - 1].scrollIntoView({block: 'end'}); }")
    page.wait_for_function(f"() => ({LOSS_EL}).getBoundingClientRect().bottom < -400", timeout=30000)
    rev = _state(page)[4]
    # new points keep coming (the chart's figure moves on), but none is drawn while out of sight
    page.wait_for_function(f"() => ({LOSS_EL}).__rnnxFig.rev >= {rev} + 3", timeout=60000)
    held = page.evaluate(f"() => {{ const el = {LOSS_EL}; return [el.__rnnxDrawn === el.__rnnxFig, el.__rnnxFig.rev]; }}")
    assert held[0] is False, "a chart out of sight was redrawn with every new figure"
    page.evaluate(f"() => ({LOSS_EL}).scrollIntoView({{block: 'start'}})")
    # in sight again: the newest figure is drawn (at least the one it held)
    page.wait_for_function(f"() => {{ const el = {LOSS_EL}; return el.__rnnxDrawn === el.__rnnxFig && el.__rnnxFig.rev >= {held[1]}; }}",
                           timeout=10000)
    assert_no_exception(page)


# the loss chart's revision (brought into sight first: a chart out of sight is not redrawn)
REV_JS = f"""() => {{ const el = {LOSS_EL}; if (!el || !el.__rnnxFig) return -1;
  const r = el.getBoundingClientRect(); if (r.bottom < 0 || r.top > innerHeight) el.scrollIntoView({{block: 'start'}});
  return el.__rnnxFig.rev; }}"""


def _watch_loss_messages(page) -> list:
    """The websocket frames that carry the loss chart's data (a patch or a whole figure: its JSON
    text, escaped in the element's data, holds the revision)."""
    frames = []

    def frame(payload):
        b = payload if isinstance(payload, bytes) else payload.encode()
        if b"lab.chart.loss" in b and b'\\"rev\\"' in b:
            frames.append(len(b))
    page.on("websocket", lambda ws: ws.on("framereceived", frame))
    return frames


def test_the_lab_streams_its_live_charts_instead_of_rerunning_for_them(page, app_server):
    """While a run trains, the live charts come over the session's stream (explorer/app/live_feed.py),
    not with timed reruns: the loss chart moves on and no websocket message carries its data."""
    frames = _watch_loss_messages(page)
    page.goto(f"{app_server}/training_lab?{FAST_RUN}")
    wait_idle(page)
    page.get_by_role("button", name="Train").click()
    page.wait_for_function("() => (window.__rnnxStreamOpens || 0) >= 1", timeout=120000)
    page.wait_for_function(f"({REV_JS})() > 0", timeout=120000)
    first = page.evaluate(REV_JS)
    page.wait_for_function(f"({REV_JS})() >= {first} + 10", timeout=120000, polling=200)
    n0, rev0 = len(frames), page.evaluate(REV_JS)  # settled: the page has rerun into streaming
    resyncs0 = page.evaluate(RESYNCS_JS)
    page.wait_for_function(f"({REV_JS})() >= {rev0} + 15", timeout=120000, polling=200)
    assert len(frames) - n0 <= 1, f"{len(frames) - n0} websocket messages carried the loss chart's data"
    assert page.evaluate(RESYNCS_JS) - resyncs0 <= 1
    assert page.evaluate("() => window.__rnnxStreamOpens") == 1  # one stream, kept open
    assert_no_exception(page)


def test_without_the_stream_the_lab_draws_its_live_charts_with_reruns(page, app_server):
    """A stream that is refused (a proxy that blocks it, an ended session): the charts stay live,
    drawn by the page's timed reruns as before."""
    page.route("**/rnnx/live/**", lambda route: route.fulfill(status=404, body="blocked"))
    frames = _watch_loss_messages(page)
    page.goto(f"{app_server}/training_lab?{FAST_RUN}")
    wait_idle(page)
    page.get_by_role("button", name="Train").click()
    page.wait_for_function(f"({REV_JS})() > 0", timeout=120000)
    rev0, n0 = page.evaluate(REV_JS), len(frames)
    page.wait_for_function(f"({REV_JS})() >= {rev0} + 10", timeout=120000, polling=200)
    assert len(frames) - n0 >= 8, "the reruns did not carry the loss chart"
    assert page.evaluate("() => window.__rnnxStreamOpens || 0") == 0
    assert_no_exception(page)


SET_VISIBILITY_JS = """(state) => {
  Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => state});
  document.dispatchEvent(new Event('visibilitychange'));
}"""
OPEN_STREAMS_JS = "() => Object.values(window.__rnnxStores || {}).filter(s => s.es).length"


def test_a_hidden_tab_gives_its_stream_back_and_takes_it_again_when_shown(page, app_server):
    """A browser opens six connections to a server at most and each open stream holds one: a tab
    that is hidden closes its stream (its charts are then drawn by reruns), and opens it again when
    it is shown, with the charts still live."""
    page.goto(f"{app_server}/training_lab?{FAST_RUN}")
    wait_idle(page)
    page.get_by_role("button", name="Train").click()
    page.wait_for_function("() => (window.__rnnxStreamOpens || 0) >= 1", timeout=120000)
    page.evaluate(SET_VISIBILITY_JS, "hidden")
    page.wait_for_function(f"() => ({OPEN_STREAMS_JS})() === 0", timeout=30000)
    page.evaluate(SET_VISIBILITY_JS, "visible")
    page.wait_for_function("() => window.__rnnxStreamOpens >= 2", timeout=30000)
    assert page.evaluate(OPEN_STREAMS_JS) == 1
    page.wait_for_function(f"({REV_JS})() > 0", timeout=60000)
    rev = page.evaluate(REV_JS)
    page.wait_for_function(f"({REV_JS})() >= {rev} + 5", timeout=60000, polling=200)  # live again
    assert_no_exception(page)


def test_reset_takes_the_live_charts_off_the_page_without_errors(page, app_server):
    """Reset removes a training run's live charts: no script error on the way (plotly once refused
    to resize the graphs being removed: an uncaught rejection per chart)."""
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{app_server}/training_lab?{FAST_RUN}")
    wait_idle(page)
    page.get_by_role("button", name="Train", exact=True).click()
    page.wait_for_function("() => document.querySelectorAll('.rnnx-live-chart').length >= 5", timeout=120000)
    page.wait_for_function(f"({REV_JS})() > 3", timeout=120000)
    page.get_by_role("button", name="Reset", exact=True).click()
    page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length === 0", timeout=60000)
    wait_idle(page)
    page.wait_for_timeout(2000)  # the graphs' clean-up runs a second after they leave
    assert errors == [], errors
    assert_no_exception(page)


def test_patches_that_come_before_their_whole_figure_are_applied_to_it(page, app_server):
    """The stream can be faster than the websocket: patches made for the whole figure a script run
    sends can reach the page before it. They wait for it and are applied to it in turn, so the
    chart needs no resync (each one costs the server a whole figure). Messages from the server's own
    ``next_message``, offered to explorer/static/live_chart.js in that order."""
    import json

    import numpy as np

    from explorer.app.live_updates import next_message
    from explorer.figures.live_patch import decode_arrays

    sent, msgs = {}, []
    for rev in range(1, 8):  # a curve that grows, a probe heatmap whose values change
        fig = {"data": [{"type": "scatter", "x": np.arange(10 * rev), "y": np.sin(np.arange(10 * rev))},
                        {"type": "heatmap", "z": np.full((3, 4), float(rev))}], "layout": {"title": {"text": "t"}}}
        m = next_message(sent, "k", fig, partial=rev > 1)
        kind = "spec" if "spec" in m else "patch"
        msgs.append([kind, json.loads(m[kind])])
    assert [k for k, _ in msgs] == ["spec"] + ["patch"] * 6
    assert 1 not in msgs[5][1]["bases"]  # revision 6 cannot be applied to revision 1 on its own
    page.goto(f"{app_server}/training_lab?{FAST_RUN}")
    wait_idle(page)
    page.get_by_role("button", name="Step once").click()  # live charts on the page: their module loads
    module = page.wait_for_function("""() => performance.getEntriesByType("resource").map((e) => e.name)
        .find((n) => n.includes("/live_chart.js"))""", timeout=120000).json_value()
    held = page.evaluate("""async ([module, msgs]) => {
      const m = await import(module), store = m.testing.store(), seen = {resyncs: 0, drawn: []};
      const offer = ([kind, msg]) => m.testing.offer(store, "k", kind, msg);
      msgs.slice(1, 5).forEach(offer);  // revisions 2-5 over the stream, before the page's figure
      store.charts.k = {resync: () => { seen.resyncs += 1; }, draw: (f) => seen.drawn.push(f.rev)};
      offer(msgs[0]);                   // revision 1: the script run's whole figure, with the chart
      msgs.slice(5).forEach(offer);     // 6 and 7 over the stream
      const fig = store.figs.k;
      return {rev: fig.rev, resyncs: seen.resyncs, drawn: seen.drawn,
              x: Array.from(fig.data[0].x), z: JSON.stringify(fig.data[1].z)};
    }""", [module, msgs])
    assert held["resyncs"] == 0 and held["drawn"] == [5, 6, 7] and held["rev"] == 7, held
    assert held["x"] == list(range(70))
    assert decode_arrays(json.loads(held["z"])).ravel().tolist() == [7.0] * 12
