"""Class mode in real browsers: one lecturer and three followers, each in their own browser context
(own cookies and session). The followers' step counters follow the lecturer's; a follower's zoom
outlives the live refreshes; followers have no control of the lecturer's run; "Take a copy" gives a
follower a run of their own; ending the room tells the followers."""
import re
import time

from .conftest import INTO_SIGHT_JS, VIEWPORT, assert_no_exception, screenshot, wait_idle

# the step of the first progress bar: "step 1,210 of 200,000" / "200,000단계 중 1,210단계"
STEP_JS = """() => { const el = document.querySelector('[data-testid=stProgress]'); if (!el) return -1;
  const s = el.innerText, m = s.match(/step ([\\d,]+)/) || s.match(/중 ([\\d,]+)/);
  return m ? Number(m[1].replace(/,/g, '')) : -1; }"""
LOSS_EL_JS = """() => [...document.querySelectorAll('.js-plotly-plot')].find(el => el.layout && el.layout.title
    && String(el.layout.title.text).replace(/<[^>]*>/g, '').startsWith('Loss'))"""
LOSS_LAST_X_JS = f"""() => {{ const p = ({LOSS_EL_JS})(); if (p) ({INTO_SIGHT_JS})(p);  // watched, in sight
  if (!p || !p._fullData || !p._fullData.length) return -1;
  const x = p._fullData[0].x; return x && x.length ? Number(x[x.length - 1]) : -1; }}"""
X_RANGE_JS = f"""() => {{ const el = ({LOSS_EL_JS})(); return el && el._fullLayout
    ? [el._fullLayout.xaxis.autorange, el._fullLayout.xaxis.range[0], el._fullLayout.xaxis.range[1]] : null; }}"""
TAG_JS = f"""() => {{ const el = ({LOSS_EL_JS})(); if (!el) return null;
    if (!el.__rnnxTag) el.__rnnxTag = Math.random().toString(36).slice(2); return el.__rnnxTag; }}"""
STATUS_JS = """(want) => [...document.querySelectorAll('[data-testid=stMetricValue]')].some(e => e.innerText.trim() === want)"""
RUN_CONTROLS = re.compile(r"^(Train|Pause|Reset|Step once|Resume|학습|일시 정지|초기화|한 단계)$")


def _context_page(browser):
    ctx = browser.new_context(viewport=VIEWPORT)
    ctx.set_default_timeout(120_000)  # two busy cores: the server, its training threads, four browsers
    return ctx, ctx.new_page()


def _wait_step_above(page, value: int, timeout: float = 120_000) -> int:
    page.wait_for_function(f"({STEP_JS})() > {value}", timeout=timeout)
    return page.evaluate(STEP_JS)


def _zoom_loss_chart(page) -> list:
    """Drag a zoom box over the middle of a follower's loss chart, as a user does."""
    page.wait_for_function(f"({LOSS_LAST_X_JS})() > 0", timeout=120_000)
    page.evaluate(f"() => ({LOSS_EL_JS})().scrollIntoView()")
    box = page.evaluate(f"""() => {{ const r = ({LOSS_EL_JS})().querySelector('.nsewdrag').getBoundingClientRect();
        return [r.x, r.y, r.width, r.height]; }}""")
    x, y, w, h = box
    page.mouse.move(x + 0.3 * w, y + 0.3 * h)
    page.mouse.down()
    page.mouse.move(x + 0.6 * w, y + 0.7 * h, steps=8)
    page.mouse.up()
    page.wait_for_function(f"() => {{ const r = ({X_RANGE_JS})(); return r && r[0] === false; }}", timeout=10_000)
    return page.evaluate(X_RANGE_JS)


