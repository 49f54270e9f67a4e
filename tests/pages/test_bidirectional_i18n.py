"""The Bidirectional & attention page in Korean, after both trainings: nothing left in English."""
import time

from explorer.app import state
from tests.i18n_check import has_hangul, untranslated_ko
from tests.pages.conftest import chart_specs
from tests.pages.test_bidirectional_attention import _jobs, press_until
from tests.pages.test_i18n_pages import open_in, page_texts

PAGE = "pages/bidirectional_attention.py"


def test_train_both_and_attention_in_korean():
    at = open_in(PAGE, "ko")
    assert any("**둘 다 학습**" in i.value for i in at.info)
    at.select_slider(key=state.BI_STEPS).set_value(25)
    at.run()
    press_until(at, state.BI_BTN_TRAIN, lambda: at.session_state[state.BI_RESULT] is not None)
    assert not at.exception
    res = at.session_state[state.BI_RESULT]
    m = {x.label: x for x in at.metric}
    assert m["양방향: 검증 정확도"].value == f"{res.acc_bi:.1%}"
    # the delta starts with its sign, so st.metric draws the right arrow
    assert m["양방향: 검증 정확도"].delta.startswith(f"{res.acc_bi - res.acc_bi_before:+.1%}")
    assert [s for s in page_texts(at) if untranslated_ko(s)] == []

    at.select_slider(key=state.ATT_SEQ_LEN).set_value(10)
    at.run()
    at.select_slider(key=state.ATT_STEPS).set_value(50)
    at.run()
    seen = {id(j) for j in _jobs()}
    press_until(at, state.ATT_BTN_TRAIN, lambda: any(id(j) not in seen for j in _jobs()))
    new = [j for j in _jobs() if id(j) not in seen]
    end = time.time() + 60
    while time.time() < end and any(j.snapshot().active for j in new):
        time.sleep(0.2)
    at.run()
    assert not at.exception
    labels = {x.label for x in at.metric}
    assert {"표시된 단계의 어텐션", "검증 MSE, 어텐션 헤드", "검증 MSE, 마지막 상태만", "단순 기준선 MSE"} <= labels
    titles = [s["layout"]["title"]["text"] for s in chart_specs(at)]
    assert any(t.startswith("표시된 값 기억") for t in titles)  # the MSE comparison after training
    assert all(has_hangul(t) for t in titles)
    assert [s for s in page_texts(at) if untranslated_ko(s)] == []
    heat = next(s for s in chart_specs(at) if s["layout"]["title"]["text"].startswith("어텐션 가중치 a_t"))
    assert heat["data"][0]["y"][0] == "시퀀스 1"
