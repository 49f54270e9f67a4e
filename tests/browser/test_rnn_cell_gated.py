"""The RNN cell page with the LSTM and the GRU in a real browser: every gate's equation with numbers,
the cell diagram with each gate's value, and "play" advancing the time step (the run_every
fragment, which AppTest cannot fire)."""
import pytest

from core import gated_cell as gc

from .conftest import assert_no_exception, screenshot, wait_idle

SYMBOLS = {"lstm": ("i", "f", "g", "o", "c", "h"), "gru": ("r", "z", "n", "h")}
# KaTeX keeps each formula's source in a MathML annotation
TEX = "[data-testid='stMarkdownContainer'] annotation[encoding='application/x-tex']"
# the time slider's value as shown (its thumb's label)
STEP_JS = """() => { const s = [...document.querySelectorAll("[data-testid='stSlider']")]
  .find(e => e.querySelector("[data-testid='stWidgetLabel']").textContent.trim() === 'Time step t');
  return s ? Number(s.querySelector("[data-testid='stSliderThumbValue']").textContent) : -1; }"""


def _step(page) -> int:
    return int(page.evaluate(STEP_JS))


@pytest.mark.parametrize("kind", gc.KINDS)
def test_gated_cell_equations_diagram_and_play(kind, page, app_server, shot_dir):
    page.goto(f"{app_server}/rnn_cell?cell.kind={kind}&cell.step=3")
    wait_idle(page)
    assert_no_exception(page)
    page.wait_for_selector(TEX, state="attached")
    tex = [page.locator(TEX).nth(i).text_content() for i in range(page.locator(TEX).count())]
    for sym in SYMBOLS[kind]:  # each equation at step 3, with numbers
        body = [s for s in tex if s.lstrip().replace(r"\begin{aligned}", "").startswith(f"{sym}_{{3}}")]
        assert body, f"no equation for {sym}_3 in {tex}"
        assert r"\begin{bmatrix}" in body[0]
    # the diagram: each gate's box carries its value
    page.wait_for_function(
        "() => [...document.querySelectorAll('.js-plotly-plot .annotation-text')].some(e => e.textContent.includes('×'))")
    texts = page.locator(".js-plotly-plot .annotation-text").all_text_contents()
    for g in gc.GATES[kind]:
        assert any(t.startswith(g + " ") for t in texts), (g, texts)  # "f σ", "g tanh"
    assert any(t.startswith("h₃ = ") for t in texts)
    screenshot(page, shot_dir, f"rnn_cell_{kind}")

    # play: the step moves on by itself, about once a second, then stop holds it
    assert _step(page) == 3
    page.get_by_role("button", name="▶ Play").click()
    page.wait_for_function(f"() => ({STEP_JS})() >= 5", timeout=60_000)
    assert_no_exception(page)
    page.wait_for_function(  # the equations followed the step
        "() => [...document.querySelectorAll(\"" + TEX + "\")].some(e => /^\\s*h_\\{([5-9]|1\\d)\\}/.test(e.textContent))")
    page.get_by_role("button", name="⏸ Stop").click()
    page.get_by_role("button", name="▶ Play").wait_for()
    wait_idle(page)
    held = _step(page)
    page.wait_for_timeout(2500)
    assert _step(page) == held
    assert_no_exception(page)


@pytest.mark.parametrize("kind", ("rnn", "gru"))
def test_play_stops_at_the_last_step(kind, page, app_server):
    page.goto(f"{app_server}/rnn_cell?cell.kind={kind}&cell.preset=typed&cell.typed_input=0,1,1,0&cell.step=0")
    wait_idle(page)
    assert_no_exception(page)
    page.get_by_role("button", name="▶ Play").click()
    page.get_by_role("button", name="⏸ Stop").wait_for()
    # the page reruns whole at the end: the button says play again, on the last step (T = 4)
    page.get_by_role("button", name="▶ Play").wait_for(timeout=60_000)
    wait_idle(page)
    assert _step(page) == 3
    assert_no_exception(page)
    page.wait_for_timeout(2000)
    assert _step(page) == 3
