"""Chart texts do not collide in a real browser: title, legend, axis titles and tick labels.

A legend with many entries wraps onto several rows; above the plot they climb into the chart's
title, and a legend placed under the plot at a fraction of its height climbs into the x axis title
when plotly shrinks the plot for it. A projector's larger type (presenter mode) makes every row
taller and every tick label wider. Checked on the Training lab, the Gradient flow page's views, the
comparison and the other pages' opening charts, on a laptop (1024 px, the sidebar open, where paired
charts stack) and at projector sizes."""
import pytest

from .conftest import assert_no_exception, wait_idle

# [chart title, [the pairs of its texts that overlap]] for every chart with a collision. An axis
# title may touch its tick labels (their boxes include the line's leading: 1.4 px at 1024 px wide),
# not run into them: more than 3 px is a collision.
COLLISIONS_JS = """() => [...document.querySelectorAll('.js-plotly-plot')].map((gd) => {
  const box = (sel) => [...gd.querySelectorAll(sel)].map((e) => e.getBoundingClientRect())
    .filter((r) => r.width > 0 && r.height > 0);
  const parts = {title: box('.gtitle'), legend: box('.legend'), "x title": box('.xtitle, [class*="x"][class$="title"]'),
                 "y title": box('.ytitle, [class^="y"][class$="title"]'), "x ticks": box('.xaxislayer-above text'),
                 "y ticks": box('.yaxislayer-above text')};
  const hit = (a, b, d) => a.left < b.right - d && b.left < a.right - d && a.top < b.bottom - d && b.top < a.bottom - d;
  const pairs = [["title", "legend", 1], ["legend", "x title", 1], ["x title", "x ticks", 3], ["y title", "y ticks", 3]]
    .filter(([p, q, d]) => parts[p].some((a) => parts[q].some((b) => hit(a, b, d))));
  // a title's lines inside the chart (plotly anchors a two-line title by its last line: the first was cut)
  const g = gd.getBoundingClientRect();
  if ([...gd.querySelectorAll('.gtitle')].some((e) => e.getBoundingClientRect().top < g.top - 1)) pairs.push(["title", "top edge"]);
  // texts written on the plot (annotations) clear of each other
  const notes = box('.annotation-text');
  if (notes.some((a, i) => notes.some((b, j) => i < j && hit(a, b, 1)))) pairs.push(["annotation", "annotation"]);
  const title = gd.querySelector('.gtitle');
  return pairs.length ? [title ? title.textContent : "?", pairs.map((p) => p.slice(0, 2).join(" / "))] : null;
}).filter(Boolean)"""


@pytest.mark.parametrize("task, presenter", [("temporal_order", 0), ("flipflop", 0), ("sentiment", 0),
                                             ("temporal_order", 1), ("flipflop", 1)])
def test_the_labs_chart_titles_legends_and_axis_titles_do_not_overlap(page, app_server, task, presenter):
    """Also in presenter mode: its larger type makes every legend row taller."""
    _lab_after_one_step(page, f"{app_server}/training_lab?lab.task={task}&lab.steps=100&presenter={presenter}",
                        1400)  # every chart on screen at once
    assert page.evaluate(COLLISIONS_JS) == []
    assert_no_exception(page)


def _lab_after_one_step(page, url: str, width: int) -> None:
    """The Training lab at ``url``, ``width`` px wide, after "Step once" has drawn its charts."""
    page.set_viewport_size({"width": width, "height": 3400})
    page.goto(url)
    wait_idle(page)
    page.get_by_role("button", name="Step once").click()
    page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot .legend').length >= 2",
                           timeout=120000)
    wait_idle(page)


def test_the_labs_paired_charts_at_1280_px(page, app_server):
    """Two charts a row at 1280 px with the sidebar open (about 410 px each): the predictions chart's
    legend, above the plot, wrapped into its title ("... targets (solid)")."""
    _lab_after_one_step(page, f"{app_server}/training_lab?lab.task=sine&lab.steps=100", 1280)
    assert _side_by_side(page.evaluate(CHART_BOXES_JS))
    assert page.evaluate(COLLISIONS_JS) == []
    assert_no_exception(page)


# [x, width] of every chart of the page, in page order
CHART_BOXES_JS = """() => [...document.querySelectorAll('.js-plotly-plot')].map((gd) => {
  const r = gd.getBoundingClientRect(); return [Math.round(r.x), Math.round(r.width)]; })"""


def _side_by_side(boxes):
    return len({x for x, _ in boxes}) > 1


