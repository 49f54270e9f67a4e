"""The Training lab in a real browser: train, watch the loss chart update, pause, switch pages."""
import time

from explorer.jobs.training_job import PROBE_EVERY

from .conftest import INTO_SIGHT_JS, assert_no_exception, screenshot, wait_idle

# The last training step the loss chart shows. The reader watches it: a live chart out of sight is
# not redrawn (explorer/app/live_chart.py), so it is scrolled into sight first, as a reader would.
LOSS_POINTS_JS = """() => {
  const plots = [...document.querySelectorAll('.js-plotly-plot')];
  const p = plots.find(el => el.layout && el.layout.title && String(el.layout.title.text).replace(/<[^>]*>/g, '').startsWith('Loss'));
  if (p) (%s)(p);
  if (!p || !p._fullData || !p._fullData.length || !p._fullData[0].x) return -1;
  const x = p._fullData[0].x;  // decoded (the spec may hold base64 'bdata')
  return x.length ? Number(x[x.length - 1]) : 0;
}""" % INTO_SIGHT_JS


def test_train_pause_switch_pages(page, app_server, shot_dir):
    # a long run (steps through the URL), so it is still training when Pause is pressed
    page.goto(f"{app_server}/training_lab?lab.steps=200000")
    wait_idle(page)
    assert_no_exception(page)
    page.get_by_role("button", name="Train").click()
    # the loss chart's last training step must advance at least twice while we watch
    seen = []
    end = time.time() + 120
    while time.time() < end and len(set(v for v in seen if v > 0)) < 3:
        seen.append(page.evaluate(LOSS_POINTS_JS))
        time.sleep(0.3)
    distinct = sorted(set(v for v in seen if v > 0))
    assert len(distinct) >= 3, f"loss chart did not update live: last steps seen {seen[-10:]}"
    screenshot(page, shot_dir, "training_lab_running")
    page.get_by_role("button", name="Pause").click(no_wait_after=True)
    page.wait_for_function("() => [...document.querySelectorAll('[data-testid=stMetricValue]')]"
                           ".some(e => e.innerText.trim() === 'paused')", timeout=90000)
    # the step the server says it paused at; the live chart catches up with it by itself (its
    # refresh comes after the status line's, later still on a busy machine)
    paused_at = page.evaluate(PROGRESS_STEP_JS)
    assert paused_at and paused_at > 0
    page.wait_for_function(f"({LOSS_POINTS_JS})() === {paused_at}", timeout=60000)
    assert_no_exception(page)
    page.get_by_role("link", name="Home").click()
    wait_idle(page)
    assert_no_exception(page)
    page.get_by_role("link", name="Training lab").first.click()
    wait_idle(page)
    page.wait_for_selector(".js-plotly-plot", timeout=30000)
    assert_no_exception(page)
    # the run survived the page switch and stayed paused: the same step, in words and in the chart
    page.wait_for_function(f"({PROGRESS_STEP_JS})() === {paused_at}", timeout=60000)
    page.wait_for_function(f"({LOSS_POINTS_JS})() === {paused_at}", timeout=60000)
    page.wait_for_function("() => [...document.querySelectorAll('[data-testid=stMetricValue]')]"
                           ".some(e => e.innerText.trim() === 'paused')", timeout=30000)
    assert page.locator(".js-plotly-plot").count() >= 5
    screenshot(page, shot_dir, "training_lab_paused")


# the step in the progress bar's text ("step 1,234 of 200,000"), or null before it shows
PROGRESS_STEP_JS = """() => { const el = [...document.querySelectorAll('[data-testid=stProgress]')]
    .map(e => e.innerText.match(/step ([\\d,]+) of/)).find(m => m);
  return el ? Number(el[1].replace(/,/g, '')) : null; }"""


LOSS_EL_JS = """() => [...document.querySelectorAll('.js-plotly-plot')].find(el => el.layout && el.layout.title
    && String(el.layout.title.text).replace(/<[^>]*>/g, '').startsWith('Loss'))"""
TAG_JS = f"""() => {{ const el = ({LOSS_EL_JS})(); if (!el) return null;
    if (!el.__rnnxTag) el.__rnnxTag = Math.random().toString(36).slice(2); return el.__rnnxTag; }}"""
X_RANGE_JS = f"""() => {{ const el = ({LOSS_EL_JS})(); return el && el._fullLayout
    ? [el._fullLayout.xaxis.autorange, el._fullLayout.xaxis.range[0], el._fullLayout.xaxis.range[1]] : null; }}"""


