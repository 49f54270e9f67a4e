"""The Gradient flow page in a real browser (issue 18): the forget-gate bias lifts the LSTM's
gradient at t = 0 above the vanilla RNN's, and the verdict badges never overlap in presenter mode."""
import pytest

from .conftest import assert_no_exception, screenshot, wait_idle

FLOW_JS = """() => {
  const p = [...document.querySelectorAll('.js-plotly-plot')].find(el => el._fullData
      && el._fullData.some(d => d.name === 'LSTM') && el._fullData.some(d => d.name === 'RNN'));
  if (!p) return null;
  const first = name => { const d = p._fullData.find(d => d.name === name); return d ? Number(d.y[0]) : null; };
  return {rnn: first('RNN'), lstm: first('LSTM')};
}"""
BADGES_JS = """() => [...document.querySelectorAll('.js-plotly-plot .annotation')]
  .filter(a => a.textContent.includes(':'))
  .map(a => { const r = a.getBoundingClientRect(); return {l: r.left, r: r.right, t: r.top, b: r.bottom,
                                                           text: a.textContent}; })"""


def test_forget_bias_2_puts_the_lstm_above_the_rnn_at_t0(page, app_server, shot_dir):
    # the page's defaults (T = 200, H = 64, rho = 1): untrained, the LSTM falls far below the RNN ...
    page.goto(f"{app_server}/gradient_flow")
    wait_idle(page, timeout=180000)
    assert_no_exception(page)
    page.wait_for_function(f"() => ({FLOW_JS})() !== null", timeout=120000)
    before = page.evaluate(FLOW_JS)
    assert before["lstm"] < before["rnn"], before
    # ... and with the forget-gate bias at 2 (set through the link, as a lecturer would share it) above it
    page.goto(f"{app_server}/gradient_flow?gradient_flow.forget_bias=2.0")
    wait_idle(page, timeout=180000)
    assert_no_exception(page)
    page.wait_for_function(f"() => {{ const v = ({FLOW_JS})(); return v !== null && v.lstm > v.rnn; }}",
                           timeout=120000)
    after = page.evaluate(FLOW_JS)
    assert after["lstm"] > after["rnn"] > 0, after
    assert page.get_by_text("Untrained, with forget-gate bias 2", exact=False).count() == 1  # the sentence
    screenshot(page, shot_dir, "gradient_flow_forget_bias_2")


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_presenter_mode_verdict_badges_do_not_overlap(page, app_server, shot_dir, lang):
    page.goto(f"{app_server}/gradient_flow?presenter=1&lang={lang}")
    wait_idle(page, timeout=180000)
    assert_no_exception(page)
    page.wait_for_function(f"() => ({BADGES_JS})().length === 3", timeout=120000)
    boxes = page.evaluate(BADGES_JS)
    boxes.sort(key=lambda b: b["l"])
    for a, b in zip(boxes, boxes[1:]):
        apart = a["r"] <= b["l"] or a["b"] <= b["t"] or b["b"] <= a["t"]
        assert apart, (a, b)
    screenshot(page, shot_dir, f"gradient_flow_presenter_{lang}")
