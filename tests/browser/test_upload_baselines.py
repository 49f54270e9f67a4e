"""Your own data, honestly measured, in a real browser: upload a training and a test file, see the
baselines, press "Use suggested settings", train in the Training lab, and read the model's test
accuracy beside the 1-NN-ED line (on the metric chart and in the run's results)."""
import re

import numpy as np

from .conftest import assert_no_exception, screenshot, wait_for_uploaders, wait_idle

TIMEOUT = 180_000  # ms: a busy 2-core machine may take long for the first torch import and run


def waves_csv(path, n_sine, n_square, seed, length=60):
    """Noisy sines and square waves, one per row with the label first (the UCR layout)."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 4 * np.pi, length)
    rows = []
    for lab in ["sine"] * n_sine + ["square"] * n_square:
        clean = np.sin(t + rng.uniform(0, 2 * np.pi))
        clean = clean if lab == "sine" else np.sign(clean)
        rows.append(",".join([lab] + [f"{v:.4f}" for v in clean + rng.normal(0, 0.3, length)]))
    path.write_text("\n".join(rows) + "\n")
    return path


def set_number(page, label, value):
    box = page.get_by_label(label, exact=True)
    box.fill(str(value))
    box.press("Enter")
    wait_idle(page, TIMEOUT)


def test_upload_suggest_train_and_read_the_baselines(page, app_server, shot_dir, tmp_path):
    train = waves_csv(tmp_path / "Waves_TRAIN.csv", 16, 14, 0)
    test = waves_csv(tmp_path / "Waves_TEST.csv", 10, 10, 1)
    page.goto(f"{app_server}/data")
    wait_for_uploaders(page, 2, TIMEOUT)  # the training and the test file's
    files = page.locator("input[type=file]")
    files.nth(0).set_input_files(str(train))
    page.get_by_text("What was detected or done").wait_for(timeout=TIMEOUT)
    wait_idle(page, TIMEOUT)
    files.nth(1).set_input_files(str(test))
    page.get_by_text("On the test file: 20 sequences.").wait_for(timeout=TIMEOUT)
    wait_idle(page, TIMEOUT)
    assert_no_exception(page)
    block = page.locator("li", has_text="1-NN-ED (nearest neighbour):").first.inner_text()
    nn = float(re.search(r"accuracy (\d+\.\d)%", block).group(1))

    page.get_by_role("button", name="Use suggested settings").click()
    page.get_by_text("Suggested settings for Waves_TRAIN, and why:").wait_for(timeout=TIMEOUT)
    wait_idle(page, TIMEOUT)
    assert page.locator("li", has_text="Cell: GRU — A GRU: gated").count() == 1
    assert_no_exception(page)
    page.mouse.move(5, 5)  # no tooltip over the screenshot
    page.get_by_text("Baselines: what a model must beat").scroll_into_view_if_needed()
    screenshot(page, shot_dir, "data_baselines_suggested")

    page.get_by_role("button", name="Train on it in the Training lab").click()
    page.get_by_role("heading", name="Training lab").wait_for(timeout=TIMEOUT)
    wait_idle(page, TIMEOUT)
    assert_no_exception(page)
    # the suggestion reached the lab's controls; a short run keeps the test quick
    assert page.get_by_label("Bidirectional").is_checked()
    set_number(page, "Steps", 40)
    set_number(page, "Probe every (steps)", 10)
    page.get_by_role("button", name="Train", exact=True).click()
    # the run ends at step 40; its last probe brings the test accuracy at that step
    result = page.locator("li", has_text=re.compile(r"Last step 40: test accuracy \d+\.\d%")).first
    result.wait_for(timeout=TIMEOUT)
    acc = float(re.search(r"step 40: test accuracy (\d+\.\d)%", result.inner_text()).group(1))
    assert 0 <= acc <= 100
    listed = page.locator("li", has_text="1-NN-ED (nearest neighbour) baseline on the test file: accuracy").first
    assert f"{nn:.1f}%" in listed.inner_text()
    # the best step is chosen on the validation split; its test accuracy is read beside it
    best = page.locator("li", has_text=re.compile(r"Best step: \d+, chosen on the validation split"))
    assert best.count() == 1 and re.search(r"test accuracy at it: \d+\.\d%", best.first.inner_text())
    assert page.get_by_text("optimistic").count() == 0
    # the 1-NN-ED line's label on the live metric chart (drawn by plotly.js after the script)
    label = page.locator(".js-plotly-plot .annotation-text", has_text="1-NN-ED (nearest neighbour)")
    label.first.wait_for(timeout=TIMEOUT)
    assert f"{nn:.1f}%" in label.first.text_content()
    assert page.locator(".js-plotly-plot .annotation-text", has_text="best: step").count() >= 1
    assert_no_exception(page)
    page.mouse.move(5, 5)
    label.first.scroll_into_view_if_needed()
    screenshot(page, shot_dir, "training_lab_baselines")
    best.first.scroll_into_view_if_needed()
    screenshot(page, shot_dir, "training_lab_results")
