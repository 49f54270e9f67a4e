"""The Gradient flow lab in Korean: after widget changes and button presses every text on the page,
in the table and in the charts is Korean; the English wording is what the engine says."""
import numpy as np

from core import gradients as G
from explorer.views import gradient_flow as V
from explorer.app import state
from explorer.app.i18n import HANGUL
from tests.i18n_check import untranslated_ko
from tests.pages.conftest import chart_specs, keyed_chart_specs, press
from tests.pages.test_i18n_pages import open_in, page_texts

PAGE = "pages/gradient_flow.py"


def _open_ko(**settings):
    at = open_in("pages/home.py", "ko")
    for k, v in settings.items():
        at.session_state[k] = v
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def _untranslated(at) -> list[str]:
    texts = page_texts(at)
    for df in at.table:
        v = df.value
        texts += [str(c) for c in v.columns]
        texts += [str(x) for c in v.columns for x in v[c]]
    for spec in chart_specs(at):  # the main titles too (page_texts reads axis titles only)
        title = spec.get("layout", {}).get("title", {})
        texts.append(str(title.get("text", "") if isinstance(title, dict) else title))
    return [s for s in texts if s.strip() and untranslated_ko(s)]


def _chart(at, key):
    return next(spec for cid, spec in keyed_chart_specs(at) if cid.endswith(key))


def test_flow_view_in_korean_after_changing_widgets():
    at = _open_ko(**{state.GF_SEQ_LEN: 100, state.GF_HIDDEN: 16})
    assert _untranslated(at) == []
    at.select_slider(key=state.GF_RHO).set_value(0.5)
    at.run()
    assert not at.exception
    df = at.table[0].value
    assert list(df.columns) == ["셀", "끝에서 ‖∂L/∂h‖", "t = 0에서 ‖∂L/∂h‖", "거꾸로 한 단계당 비율",
                                "거꾸로 100단계당 log₁₀ 변화", "판정", "이유"]
    assert df["판정"][0] == "소실" and "거꾸로 100단계마다" in df["이유"][0] and "배 감소" in df["이유"][0]
    badges = [a["text"] for a in _chart(at, "gf_flow")["layout"]["annotations"]]
    assert any("RNN: 소실" in b for b in badges)
    assert any(HANGUL.search(m.value) and "W_hh" in m.value for m in at.markdown)  # the theory lines
    assert _untranslated(at) == []
    # a linear RNN, then ReLU with a random W_hh: other theory lines, other verdicts
    at.selectbox(key=state.GF_ACT).select("linear")
    at.run()
    at.select_slider(key=state.GF_RHO).set_value(1.5)
    at.run()
    assert at.table[0].value["판정"][0] == "폭발"
    assert "선형" in at.selectbox(key=state.GF_ACT).options
    assert _untranslated(at) == []
    at.selectbox(key=state.GF_ACT).select("relu")
    at.run()
    assert any("ρ/√2" in m.value for m in at.markdown)
    assert _untranslated(at) == []
    # the overflow warning (exploding beyond float64) and the source without a Training lab run
    at.selectbox(key=state.GF_ACT).select("linear")
    at.multiselect(key=state.GF_CELLS).set_value(["rnn"])
    at.select_slider(key=state.GF_SEQ_LEN).set_value(1000)
    at.run()
    assert not at.exception and at.warning and all(HANGUL.search(w.value) for w in at.warning)
    at.radio(key=state.GF_SOURCE).set_value("lab")
    at.run()
    assert at.info and _untranslated(at) == []


def test_clipping_view_in_korean_after_training():
    at = _open_ko(**{state.GF_TAB: "Clipping", state.GF_CLIP_STEPS: 50})
    assert any("둘 다 학습" in i.value for i in at.info)
    press(at, "gf_clip_run")
    assert not at.exception
    assert at.session_state[state.GF_CLIP_RESULT] is not None
    loss = _chart(at, "gf_clip_loss")
    assert loss["layout"]["title"]["text"] == "학습 손실"
    assert [d["name"] for d in loss["data"][:2]] == ["자르기 없음", "1에서 자름"]
    assert [m.label for m in at.metric][1] == "손실 (마지막 20단계, 1에서 자름)"
    assert "단계 중" in at.metric[3].value
    assert _untranslated(at) == []
    at.select_slider(key=state.GF_CLIP_THRESHOLD).set_value(3.0)
    at.run()
    assert any("설정이 바뀌었습니다" in c.value for c in at.caption)
    assert _untranslated(at) == []