def test_paired_charts_stack_where_the_window_is_too_narrow_for_two(page, app_server):
    """A laptop window with the sidebar open (1024 px): two charts a row got 274 px each and cut
    their titles. They stack, each at the main column's width, with no text collisions; folding the
    sidebar (a wider row) brings them back side by side, as a wide window has them."""
    page.set_viewport_size({"width": 1024, "height": 3400})
    page.goto(f"{app_server}/training_lab?lab.task=temporal_order&lab.steps=100")
    wait_idle(page)
    page.get_by_role("button", name="Step once").click()
    page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length >= 7", timeout=120000)
    wait_idle(page)
    boxes = page.evaluate(CHART_BOXES_JS)
    main_w = page.evaluate("() => document.querySelector('[data-testid=stMainBlockContainer]')"
                           ".getBoundingClientRect().width")
    assert not _side_by_side(boxes), boxes
    assert all(w >= 500 for _, w in boxes), boxes  # each as wide as the column (564 px here)
    assert page.evaluate(COLLISIONS_JS) == []
    # the view row's toggle and report button at their own widths (1:3:1 columns cut them to 102 px)
    assert page.get_by_role("button", name="Download report").bounding_box()["width"] >= 140
    assert page.evaluate("() => [...document.querySelectorAll('[data-testid=stDownloadButton] button *,"
                         " [data-testid=stToggle] label *')].every((e) => e.scrollWidth <= e.clientWidth + 1)")
    page.hover("[data-testid='stSidebar']")  # the fold button shows on hover
    page.get_by_role("button", name="Collapse sidebar").click()
    page.wait_for_function(f"() => document.querySelector('[data-testid=stMainBlockContainer]')"
                           f".getBoundingClientRect().width > {main_w + 100}")
    page.wait_for_function(f"() => new Set(({CHART_BOXES_JS})().map((b) => b[0])).size > 1")
    assert _side_by_side(page.evaluate(CHART_BOXES_JS))
    page.set_viewport_size({"width": 1400, "height": 3400})
    page.get_by_role("button", name="Expand sidebar").click()
    page.wait_for_function("() => document.querySelector('[data-testid=stSidebar]').getBoundingClientRect().right > 100")
    page.wait_for_function(f"() => new Set(({CHART_BOXES_JS})().map((b) => b[0])).size > 1")
    assert page.evaluate(COLLISIONS_JS) == []
    assert_no_exception(page)


GRADIENT_FLOW_VIEWS = {"Gradient flow": None, "Jacobians and gates": None, "Clipping": "Train both",
                       "The cliff": None}  # view: the button that draws its charts (None: drawn at once)


@pytest.mark.parametrize("width, presenter", [(1024, 0), (1400, 1)])
def test_gradient_flow_legends_stay_clear_of_titles(page, app_server, width, presenter):
    """Legends under the plot sit below the x axis title in every view of the Gradient flow page, on
    a laptop and in presenter mode (larger type: a legend placed at a fraction of the plot's height
    touched the axis title, and one above the plot ran into the chart's title)."""
    page.set_viewport_size({"width": width, "height": 3400})
    page.goto(f"{app_server}/gradient_flow?presenter={presenter}")
    wait_idle(page)
    seen = 0
    for view, button in GRADIENT_FLOW_VIEWS.items():
        page.get_by_text(view, exact=True).first.click()
        wait_idle(page)
        if button:
            page.get_by_role("button", name=button).click()
            wait_idle(page)
        page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot .legend').length >= 1",
                               timeout=120000)
        seen += page.evaluate("document.querySelectorAll('.js-plotly-plot .legend').length")
        assert page.evaluate(COLLISIONS_JS) == [], view
    assert seen >= 6  # every view's charts with legends were there to check
    assert_no_exception(page)


# page: the charts it draws on opening (every one is checked)
OPENING_CHARTS = {"rnn_cell": 2, "dynamics": 2, "unrolled_graph": 2, "io_structures": 1, "bidirectional_attention": 3}


@pytest.mark.parametrize("width, presenter", [(1024, 0), (1280, 1)])
@pytest.mark.parametrize("name", list(OPENING_CHARTS))
def test_chart_texts_do_not_collide_on_the_other_pages(page, app_server, name, width, presenter):
    """A laptop, and a projector's larger type: the phase plane's legend (six entries above a
    half-width plot) wrapped into a column over the title, and the Lyapunov chart's legend ran into
    its subtitle. Legends sit under the plot now, and presenter mode grows the margins with the type."""
    page.set_viewport_size({"width": width, "height": 3400})
    page.goto(f"{app_server}/{name}?presenter={presenter}")
    wait_idle(page)
    page.wait_for_function(f"() => document.querySelectorAll('.js-plotly-plot').length >= {OPENING_CHARTS[name]}",
                           timeout=120000)
    wait_idle(page)
    assert page.evaluate(COLLISIONS_JS) == []
    assert_no_exception(page)


