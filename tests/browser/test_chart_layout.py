"""Chart texts do not collide in a real browser: a legend with many entries wraps onto several
rows, and a wrapped legend above the plot climbs into the chart's title. Checked on the Training
lab's charts for tasks whose legends have many entries (six examples, three channels), in a
projector-sized window."""
import pytest

from .conftest import assert_no_exception, wait_idle

# [chart title, [the pairs of its texts that overlap]] for every chart with a collision
COLLISIONS_JS = """() => [...document.querySelectorAll('.js-plotly-plot')].map((gd) => {
  const box = (sel) => [...gd.querySelectorAll(sel)].map((e) => e.getBoundingClientRect())
    .filter((r) => r.width > 0 && r.height > 0);
  const parts = {title: box('.gtitle'), legend: box('.legend'), "x title": box('.xtitle, [class*="x"][class$="title"]')};
  const hit = (a, b) => a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1;
  const pairs = [["title", "legend"], ["legend", "x title"]].filter(([p, q]) =>
    parts[p].some((a) => parts[q].some((b) => hit(a, b))));
  const title = gd.querySelector('.gtitle');
  return pairs.length ? [title ? title.textContent : "?", pairs.map((p) => p.join(" / "))] : null;
}).filter(Boolean)"""


@pytest.mark.parametrize("task, presenter", [("temporal_order", 0), ("flipflop", 0), ("sentiment", 0),
                                             ("temporal_order", 1), ("flipflop", 1)])
def test_the_labs_chart_titles_legends_and_axis_titles_do_not_overlap(page, app_server, task, presenter):
    """Also in presenter mode: its larger type makes every legend row taller."""
    page.set_viewport_size({"width": 1400, "height": 3400})  # every chart on screen at once
    page.goto(f"{app_server}/training_lab?lab.task={task}&lab.steps=100&presenter={presenter}")
    wait_idle(page)
    page.get_by_role("button", name="Step once").click()
    page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot .legend').length >= 2",
                           timeout=120000)
    wait_idle(page)
    assert page.evaluate(COLLISIONS_JS) == []
    assert_no_exception(page)
