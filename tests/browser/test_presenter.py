"""Presenter mode in a real browser: projector CSS, large full-width live charts, the guided tour."""
import re

from .conftest import assert_no_exception, screenshot, wait_idle
from .test_training_lab import LOSS_POINTS_JS

LOSS_STYLE_JS = """() => {
  const p = [...document.querySelectorAll('.js-plotly-plot')].find(el => el.layout && el.layout.title
      && String(el.layout.title.text).replace(/<[^>]*>/g, '').startsWith('Loss'));
  if (!p || !p._fullLayout) return null;
  const main = document.querySelector('[data-testid="stMainBlockContainer"]').getBoundingClientRect().width;
  return {font: p._fullLayout.font.size, line: p._fullData[0].line.width,
          width: p.getBoundingClientRect().width, main: main};
}"""
LOSS_REV_JS = """() => {
  const p = [...document.querySelectorAll('.js-plotly-plot')].find(el => el.layout && el.layout.title
      && String(el.layout.title.text).replace(/<[^>]*>/g, '').startsWith('Loss'));
  return p && p.__rnnxFig ? p.__rnnxFig.rev : -1;
}"""
H1_PX_JS = "() => parseFloat(getComputedStyle(document.querySelector('h1')).fontSize)"
TEXT_PX_JS = ("() => parseFloat(getComputedStyle(document.querySelector("
              "'[data-testid=stMainBlockContainer] [data-testid=stAlert] p')).fontSize)")  # the "No run yet" note


def test_presenter_mode_training_lab(page, app_server, shot_dir):
    page.goto(f"{app_server}/training_lab?lab.steps=300")
    wait_idle(page)
    normal_h1, normal_text = page.evaluate(H1_PX_JS), page.evaluate(TEXT_PX_JS)
    page.goto(f"{app_server}/training_lab?presenter=1&lab.steps=3000")
    wait_idle(page)
    assert_no_exception(page)
    assert page.evaluate(H1_PX_JS) >= 1.2 * normal_h1  # projector type
    assert page.evaluate(TEXT_PX_JS) >= 1.3 * normal_text
    assert page.locator("[data-testid='stExpander'] details").first.get_attribute("open") is None  # settings folded
    page.get_by_role("button", name="Train").click()
    page.wait_for_function(f"() => ({LOSS_POINTS_JS})() > 0", timeout=60000)
    style = page.evaluate(LOSS_STYLE_JS)
    assert style["font"] >= 20 and style["line"] >= 3.5, style
    assert style["width"] >= 0.9 * style["main"], style  # one chart per row, full width
    # the figures the session's stream brings (built away from the page's script) are restyled too
    page.wait_for_function("() => (window.__rnnxStreamOpens || 0) >= 1", timeout=60000)
    page.evaluate(LOSS_POINTS_JS)  # (in sight: a chart out of sight is not redrawn)
    rev = page.evaluate(LOSS_REV_JS)
    page.wait_for_function(f"() => ({LOSS_POINTS_JS})() >= 0 && ({LOSS_REV_JS})() >= {rev} + 5", timeout=60000)
    style = page.evaluate(LOSS_STYLE_JS)
    assert style["font"] >= 20 and style["line"] >= 3.5, style
    page.wait_for_function("() => [...document.querySelectorAll('[data-testid=stMetricValue]')]"
                           ".some(e => e.innerText.trim() === 'done')", timeout=90000)
    assert "presenter=1" in page.url and "lab.steps=3000" in page.url  # the link keeps the mode
    assert_no_exception(page)
    screenshot(page, shot_dir, "presenter_training_lab")


