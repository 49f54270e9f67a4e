"""Korean in a real browser: ?lang=ko opens a page in Korean, Hangul has real glyphs in the page and
in the plotly figures (font fallback), and the sidebar switch goes back to English with the URL."""
import re

from explorer.figures.common import FONT_FAMILY
from tests.i18n_check import untranslated_ko

from .conftest import assert_no_exception, screenshot, wait_idle

HANGUL = re.compile(r"[\uac00-\ud7a3]")
# Two different Hangul syllables draw different pixels only when a font has them: without one,
# both come out as the same "missing glyph" box (tofu).
GLYPHS_JS = """(family) => {
  const draw = (ch) => { const c = document.createElement('canvas'); c.width = 64; c.height = 64;
    const g = c.getContext('2d'); g.font = `40px ${family}`; g.fillText(ch, 4, 48);
    const d = g.getImageData(0, 0, 64, 64).data; let ink = 0, sig = '';
    for (let i = 3; i < d.length; i += 4) { if (d[i] > 0) ink++; sig += d[i] > 127 ? '1' : '0'; }
    return {ink, sig}; };
  const a = draw('한'), b = draw('국');
  return {ink: a.ink, differ: a.sig !== b.sig};
}"""
FIG_TITLES_JS = """() => [...document.querySelectorAll('.js-plotly-plot')].map(el => {
  const t = el.layout && el.layout.title; return t ? String(t.text || t) : ''; })"""
SVG_TEXT_JS = """() => [...document.querySelectorAll('.js-plotly-plot svg text')].map(e => e.textContent).join(' ')"""


def test_korean_page_in_the_browser(page, app_server, shot_dir):
    page.goto(f"{app_server}/gradient_flow?lang=ko")
    wait_idle(page)
    assert_no_exception(page)
    assert HANGUL.search(page.locator("h1").first.inner_text())
    nav = page.locator("[data-testid=stSidebarNav]").inner_text()
    assert "학습 실험실" in nav and "기울기 흐름" in nav
    page.wait_for_selector(".js-plotly-plot", timeout=120_000)
    wait_idle(page)
    titles = page.evaluate(FIG_TITLES_JS)
    assert any(HANGUL.search(t) for t in titles), titles
    assert HANGUL.search(page.evaluate(SVG_TEXT_JS))  # drawn into the figure, not just in its spec
    glyphs = page.evaluate(GLYPHS_JS, FONT_FAMILY)
    assert glyphs["ink"] > 50 and glyphs["differ"], (
        f"Hangul draws as boxes ({glyphs}): the browser has no Korean font; .ci/run installs fonts-noto-cjk")
    assert "lang=ko" in page.url
    screenshot(page, shot_dir, "korean_gradient_flow")
    # back to English from the sidebar switch: the page and the link follow
    page.locator("[data-testid=stSidebar]").get_by_text("English", exact=True).click()
    page.wait_for_function("() => !location.search.includes('lang=ko')", timeout=60_000)
    wait_idle(page)
    assert_no_exception(page)
    assert page.locator("h1").first.inner_text().strip().startswith("Gradient flow")
    assert not HANGUL.search(page.locator("[data-testid=stSidebarNav]").inner_text())


def test_training_lab_trains_in_korean(page, app_server, shot_dir):
    page.goto(f"{app_server}/training_lab?lang=ko&lab.steps=200")
    wait_idle(page)
    assert_no_exception(page)
    page.get_by_role("button", name="학습", exact=True).click()
    page.wait_for_function("() => [...document.querySelectorAll('[data-testid=stMetricValue]')]"
                           ".some(e => e.innerText.trim() === '완료')", timeout=120_000)
    wait_idle(page)
    assert_no_exception(page)
    # live charts draw just after the script ends (plotly.js runs in the page, asynchronously)
    page.wait_for_function(f"() => ({FIG_TITLES_JS})().length >= 4", timeout=30_000)
    titles = page.evaluate(FIG_TITLES_JS)
    plain = [re.sub(r"<[^>]*>", "", t) for t in titles]
    assert len(plain) >= 4 and sum(bool(HANGUL.search(t)) for t in plain) >= 4, plain
    assert [t for t in plain if untranslated_ko(t)] == []
    screenshot(page, shot_dir, "korean_training_lab")
