"""The LSTM vs GRU vs RNN page in Korean: catalogue texts of the presets and views, and the page
after training (texts, table headers, charts, badges, the sweep result) with no English left."""
import re

import numpy as np

from core.compare import CELLS, PRESETS, SweepSettings
from explorer.views import comparison as V
from explorer.app import state
from explorer.app.i18n import text
from tests.i18n_check import has_hangul, untranslated_ko
from tests.pages.conftest import chart_specs, press, training_job_ids, wait_new_jobs_done
from tests.pages.test_i18n_pages import open_in, page_texts

PAGE = "pages/comparison.py"


# ---- without Streamlit ----------------------------------------------------------------------

def test_preset_catalogue_english_is_core_english():
    """The catalogue's English is exactly core's (the bench and the page say the same)."""
    for name, p in PRESETS.items():
        assert V.preset_text(name, "title") == p.title
        assert V.preset_text(name, "reference") == p.reference
        assert V.preset_text(name, "explanation") == p.explanation
        metric = p.build_task().metric
        assert [V.criterion_text(c, metric) for c in p.criteria] == [c.describe(metric) for c in p.criteria]
        for part in ("title", "reference", "explanation"):
            assert has_hangul(V.preset_text(name, part, "ko")), (name, part)
    assert V.preset_labels("ko")["adding_100"] == "덧셈 문제, T = 100"
    info = V.preset_info(PRESETS["temporal_order"], 2048, "ko")
    assert "LSTM 정확도 > 0.9, GRU 정확도 > 0.9, RNN 정확도 < 0.6" in info and "2,048" in info and "1,500" in info
    assert V.preset_info(PRESETS["adding_50"], 2048).endswith(
        "Pass if: LSTM MSE < 0.05, GRU MSE < 0.05, RNN MSE > 0.12, measured on 2,048 fixed held-out sequences "
        "after 1,200 steps.")


def test_badges_status_and_summary_sentence_in_korean():
    p = PRESETS["adding_50"]
    b = V.badges(p, {"rnn": {"loss": 0.16, "metric": 0.16}, "lstm": {"loss": 0.01, "metric": 0.01}}, "ko")
    assert [V.badge_text(*x, "ko") for x in b] == ["통과 · LSTM MSE < 0.05 (측정값 0.01)", "GRU MSE < 0.05: 기다리는 중",
                                                  "통과 · RNN MSE > 0.12 (측정값 0.16)"]
    assert V.badge_text("LSTM loss < 1", 2.0, False) == "FAIL · LSTM loss < 1 (measured 2)"

    class Snap:
        status, queue_position = "queued", 2
    assert V.status_text(Snap(), 1, "ko") == (":material/hourglass_top: 코어 기다리는 중 (대기 순서 2); "
                                             "이 서버는 한 번에 1개를 학습합니다")
    assert V.status_word("done", "ko") == "완료" and V.status_word("weird", "ko") == "weird"
    acc = np.array([[1.0, 0.95, 0.5], [1.0, 0.6, 0.3], [0.8, 0.7, 0.2]])
    assert V.sweep_summary((2, 8, 16), acc, lang="ko") == ("정확도 90% 이상으로 기억한 가장 긴 지연: "
                                                           "기본 RNN 8, LSTM 2, GRU 없음.")


# ---- AppTest ---------------------------------------------------------------------------------

def _hover_words(spec) -> list[str]:
    return [re.sub(r"%\{[^}]*\}|<[^>]*>", " ", d.get("hovertemplate", "")) for d in spec["data"]]


def _colorbar_titles(spec) -> list[str]:
    return [v["colorbar"]["title"]["text"] for k, v in spec["layout"].items()
            if k.startswith("coloraxis") and "title" in v.get("colorbar", {})]


def test_trained_page_in_korean():
    at = open_in(PAGE, "ko")
    assert any(has_hangul(str(i.value)) for i in at.info)  # the default preset, explained in Korean
    at.selectbox(key=state.CMP_PRESET).select(V.CUSTOM)
    at.run()
    at.selectbox(key=state.CMP_TASK).select("temporal_order")
    at.run()
    at.number_input(key=state.CMP_SEQ_LEN).set_value(12)
    at.run()
    at.select_slider(key=state.CMP_HIDDEN).set_value(8)
    at.run()
    at.number_input(key=state.CMP_STEPS).set_value(60)
    at.run()
    assert at.button(key="compare.train").label == "셋 모두 학습"
    before = training_job_ids()
    press(at, "compare.train")
    assert not at.exception, at.exception
    wait_new_jobs_done(before, "compare.", 3)
    # the sweep's result as the page keeps it (running the sweep trains 15 models: too slow here)
    acc = np.array([[1.0, 0.6, 0.3, 0.3, 0.3], [1.0, 1.0, 0.95, 0.5, 0.3], [1.0, 0.9, 0.4, 0.3, 0.3]])
    at.session_state[state.CMP_SWEEP_RESULT] = (SweepSettings(steps=100), acc)
    at.run()
    assert not at.exception, at.exception
    texts = page_texts(at)
    assert [s for s in texts if untranslated_ko(s)] == []
    assert {"게이트", "요약", "기억 길이: 지연에 따른 지연 회상"} <= {s.value for s in at.subheader}
    specs = chart_specs(at)
    assert len(specs) >= 10  # loss, metric, gradients, trajectories, 2 x gates, 2 x means, 2 x saturation, sweep
    for spec in specs:
        title = spec["layout"]["title"]["text"]
        assert has_hangul(title), title
        words = _hover_words(spec) + _colorbar_titles(spec)
        assert [w for w in words if untranslated_ko(w)] == [], title
    legend = [d["name"] for d in specs[0]["data"] if d.get("name")]
    assert "LSTM (검증)" in legend and "기본 RNN (검증)" in legend
    df = at.dataframe[0].value
    cols = list(df.columns)
    assert re.fullmatch(r"손실 ≤ [0-9.]+ 도달 단계", cols[7]), cols
    assert cols[:7] + cols[8:] == ["셀", "H", "매개변수 수", "상태", "학습 단계", "최종 손실", "최종 정확도",
                                   "걸린 시간 (초)", "초당 단계"]
    assert list(df["셀"]) == [text(f"widgets.cell.{k}", "ko") for k in CELLS]
    assert set(df["상태"]) == {"완료"}
    assert all(has_hangul(c) or c == "H" for c in df.columns)
    caps = [c.value for c in at.caption]
    assert any("모델당 100단계" in c and "기본 RNN" in c for c in caps)  # the sweep result, in Korean


def test_pass_fail_badges_in_korean():
    at = open_in(PAGE, "ko")
    press(at, "compare.train")  # the default preset (adding, 1,200 steps): badges wait for the runs
    assert not at.exception, at.exception
    press(at, "compare.pause")
    assert not at.exception, at.exception
    assert "통과 / 실패" in [s.value for s in at.subheader]
    # a pending badge (a status line may also say "기다리는 중" while its job waits for a core)
    pending = [m.value for m in at.markdown if "badge[" in m.value and "기다리는 중" in m.value]
    assert len(pending) == 3, [m.value for m in at.markdown]
    assert [s for s in page_texts(at) if untranslated_ko(s)] == []