def test_presenter_tour_next_and_back(page, app_server, shot_dir):
    page.goto(f"{app_server}/?presenter=1")
    wait_idle(page)
    page.get_by_role("button", name="Start the tour").click()
    page.wait_for_url(re.compile(r"/rnn_cell\?.*tour\.step=0"), timeout=30000)
    wait_idle(page)
    assert_no_exception(page)
    assert page.get_by_text("Tour 1 of").count() == 1
    page.get_by_role("button", name="Next").click()
    page.wait_for_url(re.compile(r"/rnn_cell\?.*cell\.preset=love"), timeout=30000)
    wait_idle(page)
    page.get_by_role("button", name="Next").click()
    page.wait_for_url(re.compile(r"/unrolled_graph\?.*tour\.step=2"), timeout=30000)
    wait_idle(page)
    assert_no_exception(page)
    assert page.get_by_text("Tour 3 of").count() == 1
    screenshot(page, shot_dir, "presenter_tour_step3")
    page.get_by_role("button", name="Back").click()
    page.wait_for_url(re.compile(r"/rnn_cell\?.*tour\.step=1"), timeout=30000)
    wait_idle(page)
    assert_no_exception(page)
    screenshot(page, shot_dir, "presenter_tour_step2")


WIDGET_TEXT_JS = """() => {
  const px = (e) => e ? parseFloat(getComputedStyle(e).fontSize) : null;
  const metric = document.querySelector('[data-testid=stMetricValue] p');
  const body = document.querySelector('[data-testid=stMarkdown] p');
  const thumb = document.querySelector('[data-testid=stSliderThumbValue]');
  const knob = thumb && thumb.parentElement;  // the knob holds its value label
  const colour = (name) => { const p = [...document.querySelectorAll('button p')].find((x) => x.innerText.trim() === name);
                             return p ? getComputedStyle(p).color : null; };
  return {metric: px(metric), body: px(body),
          thumb_bottom: thumb && thumb.getBoundingClientRect().bottom, knob_top: knob && knob.getBoundingClientRect().top,
          thumb_colour: thumb && getComputedStyle(thumb.querySelector('p') || thumb).color,
          knob_colour: knob && getComputedStyle(knob).backgroundColor,
          enabled: colour('Train'), disabled: colour('Pause')};
}"""
CUT_JS = """(sel) => [...document.querySelectorAll(sel)].filter((e) => e.scrollWidth > e.clientWidth + 1)
  .map((e) => e.innerText.slice(0, 60))"""


def test_presenter_mode_keeps_widgets_reading_as_widgets(page, app_server):
    """The projector's larger body type reached text inside widgets: metric values fell to body size,
    a slider's value sat on its knob in black, a disabled button's label turned black (it looked
    clickable). Metric labels, deltas and the Home page's links wrap instead of being cut."""
    page.set_viewport_size({"width": 1280, "height": 1400})
    page.goto(f"{app_server}/bidirectional_attention?presenter=1")
    page.wait_for_selector("[data-testid=stMetricValue] p", timeout=120000)  # drawn (idle alone may precede the run)
    page.wait_for_selector("[data-testid=stSliderThumbValue]", timeout=120000)
    wait_idle(page)
    w = page.evaluate(WIDGET_TEXT_JS)
    assert w["metric"] >= 1.6 * w["body"], w
    assert w["thumb_bottom"] <= w["knob_top"] + 1, w  # the value above the knob, not on it
    assert w["thumb_colour"] != "rgb(0, 0, 0)", w  # the slider's own colour
    assert page.evaluate(CUT_JS, "[data-testid=stMetricLabel] [data-testid=stMarkdownContainer]") == []
    page.goto(f"{app_server}/training_lab?presenter=1")
    page.get_by_role("button", name="Pause").wait_for(timeout=120000)
    wait_idle(page)
    w = page.evaluate(WIDGET_TEXT_JS)
    assert w["disabled"] and w["enabled"] and w["disabled"] != "rgb(0, 0, 0)", w  # Pause: nothing to pause yet
    page.goto(f"{app_server}/?presenter=1")
    page.wait_for_function("() => document.querySelectorAll('[data-testid=stMain] [data-testid=stPageLink]').length >= 9",
                           timeout=120000)
    wait_idle(page)
    assert page.evaluate(CUT_JS, "[data-testid=stMain] [data-testid=stPageLink] *") == []
    assert_no_exception(page)