def test_comparison_charts_in_presenter_mode(page, app_server):
    """The comparison's curves carry a two-line title and four legend entries in half a row: above
    the plot, a projector's type wrapped the legend into the subtitle. It sits under the plot now."""
    page.set_viewport_size({"width": 1400, "height": 5000})
    page.goto(f"{app_server}/comparison?presenter=1")
    wait_idle(page)
    page.get_by_role("button", name="Train all three").click()
    page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length >= 8", timeout=180000)
    # the legends at their longest: every cell's held-out curve has begun (three entries and a baseline)
    page.wait_for_function("() => [...document.querySelectorAll('.js-plotly-plot .legend')].filter((l) =>"
                           " (l.textContent.match(/held-out/g) || []).length >= 3).length >= 2", timeout=180000)
    try:
        assert page.evaluate(COLLISIONS_JS) == []
        assert_no_exception(page)
    finally:  # leave nothing training behind
        pause = page.get_by_role("button", name="Pause")
        if pause.count() and pause.first.is_enabled():
            pause.first.click()


def test_settings_panels_and_rows_of_four_wrap_on_a_laptop(page, app_server):
    """1024 px with the sidebar open: the Training lab's three settings panels got 130 px each (labels
    wrapped letter by letter, the task's name was cut) and rows of four widgets or buttons 130 px a
    column ("random G", "T.."). Panels stack; rows of four go two a row; a wide window keeps them
    side by side."""
    panels_js = ("() => [...document.querySelectorAll('[data-testid=stExpander] [data-testid=stHorizontalBlock]')]"
                 ".filter((b) => b.querySelector(':scope > [data-testid=stColumn]:nth-child(3)'))[0]"
                 ".querySelectorAll(':scope > [data-testid=stColumn]').length")
    boxes_js = ("() => [...[...document.querySelectorAll('[data-testid=stExpander] [data-testid=stHorizontalBlock]')]"
                ".filter((b) => b.querySelector(':scope > [data-testid=stColumn]:nth-child(3)'))[0]"
                ".querySelectorAll(':scope > [data-testid=stColumn]')].map((c) => {"
                " const r = c.getBoundingClientRect(); return [Math.round(r.x), Math.round(r.width)]; })")
    page.set_viewport_size({"width": 1024, "height": 2000})
    page.goto(f"{app_server}/training_lab")
    wait_idle(page)
    assert page.evaluate(panels_js) == 3
    panels = page.evaluate(boxes_js)
    assert len({x for x, _ in panels}) == 1 and all(w >= 500 for _, w in panels), panels  # stacked
    for name in ("Train", "Pause", "Step once", "Reset"):
        assert page.get_by_role("button", name=name, exact=True).bounding_box()["width"] >= 200, name
    page.goto(f"{app_server}/gradient_flow")
    wait_idle(page)
    cells = page.locator("[data-testid=stMultiSelect]").first.bounding_box()
    assert cells["width"] >= 240, cells  # "RNN × LSTM × GRU" whole
    page.set_viewport_size({"width": 1280, "height": 2000})  # a laptop: the run buttons in one row, whole
    page.goto(f"{app_server}/training_lab")
    wait_idle(page)
    assert page.evaluate("() => [...document.querySelectorAll('[data-testid=stButton] button *')]"
                         ".every((e) => e.scrollWidth <= e.clientWidth + 1)")  # "Step o…" before
    page.set_viewport_size({"width": 1400, "height": 2000})
    page.goto(f"{app_server}/training_lab")
    wait_idle(page)
    assert len({x for x, _ in page.evaluate(boxes_js)}) == 3  # side by side where there is room
    assert_no_exception(page)


CUT_LABELS_JS = """() => [...document.querySelectorAll('[data-testid=stMain] [data-testid^=stBaseButton] *,'
  + ' [data-testid=stMain] [data-testid=stPageLink] *, [data-testid=stMetricLabel] *')]
  .filter((e) => e.scrollWidth > e.clientWidth + 1 || (e.children.length === 0 && e.getBoundingClientRect().right
          > e.closest('[data-testid^=stBaseButton], [data-testid=stPageLink], [data-testid=stMetricLabel]')
              .getBoundingClientRect().right + 1))
  .map((e) => e.innerText.slice(0, 40))"""


@pytest.mark.parametrize("name", ["rnn_cell", "follow", "", "bidirectional_attention", "dynamics"])
def test_labels_of_buttons_links_and_metrics_are_not_cut_on_a_laptop(page, app_server, name):
    """1024 px with the sidebar open: "Load the lecture's senti…", "Fol…", the Home page's links and
    metric labels were cut with an ellipsis. They wrap between words, inside their box."""
    page.set_viewport_size({"width": 1024, "height": 2400})
    page.goto(f"{app_server}/{name}")
    page.wait_for_selector("[data-testid=stMain] :is([data-testid^=stBaseButton], [data-testid=stPageLink])",
                           timeout=120000)  # the page is drawn (idle alone may be before the first run)
    wait_idle(page)
    assert page.evaluate(CUT_LABELS_JS) == []
    assert_no_exception(page)
