"""The Unrolled graph page in Korean: the wirings, backward mode, a long (summarised) sequence and
the Training lab's model all show Korean text, with the same numbers as in English."""
from explorer.app import state
from tests.i18n_check import has_hangul, untranslated_ko
from tests.pages.conftest import chart_specs, press
from tests.pages.test_i18n_pages import open_in, page_texts

PAGE = "pages/unrolled_graph.py"


def _untranslated(at) -> list[str]:
    texts = page_texts(at)
    for spec in chart_specs(at):  # tick labels (the graph's rows, the Σ/autograd bars) too
        for k, v in spec["layout"].items():
            if isinstance(v, dict):
                texts += [str(s) for s in v.get("ticktext", [])]
    return [s for s in texts if untranslated_ko(s)]


def _accumulation(at) -> str:
    return [m.value for m in at.markdown if m.value.startswith("Σ_t (")][0]


def test_graph_page_in_korean_after_interaction():
    at = open_in(PAGE, "ko")
    assert at.title[0].value == "펼친 계산 그래프"
    assert _untranslated(at) == []
    assert "기여분" in _accumulation(at)

    at.radio(key=state.GRAPH_MODE).set_value("backward")
    at.run()
    assert any("간선의 굵기와 색" in c.value for c in at.caption)
    assert _untranslated(at) == []

    at.selectbox(key=state.GRAPH_STRUCTURE).select("many-to-one")
    at.run()
    at.checkbox(key=state.GRAPH_ATTN).check()
    at.radio(key=state.GRAPH_KIND).set_value("lstm")
    at.slider(key=state.GRAPH_LENGTH).set_value(45)
    at.run()
    assert not at.exception
    graph = chart_specs(at)[0]
    assert graph["layout"]["title"]["text"].startswith("다대일, T = 45, 어텐션 — 손실 L = ")
    assert any(c.value.startswith("45단계: ") for c in at.caption)
    assert _untranslated(at) == []
    ko_check = _accumulation(at).rsplit("= ", 1)[1]

    at.radio(key=state.GRAPH_SOURCE).set_value("lab")
    at.run()
    assert any("학습 실험실" in i.value for i in at.info)
    assert _untranslated(at) == []

    # train one step in the Training lab, then look at its model
    at.switch_page("pages/training_lab.py").run()
    at.selectbox(key=state.LAB_TASK).select("adding")
    at.run()
    press(at, state.LAB_BTN_STEP)
    assert not at.exception
    at.switch_page(PAGE).run()
    assert not at.exception
    lab = [m.value for m in at.markdown if m.value.startswith("**학습 실험실 모델**")]
    assert lab and "덧셈 문제 (다대일)" in lab[0]
    assert _untranslated(at) == []

    # the same check in English gives the same number, in English
    at.radio(key=state.GRAPH_SOURCE).set_value("untrained")
    at.session_state[state.LANG] = "en"
    at.run()
    assert not at.exception
    assert "max |Σ_t contributions − autograd|" in _accumulation(at)
    assert _accumulation(at).rsplit("= ", 1)[1] == ko_check
    assert [s for s in page_texts(at) if has_hangul(s) and "Language" not in s and s != "한국어"] == []
