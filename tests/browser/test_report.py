"""Download a run's report from the Training lab and open it offline: every chart drawn, the replay moves."""
import json

import pytest

from .conftest import INTO_SIGHT_JS, assert_no_exception, screenshot, wait_idle

STEPS = 30
# the loss chart's last training step (live charts decode plotly's typed arrays into _fullData),
# brought into sight as a reader watches it
LAST_STEP_JS = """() => {
  const p = [...document.querySelectorAll('.js-plotly-plot')].find(el => el.layout && el.layout.title
      && String(el.layout.title.text).replace(/<[^>]*>/g, '').startsWith('Loss'));
  if (p) (%s)(p);
  if (!p || !p._fullData || !p._fullData.length || !p._fullData[0].x) return -1;
  const x = p._fullData[0].x; return x.length ? Number(x[x.length - 1]) : 0;
}""" % INTO_SIGHT_JS
TRAJ_JS = """() => [...document.querySelectorAll('.js-plotly-plot')].find(el => el.layout && el.layout.title
    && String(el.layout.title.text).includes('trajectories'))"""
TRAJ_X_JS = f"""() => {{ const el = ({TRAJ_JS})(); return el && el._fullData.length ? Array.from(el._fullData[0].x).slice(0, 40) : null; }}"""


def test_download_the_report_and_replay_it_offline(page, browser, app_server, shot_dir, tmp_path):
    page.goto(f"{app_server}/training_lab?lab.steps={STEPS}&lab.probe_every=5")
    wait_idle(page)
    assert_no_exception(page)
    page.get_by_role("button", name="Train").click()
    page.wait_for_function(f"({LAST_STEP_JS})() === {STEPS}", timeout=180000)
    wait_idle(page)
    with page.expect_download(timeout=120000) as dl:
        page.get_by_role("button", name="Download report").click()
    path = tmp_path / "report.html"
    dl.value.save_as(path)
    screenshot(page, shot_dir, "training_lab_report_button")
    assert dl.value.suggested_filename.endswith(".html")
    doc = path.read_text()
    expected = doc.count('<div class="chart')
    assert expected >= 7

    # a new page that may load nothing but the file itself
    offline = browser.new_context(viewport={"width": 1300, "height": 900})
    try:
        rp = offline.new_page()
        rp.bring_to_front()  # a page in the background gets no animation frames: plotly's replay would stall
        requests, errors = [], []
        rp.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        rp.on("pageerror", lambda e: errors.append(str(e)))

        def only_files(route):
            requests.append(route.request.url)
            return route.abort() if not route.request.url.startswith("file:") else route.continue_()

        rp.route("**/*", only_files)
        rp.goto(path.as_uri())
        rp.wait_for_function("() => document.body.dataset.ready", timeout=60000)
        assert rp.evaluate("document.body.dataset.ready") == "1"
        assert rp.locator(".js-plotly-plot").count() == expected
        assert int(rp.evaluate("document.body.dataset.charts")) == expected
        assert rp.locator(".chart-error").count() == 0 and errors == []
        assert [u for u in requests if not u.startswith("file:")] == []
        # every chart has its traces drawn, and the replays carry their frames
        drawn = rp.evaluate("() => [...document.querySelectorAll('.js-plotly-plot')]"
                            ".map(el => el._fullData.length > 0 && !!el.querySelector('.main-svg'))")
        assert all(drawn)
        assert rp.evaluate(f"() => Object.keys(({TRAJ_JS})()._transitionData._frameHash).length") >= 2

        rp.evaluate(f"() => ({TRAJ_JS})().scrollIntoView()")
        screenshot(rp, shot_dir, "report_offline")
        before = rp.evaluate(TRAJ_X_JS)
        assert before
        # press Play: the trajectories replay from the first probe
        traj = rp.locator(".js-plotly-plot").filter(has=rp.locator("text=trajectories"))
        traj.locator(".updatemenu-button").first.click()
        rp.wait_for_function(f"() => JSON.stringify(({TRAJ_X_JS})()) !== {json.dumps(json.dumps(before))}",
                             timeout=30000, polling=100)
        # let it play to the end: the chart is back at the last frame (the final trajectories)
        n_frames = rp.evaluate(f"() => ({TRAJ_JS})().layout.sliders[0].steps.length")
        rp.wait_for_function(f"() => ({TRAJ_JS})().layout.sliders[0].active === {n_frames - 1}", timeout=30000,
                             polling=100)
        rp.wait_for_timeout(300)
        assert rp.evaluate(TRAJ_X_JS) == pytest.approx(before, rel=1e-6, abs=1e-7)
        # drag the slider to its start: the first probe's trajectories again
        rail = traj.locator(".slider-rail-rect").first.bounding_box()
        rp.mouse.click(rail["x"] + 2, rail["y"] + rail["height"] / 2)
        rp.wait_for_function(f"() => JSON.stringify(({TRAJ_X_JS})()) !== {json.dumps(json.dumps(before))}",
                             timeout=30000, polling=100)
        assert rp.evaluate(f"() => ({TRAJ_JS})().layout.sliders[0].active") == 0
        screenshot(rp, shot_dir, "report_offline_first_step")
    finally:
        offline.close()
