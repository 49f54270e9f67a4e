"""The Training lab in Korean after training: every text, status, chart and message translated."""
import re
import time

import pytest

from explorer.app import state
from tests.i18n_check import has_hangul, untranslated_ko
from tests.pages.conftest import chart_specs, press
from tests.pages.test_i18n_pages import open_in, page_texts
from tests.pages.test_training_lab import lab_job

PAGE = "pages/training_lab.py"


def hover_words(at) -> list[str]:
    """The words of the charts' hover templates and colour-bar titles (page_texts leaves them out)."""
    out = []
    for spec in chart_specs(at):
        for tr in spec.get("data", []):
            out.append(re.sub(r"%\{[^}]*\}|<[^>]*>", " ", str(tr.get("hovertemplate", ""))))
            out.append(str(tr.get("colorbar", {}).get("title", {}).get("text", "")))
        out.append(str(spec["layout"].get("coloraxis", {}).get("colorbar", {}).get("title", {}).get("text", "")))
    return [s for s in out if s.strip()]


def untranslated(at) -> list[str]:
    texts = page_texts(at) + hover_words(at) + [p.proto.text for p in at.get("progress")]
    texts += [str(at.metric[0].value)] if at.metric else []  # the status in words (the others are numbers)
    return [s for s in texts if untranslated_ko(s)]


def trained_in_korean(task: str, steps: int = 2):
    at = open_in(PAGE, "ko")
    if task != "sine":
        at.selectbox(key=state.LAB_TASK).select(task)
        at.run()
    at.select_slider(key=state.LAB_HIDDEN).set_value(8)
    at.run()
    press(at, state.LAB_BTN_STEP)  # builds the run, one step and a probe
    lab_job(at).run_sync(steps)
    at.run()
    assert not at.exception, at.exception
    return at


def test_step_once_in_korean_leaves_no_english():
    at = trained_in_korean("sine")
    assert [b.label for b in at.button][:4] == ["학습", "일시 정지", "한 단계", "초기화"]
    assert at.metric[0].label == "상태" and at.metric[0].value == "일시 정지"
    assert at.get("progress")[0].proto.text == "1,000 단계 중 3 단계"
    titles = [s["layout"]["title"]["text"] for s in chart_specs(at)]
    # loss (a regression task's metric is its loss: no second copy), predictions, trajectories,
    # hidden state, gradient curve and map
    assert len(titles) == 6
    assert "손실 (MSE)" in titles and all(has_hangul(t) for t in titles), titles
    assert untranslated(at) == []


@pytest.mark.parametrize("task", ["parity", "flipflop", "char_lm"])
def test_other_tasks_in_korean(task):
    """Class bars with word classes (parity: 짝수/홀수), channel names (flip-flop: 비트 1..3),
    per-step class heatmap and sampled text (character model)."""
    at = trained_in_korean(task, steps=1)
    assert untranslated(at) == []
    names = [d.get("name", "") for s in chart_specs(at) for d in s["data"]]
    if task == "parity":
        assert any("(정답: 짝수)" in n or "(정답: 홀수)" in n for n in names), names
    if task == "flipflop":
        assert "비트 1 목표값" in names
    if task == "char_lm":
        assert any("단계의 모델이 생성한 텍스트" in m.value for m in at.markdown)


def test_divergence_message_in_korean():
    at = open_in(PAGE, "ko")
    at.selectbox(key=state.LAB_TASK).select("adding")
    at.run()
    at.select_slider(key=state.LAB_HIDDEN).set_value(8)
    at.selectbox(key=state.LAB_OPT).select("sgd")
    at.number_input(key=state.LAB_CLIP).set_value(0.0)
    at.select_slider(key=state.LAB_LR).set_value(10.0)
    at.run()
    press(at, state.LAB_BTN_TRAIN)
    deadline = time.time() + 60
    while time.time() < deadline and lab_job(at).snapshot().status != "diverged":
        time.sleep(0.1)
    at.run()
    assert at.metric[0].value == "발산"
    (err,) = at.error
    assert "유한하지 않은 값" in err.value and not untranslated_ko(err.value)
    assert untranslated(at) == []


def test_english_after_a_step_has_no_korean():
    at = open_in(PAGE, "en")
    press(at, state.LAB_BTN_STEP)
    at.run()
    texts = page_texts(at) + hover_words(at) + [str(m.value) for m in at.metric]
    assert [s for s in texts if has_hangul(s) and "Language" not in s and s != "한국어"] == []
    assert at.metric[0].value == "paused"


def test_a_bad_link_is_reported_in_the_links_language():
    from streamlit.testing.v1 import AppTest

    from tests.pages.conftest import APP
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["lang"] = "ko"
    at.query_params["lab.kind"] = "transformer"
    at.run()
    (toast,) = at.toast
    assert toast.value.startswith("이 링크에서 무시한 항목: lab.kind=transformer: ")
    assert has_hangul(toast.value.split(": ", 2)[2])
