"""The Dynamics lab in Korean: after training the flip-flop preset, finding fixed points and changing
the views, every text, label, metric, chart title, axis and legend on the page is Korean."""
import gc
import time

from explorer.views import dynamics as V
from explorer.app import state
from explorer.jobs.training_job import TrainingJob
from tests.i18n_check import has_hangul, untranslated_ko
from tests.pages.test_i18n_pages import open_in, page_texts

from .conftest import chart_specs, press

PAGE = "pages/dynamics.py"


def _untranslated(at):
    assert not at.exception, at.exception
    return [s for s in page_texts(at) if untranslated_ko(s)]


def _titles(at):
    return [c["layout"]["title"]["text"] for c in chart_specs(at)]


def _job(target: int = 200):
    """This test's job: other tests' jobs may still be in memory, so pick it by its budget."""
    jobs = [o for o in gc.get_objects() if type(o) is TrainingJob and o.name == V.JOB_NAME
            and o.target_steps == target]
    return max(jobs, key=lambda j: j.trainer.step_count)


def test_gru_note_lab_source_and_untrained_network_in_korean():
    at = open_in(PAGE, "ko")
    at.radio(key=state.DYN_KIND).set_value("gru")
    at.run()
    assert any("허용 오차" in i.value for i in at.info)  # the GRU tolerance note
    assert _untranslated(at) == []
    at.radio(key=state.DYN_SOURCE).set_value("lab")
    at.radio(key=state.DYN_SENS_SOURCE).set_value("untrained")
    at.slider(key=state.DYN_SENS_RHO).set_value(1.8)
    at.select_slider(key=state.DYN_CHAOS_INPUT).set_value(1.0)
    at.run()
    assert any("학습 실험실에 아직 모델이 없습니다" in i.value for i in at.info)
    assert _untranslated(at) == []
    assert any(t.startswith("학습 전 tanh RNN, ρ = 1.80") for t in _titles(at))
    assert any(t.startswith("혼돈의 가장자리") for t in _titles(at))
    assert all(has_hangul(c.value) for c in at.caption)


def test_trained_flipflop_and_fixed_points_in_korean():
    at = open_in(PAGE, "ko")
    at.select_slider(key=state.DYN_HIDDEN).set_value(16)
    at.select_slider(key=state.DYN_LR).set_value(1e-2)
    at.number_input(key=state.DYN_STEPS).set_value(200)
    at.run()
    press(at, state.DYN_BTN_TRAIN)
    assert not at.exception, at.exception
    end = time.time() + 90
    while _job().snapshot().active and time.time() < end:
        time.sleep(0.5)
    assert _job().trainer.step_count == 200
    at.run()
    at.run()  # the full run after training: the last step's fixed points
    assert _untranslated(at) == []
    labels = {m.label for m in at.metric}
    assert {"고정점", "안정", "불안정", "붙잡은 기억 (8개 중)"} <= labels
    assert any(m.startswith("분석 대상: LSTM, H = 16, 과제: 3비트 플립플롭") for m in (c.value for c in at.caption))
    assert any(m.value.startswith("안정 고정점이 붙잡고 있는 기억:") for m in at.markdown)
    titles = _titles(at)
    assert any(t.startswith("200 단계의 LSTM 상태") for t in titles)
    assert any(t.startswith("각 고정점에서 야코비안의 고윳값") for t in titles)
    assert any(t.startswith("W_hh (후보 값 블록)의 고윳값") for t in titles)
    # the actions: find again, 3-D view coloured by time, sensitivity of the trained model
    press(at, state.DYN_BTN_FIND)
    at.toggle(key=state.DYN_VIEW3D).set_value(True)
    at.radio(key=state.DYN_COLOR).set_value("time")
    at.radio(key=state.DYN_SENS_SOURCE).set_value("model")
    at.run()
    assert _untranslated(at) == []
    space = next(c for c in chart_specs(at) if c["layout"]["title"]["text"].startswith("200 단계의 LSTM 상태"))
    assert space["data"][0]["type"] == "scatter3d" and "3차원 PCA" in space["layout"]["title"]["text"]
    assert space["layout"]["scene"]["xaxis"]["title"]["text"].startswith("PC1 (분산 ")
    assert any(t.startswith("위의 모델: δ = 1e-06만큼 흔든 h_10") for t in _titles(at))
    assert any("단계당 λ ≈" in c.value or "기울기를 구할 수 없습니다" in c.value for c in at.caption)