def test_one_lecturer_three_followers(browser, app_server, shot_dir):
    contexts = []
    try:
        lctx, lect = _context_page(browser)
        contexts.append(lctx)
        lect.goto(f"{app_server}/training_lab?lab.steps=200000")  # outlasts the test: a worker trains 20,000 steps in a minute
        wait_idle(lect)
        lect.get_by_role("button", name="Train").click()
        lect.wait_for_selector("button:has-text('Pause'):not([disabled])")
        wait_idle(lect)
        lect.get_by_role("button", name="Share with the class").click()
        lect.wait_for_selector("[data-testid='stImage'] img")
        wait_idle(lect)
        assert_no_exception(lect)
        qr = lect.locator("[data-testid='stImage'] img").first.bounding_box()
        assert qr["width"] >= 360 and qr["height"] >= 360, qr
        link = lect.locator("[data-testid='stCode']").filter(has_text="/follow?room=").first.inner_text()
        code = re.search(r"room=([0-9A-Z]{8})", link).group(1)
        screenshot(lect, shot_dir, "class_lecturer_shared")

        followers = []
        for lang in ("en", "en", "ko"):
            ctx, page = _context_page(browser)
            contexts.append(ctx)
            page.goto(f"{app_server}/follow?room={code}&lang={lang}")
            followers.append(page)
        for page in followers:
            wait_idle(page)
            assert_no_exception(page)
        assert followers[2].get_by_text("강의자").count() > 0  # the Korean follower reads Korean

        # the followers' counters follow the lecturer's: each reaches the step the lecturer showed, then moves on
        lecturer_step = _wait_step_above(lect, 0)
        for page in followers:
            seen = _wait_step_above(page, lecturer_step - 1)
            _wait_step_above(page, seen)
        # no control of the lecturer's run on a follower's page, in either language
        for page in followers:
            controls = page.get_by_role("button", name=RUN_CONTROLS)
            enabled = [controls.nth(i).inner_text() for i in range(controls.count()) if controls.nth(i).is_enabled()]
            assert not enabled, enabled
            assert page.get_by_role("button", name=re.compile("Take a copy|복사본 받기")).count() == 1

        # a follower's zoom outlives the live refreshes (new data keep coming under it)
        f0 = followers[0]
        zoomed = _zoom_loss_chart(f0)
        tag = f0.evaluate(TAG_JS)
        last = f0.evaluate(LOSS_LAST_X_JS)
        f0.wait_for_function(f"({LOSS_LAST_X_JS})() > {last}", timeout=120_000)  # a refresh with new points
        step = f0.evaluate(STEP_JS)
        _wait_step_above(f0, step)  # and another refresh
        assert f0.evaluate(TAG_JS) == tag, "the follower's loss chart was rebuilt instead of updated"
        assert f0.evaluate(X_RANGE_JS) == zoomed, "the follower's zoom was reset by a refresh"
        # the other followers' views are their own: not zoomed
        assert followers[1].evaluate(X_RANGE_JS)[0] is not False
        screenshot(f0, shot_dir, "class_follower_zoomed")
        screenshot(followers[2], shot_dir, "class_follower_ko")

        # Take a copy: the second follower gets a run of their own in their Training lab
        f1 = followers[1]
        f1.get_by_role("button", name="Take a copy").click()
        f1.wait_for_url(re.compile(r"/training_lab"))
        wait_idle(f1)
        assert_no_exception(f1)
        f1.wait_for_function(STATUS_JS, arg="paused")
        f1.get_by_role("button", name="Train").click()
        f1.wait_for_function(f"({STEP_JS})() > 0", timeout=120_000)  # their copy trains...
        own = f1.evaluate(STEP_JS)
        lect_now = lect.evaluate(STEP_JS)
        assert own < lect_now, (own, lect_now)  # ...from its own step 0, not the lecturer's counter
        f1.get_by_role("button", name="Pause").click()
        f1.wait_for_function(STATUS_JS, arg="paused")
        _wait_step_above(lect, lect_now)  # and the lecturer's run goes on
        screenshot(f1, shot_dir, "class_follower_copy")

        # the lecturer ends the room: the followers are told
        lect.get_by_role("button", name="End the room").click()
        wait_idle(lect)
        followers[0].get_by_text("The lecturer has ended room").wait_for(timeout=60_000)
        followers[2].get_by_text("강의자가 방").wait_for(timeout=60_000)
        for page in (followers[0], followers[2]):
            assert_no_exception(page)
        screenshot(followers[0], shot_dir, "class_follower_ended")
    finally:
        for ctx in contexts:
            ctx.close()
