"""Every page in a real browser: it loads through the navigation, shows a chart, no exception box."""
import pytest

from explorer.app.nav import PAGE_TABLE, page_title

from .conftest import assert_no_exception, screenshot, wait_idle

CHART = ".js-plotly-plot"
# pages whose first chart appears only after a button (label to press)
PRESS_FIRST = {"pages/comparison.py": "Train all three", "pages/training_lab.py": "Step once"}
# the data page draws once a file is uploaded; the Follow page once a room code is given (without one
# it asks for the code: tests/browser/test_class_mode.py follows a room)
NO_CHART = {"pages/home.py", "pages/data.py", "pages/follow.py"}


@pytest.mark.parametrize("path", [row[1] for row in PAGE_TABLE], ids=lambda p: p.split("/")[-1][:-3])
def test_page_renders_a_chart_and_no_exception(path, page, app_server, shot_dir):
    stem = path.split("/")[-1][:-3]
    page.goto(f"{app_server}/{'' if stem == 'home' else stem}")
    wait_idle(page)
    assert_no_exception(page)
    title = page_title(path)
    # the page came through app.py: the navigation lists every page and marks this one
    assert page.locator("[data-testid=stSidebarNav]").count() == 1
    if path in PRESS_FIRST:
        page.get_by_role("button", name=PRESS_FIRST[path]).click()
    if path not in NO_CHART:
        page.wait_for_selector(CHART, timeout=120_000)
        assert page.locator(CHART).count() >= 1
    wait_idle(page)
    assert_no_exception(page)
    assert page.get_by_text(title).count() >= 1
    if path == "pages/follow.py":  # no room yet: the page asks for its code
        assert page.locator("[data-testid=stTextInput] input").count() >= 1
    screenshot(page, shot_dir, f"page_{stem}")
    if path in PRESS_FIRST:  # leave nothing training behind
        pause = page.get_by_role("button", name="Pause")
        if pause.count() and pause.first.is_enabled():
            pause.first.click()
