"""The RNN cell page in Korean: every state a reader can reach (the sentiment unit, H = 1, 2, 3,
typed matrices and inputs with their errors) shows Korean text, the numbers stay the same, and
switching back to English shows no Korean."""
from explorer.app import state
from tests.i18n_check import has_hangul, untranslated_ko
from tests.pages.conftest import chart_specs, press
from tests.pages.test_i18n_pages import open_in, page_texts

PAGE = "pages/rnn_cell.py"


def _untranslated(at) -> list[str]:
    texts = page_texts(at)
    for df in at.table:  # the fixed-point table: headers and verdicts
        texts += [str(c) for c in df.value.columns] + [str(v) for v in df.value.iloc[:, -1]]
    return [s for s in texts if untranslated_ko(s)]


def test_cell_page_in_korean_after_interaction():
    at = open_in(PAGE, "ko")
    assert at.title[0].value == "RNN 셀"
    assert _untranslated(at) == []
    phase = chart_specs(at)[1]["layout"]["title"]["text"]
    assert phase.startswith("위상 평면")

    press(at, "cell.sentiment_button")
    assert not at.exception
    assert at.session_state[state.CELL_PRESET] == "love/hate"
    assert "love/hate 문장" in at.selectbox(key=state.CELL_PRESET).options
    at.slider(key=state.CELL_STEP).set_value(1)
    at.run()
    assert any("**“love”**" in m.value and "감성 유닛" in m.value for m in at.markdown)
    assert _untranslated(at) == []

    at.radio(key=state.CELL_HIDDEN).set_value(1)
    at.run()
    cobweb = chart_specs(at)[1]
    assert cobweb["layout"]["title"]["text"].startswith("거미줄 그림")
    assert list(at.table[0].value.columns) == ["h*", "∂F/∂h의 고윳값", "최대 |λ|", "판정"]
    assert _untranslated(at) == []

    at.radio(key=state.CELL_WEIGHT_MODE).set_value("typed")
    at.run()
    at.text_input(key=state.CELL_TEXT["W_hh"]).input("1, 2")
    at.run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert errors and all(has_hangul(e) for e in errors) and any("'1, 2'" in e for e in errors)
    assert _untranslated(at) == []

    at.selectbox(key=state.CELL_PRESET).select("typed")
    at.run()
    at.text_input(key=state.CELL_TYPED_INPUT).input("1 2 3; x")
    at.run()
    assert any(e.value.startswith("직접 입력: ") for e in at.error)
    assert _untranslated(at) == []

    at.text_input(key=state.CELL_TYPED_INPUT).input("1, 0, 0, 2")
    at.text_input(key=state.CELL_TEXT["W_hh"]).input("0.5")
    at.radio(key=state.CELL_HIDDEN).set_value(3)
    at.run()
    assert not at.exception and not at.error
    assert chart_specs(at)[1]["layout"]["title"]["text"].startswith("상태 궤적")
    assert any("위상 평면이 없습니다" in c.value for c in at.caption)
    assert _untranslated(at) == []
    latex_ko = [x.value for x in at.latex]

    # back to English: the same numbers, no Korean
    at.session_state[state.LANG] = "en"
    at.run()
    assert not at.exception
    assert [x.value for x in at.latex] == latex_ko
    assert [s for s in page_texts(at) if has_hangul(s) and "Language" not in s and s != "한국어"] == []
    assert at.title[0].value == "RNN cell"
