"""Smoke test: the app starts under `streamlit run`, renders in Chromium, and raises nothing."""
from .conftest import assert_no_exception, screenshot, wait_idle


def test_app_root_renders(page, app_server, shot_dir):
    page.goto(app_server + "/", wait_until="domcontentloaded")
    wait_idle(page)
    path = screenshot(page, shot_dir, "smoke_root")
    assert path.is_file() and path.stat().st_size > 0
    assert_no_exception(page)
    assert "RNN Explorer" in page.title()