def test_jacobian_and_cliff_views_in_korean():
    at = _open_ko(**{state.GF_TAB: "Jacobians and gates", state.GF_SEQ_LEN: 500, state.GF_HIDDEN: 128,
                     state.GF_CELLS: ["rnn", "lstm"]})
    note = " ".join(i.value for i in at.info)
    assert "500단계 중 처음 300단계" in note and "LSTM 제외" in note
    assert _untranslated(at) == []
    at.multiselect(key=state.GF_CELLS).set_value(["rnn", "lstm", "gru"])
    at.select_slider(key=state.GF_HIDDEN).set_value(16)
    at.select_slider(key=state.GF_SEQ_LEN).set_value(100)
    at.run()
    names = [d["name"] for d in _chart(at, "gf_products")["data"]]
    assert "LSTM: ∏ f_k (망각), 가장 열린 유닛" in names and "GRU: ∏ z_k (업데이트), 평균 유닛" in names
    assert _untranslated(at) == []
    at.radio(key=state.GF_TAB).set_value("The cliff")
    at.run()
    at.number_input(key=state.GF_CLIFF_W0).set_value(8.0)
    at.run()
    assert not at.exception
    spec = _chart(at, "gf_cliff")
    plain = next(d for d in spec["data"] if d.get("name") == "자르기 없음")
    assert plain["line"]["color"] == V.FG.PLAIN_COLOR
    assert any("최종 손실" in m.value for m in at.markdown)
    assert _untranslated(at) == []


def test_english_table_and_notes_are_the_engine_words():
    setup = G.FlowSetup(seq_len=60, hidden_size=8, spectral_radius=0.5)
    flows = V.untrained_flows(setup, ("rnn", "gru"))
    fits = V.fits(flows)
    rows = V.flow_table(flows, fits)
    for row, k in zip(rows, ("rnn", "gru")):
        assert row["verdict"] == fits[k].verdict and row["why"] == fits[k].reason
    assert list(rows[0]) == ["cell", "‖∂L/∂h‖ at the end", "‖∂L/∂h‖ at t = 0", "rate per step back",
                             "log₁₀ change per 100 steps back", "verdict", "why"]
    ko = V.flow_table(flows, fits, "ko")
    assert ko[0]["판정"] == {"vanishing": "소실", "stable": "안정", "exploding": "폭발"}[fits["rnn"].verdict]
    assert V.jacobian_plan(1000, 128, ("rnn", "lstm"))[2] == (
        "Jacobian view limited to the first 300 of the 1000 steps (products run to step 299); LSTM left "
        "out: the state has more than 128 numbers (H = 128; LSTM's state [h, c] has 2H), so the page "
        "stays responsive.")
    assert V.badge_text("rnn", fits["rnn"]).startswith(f"RNN: {fits['rnn'].verdict} (×")
    assert V.badge_text("rnn", fits["rnn"], "ko").endswith(f"거꾸로 한 단계마다 ×{fits['rnn'].rate:.3g})")


def test_lab_source_label_in_both_languages():
    from core import Trainer, build_model, get_task
    from explorer.jobs.training_job import TrainingJob
    task = get_task("sine", seq_len=20)
    job = TrainingJob(Trainer(build_model("rnn", 1, 8, 1, seed=0), task, lr=0.01, device="cpu"), 2)
    job.run_sync(2)
    assert V.lab_source(job).label == "RNN, tanh, H = 8, 1 layer(s), task sine (T = 20), after 2 training steps"
    assert V.lab_source(job, "ko").label == "RNN, tanh, H = 8, 층 1개, 과제 sine (T = 20), 학습 2단계 후"
    job.stop()
    assert np.isfinite(V.lab_flow(V.lab_source(job))["rnn"].grad_norm).all()
