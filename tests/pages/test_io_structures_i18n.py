"""The I/O structures page in Korean, after training: every text, metric and figure is translated."""
from explorer.app import state
from tests.i18n_check import has_hangul, untranslated_ko
from tests.pages.conftest import chart_specs, press
from tests.pages.test_i18n_pages import open_in, page_texts

PAGE = "pages/io_structures.py"


def test_train_in_korean_leaves_no_english():
    at = open_in(PAGE, "ko")
    assert any("이 예제 학습하기" in i.value for i in at.info)
    at.radio(key=state.IO_STRUCTURE).set_value("many_to_one")
    at.run()
    at.select_slider(key=state.IO_STEPS).set_value(20)
    at.run()
    press(at, state.IO_BTN_TRAIN)
    assert not at.exception
    res = at.session_state[state.IO_RESULTS]["many_to_one"]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["검증 정확도, 학습 후"] == f"{res.metric:.1%}"  # same number as in English
    assert "단순 기준선 (최적 상수)" in metrics and "학습 시간" in metrics
    specs = chart_specs(at)
    assert len(specs) == 3  # diagram, example, loss
    strip = next(s for s in specs if s["layout"]["title"]["text"].startswith("예제 1"))
    assert strip["data"][0]["y"] == ["입력", "목표값", "출력"]
    texts = page_texts(at)
    assert [s for s in texts if untranslated_ko(s)] == []
    assert all(has_hangul(s["layout"]["title"]["text"]) for s in specs)
    # a changed seed is announced in Korean
    at.number_input(key=state.IO_SEED).set_value(5)
    at.run()
    assert any("**이 예제 학습하기**" in c.value for c in at.caption)
    assert [s for s in page_texts(at) if untranslated_ko(s)] == []
    # every structure's wiring and text, untrained
    for key in ("one_to_one", "one_to_many", "many_to_many", "encoder_decoder"):
        at.radio(key=state.IO_STRUCTURE).set_value(key)
        at.run()
        assert not at.exception
        assert [s for s in page_texts(at) if untranslated_ko(s)] == [], key
