"""A run survives a reload of the page (a new Streamlit session) and stays the tab's own."""
import time

from .conftest import VIEWPORT, assert_no_exception, wait_idle
from .test_training_lab import LOSS_POINTS_JS


def _step_seen(page, above: float, timeout: float = 120.0) -> float:
    """Wait until the loss chart's last step passes ``above``; return it."""
    page.wait_for_function(f"({LOSS_POINTS_JS})() > {above}", timeout=timeout * 1000)
    return page.evaluate(LOSS_POINTS_JS)


def test_reload_finds_the_run_still_training(page, app_server, browser):
    page.goto(f"{app_server}/training_lab?lab.steps=200000")
    wait_idle(page)
    page.get_by_role("button", name="Train").click()
    before = _step_seen(page, 0)
    page.reload()
    wait_idle(page)
    # the reloaded tab sends its token, reruns and shows the same run, still advancing
    after = _step_seen(page, before)
    later = _step_seen(page, after)
    assert later > after > before
    assert page.get_by_text("No run yet").count() == 0
    page.wait_for_function("() => [...document.querySelectorAll('[data-testid=stMetricValue]')]"
                           ".some(e => e.innerText.trim() === 'running')", timeout=30000)
    assert_no_exception(page)
    # another tab (its own sessionStorage) has no run: runs are not shared between tabs
    other = browser.new_context(viewport=VIEWPORT).new_page()
    try:
        other.goto(f"{app_server}/training_lab?lab.steps=200000")
        wait_idle(other)
        time.sleep(1.0)  # the token round trip (a rerun) has had its chance
        wait_idle(other)
        assert other.get_by_text("No run yet").count() >= 1  # the page and the sidebar say so
        assert other.locator("[data-testid=stMetricValue]").filter(has_text="running").count() == 0
    finally:
        other.context.close()
    page.get_by_role("button", name="Pause").click(no_wait_after=True)
