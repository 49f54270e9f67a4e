"""Upload a CSV through the real file widget, see the preview, then train on it in the Training lab."""
import time

import numpy as np
import pandas as pd

from .conftest import assert_no_exception, screenshot, wait_for_uploaders, wait_idle
from .test_training_lab import LOSS_POINTS_JS


def test_upload_preview_then_train(page, app_server, shot_dir, tmp_path):
    T = 400
    df = pd.DataFrame({"date": pd.date_range("2021-01-01", periods=T),
                       "temp": np.round(np.sin(np.arange(T) / 7), 4), "rain": np.round(np.cos(np.arange(T) / 5), 4)})
    path = tmp_path / "weather.csv"
    df.to_csv(path, index=False)
    page.goto(f"{app_server}/data")
    wait_for_uploaders(page, 2)
    assert_no_exception(page)
    assert page.get_by_text("up to 50 MB").count() >= 1
    page.locator("input[type=file]").first.set_input_files(str(path))
    page.get_by_text("What was detected or done").wait_for(timeout=120000)
    wait_idle(page)
    assert_no_exception(page)
    page.wait_for_selector(".js-plotly-plot", timeout=90000)
    assert page.get_by_text("used column 1 ('date') as the time axis").count() == 1
    assert page.locator("[data-testid=stDataFrame]").count() >= 1  # the preview table
    screenshot(page, shot_dir, "data_series_loaded")
    # a bad second upload: a message naming the problem, the first dataset stays
    bad = tmp_path / "broken.csv"
    bad.write_bytes(b"a,b\n1,2\n3,x\n4,5\n")
    page.locator("input[type=file]").first.set_input_files(str(bad))
    page.get_by_text("'x' is not a number").wait_for(timeout=120000)
    wait_idle(page)
    assert_no_exception(page)
    assert page.get_by_text("stays loaded").count() == 1
    page.get_by_role("button", name="Train on it in the Training lab").click()
    page.get_by_role("heading", name="Training lab").wait_for(timeout=120000)
    wait_idle(page)
    assert_no_exception(page)
    chosen = page.evaluate("() => [...document.querySelectorAll('[data-testid=stMain] [data-testid=stSelectbox]')]"
                           ".map(e => e.textContent + ' ' + [...e.querySelectorAll('input')].map(i => i.value"
                           " + ' ' + (i.getAttribute('aria-label') || '')).join(' ')).join(' | ')")
    assert "Uploaded: weather" in chosen, chosen
    assert page.get_by_text("Window length").count() == 1
    page.get_by_role("button", name="Train").click()
    seen, end = [], time.time() + 90
    while time.time() < end and len({v for v in seen if v > 0}) < 3:
        seen.append(page.evaluate(LOSS_POINTS_JS))
        time.sleep(0.3)
    assert len({v for v in seen if v > 0}) >= 3, f"loss chart did not update: {seen[-10:]}"
    assert_no_exception(page)
    screenshot(page, shot_dir, "training_lab_on_upload")
    page.get_by_role("button", name="Pause").click()