def test_live_chart_is_updated_in_place_and_keeps_the_users_zoom(page, app_server, shot_dir):
    """While training, the loss chart is one graph updated in place (not rebuilt on each refresh),
    and a region the user zoomed into stays zoomed while new points arrive."""
    page.goto(f"{app_server}/training_lab?lab.steps=200000")
    wait_idle(page)
    page.get_by_role("button", name="Train").click()
    page.wait_for_function(f"({LOSS_POINTS_JS})() > 0", timeout=120000)
    # every chart drawn (nothing above the loss chart moves any more), then the chart in view
    page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length >= 5", timeout=60000)
    # The page reruns once as the run starts (queued -> running), which may draw the charts anew:
    # start when the chart has been the same element for 1.5 s.
    tag, since = page.evaluate(TAG_JS), time.time()
    while time.time() - since < 1.5:
        time.sleep(0.25)
        now = page.evaluate(TAG_JS)
        if now != tag:
            tag, since = now, time.time()
    page.evaluate(f"() => ({LOSS_EL_JS})().scrollIntoView()")
    time.sleep(0.5)
    box = page.evaluate(f"""() => {{ const r = ({LOSS_EL_JS})().querySelector('.nsewdrag').getBoundingClientRect();
        return [r.x, r.y, r.width, r.height]; }}""")
    x, y, w, h = box
    # drag a zoom box over the middle of the plot, as a user does
    page.mouse.move(x + 0.3 * w, y + 0.3 * h)
    time.sleep(0.3)  # a hand rests before it presses
    page.mouse.down()
    page.mouse.move(x + 0.6 * w, y + 0.7 * h, steps=8)
    time.sleep(0.2)
    page.mouse.up()
    zoomed = page.evaluate(X_RANGE_JS)
    assert zoomed is not None and zoomed[0] is False, (
        f"the drag did not zoom: {zoomed}; same chart: {page.evaluate(TAG_JS) == tag}; "
        f"steps {page.evaluate(LOSS_POINTS_JS)}; charts {page.locator('.js-plotly-plot').count()}")
    step0 = page.evaluate(LOSS_POINTS_JS)
    page.wait_for_function(f"({LOSS_POINTS_JS})() > {step0} + 20", timeout=60000)  # new points came
    time.sleep(1.0)  # and a few more refreshes
    assert page.evaluate(TAG_JS) == tag, "the loss chart was rebuilt instead of updated"
    after = page.evaluate(X_RANGE_JS)
    assert after[0] is False and after[1:] == zoomed[1:], f"zoom lost: {zoomed} -> {after}"
    assert page.evaluate(LOSS_POINTS_JS) > step0  # the data did update under the zoom
    assert_no_exception(page)
    screenshot(page, shot_dir, "training_lab_zoomed")


def test_live_chart_follows_its_column_when_the_sidebar_folds(page, app_server):
    """Folding the sidebar widens the main column without a window resize: live charts follow."""
    page.goto(f"{app_server}/training_lab")
    wait_idle(page)
    page.get_by_role("button", name="Step once").click()
    page.wait_for_function(f"({LOSS_POINTS_JS})() >= 0", timeout=120000)
    width = f"() => ({LOSS_EL_JS})()._fullLayout.width"
    before = page.evaluate(width)
    page.hover("[data-testid=stSidebar]")  # the fold button shows on hover
    page.locator("[data-testid=stSidebarCollapseButton] button").click()
    page.wait_for_function(f"({width})() > {before} + 100", timeout=15000)
    assert_no_exception(page)


def test_live_chart_says_so_when_plotly_js_cannot_load(page, app_server):
    page.route("**/plotly.min.js", lambda route: route.abort())
    page.goto(f"{app_server}/training_lab")
    wait_idle(page)
    page.get_by_role("button", name="Step once").click()
    page.get_by_text("could not load its drawing library").first.wait_for(timeout=60000)
    assert_no_exception(page)


SIDEBAR_STEP_JS = """() => { const e = [...document.querySelectorAll('[data-testid=stSidebar] p')]
  .find(p => p.innerText.startsWith('Training-lab run'));
  const m = e && e.innerText.match(/running, step ([\\d,]+)/); return m ? Number(m[1].replace(/,/g, '')) : -1; }"""


def test_the_sidebar_run_line_follows_the_run(page, app_server):
    """The sidebar's "Training-lab run: ... running, step N" advances on its own (every 5 s) while the run
    trains (it stayed at the step of the last full script run while the live view went on)."""
    page.goto(f"{app_server}/training_lab?lab.steps=200000")
    wait_idle(page)
    page.get_by_role("button", name="Train").click()
    page.wait_for_function(f"() => ({SIDEBAR_STEP_JS})() >= 0", timeout=60000)
    # the page's own script runs (the start, the first probe's charts at step 100) end early; past
    # several probes only the line's own refresh can move it
    page.wait_for_function(f"() => ({SIDEBAR_STEP_JS})() > 5 * {PROBE_EVERY}", timeout=120000)
    page.get_by_role("button", name="Pause").click()
    wait_idle(page)
    assert_no_exception(page)
