"""The guided tour: every preset key exists and is accepted by its widget; Next moves on."""
from pathlib import Path

import plotly.graph_objects as go
import pytest

from explorer.app import state, urlstate
from explorer.app.nav import PAGE_TABLE
from explorer.app import settings
from explorer.app.settings import DEFAULTS
from explorer.app.tour import apply_step, page_keys
from explorer.app.tour_steps import TOUR
from explorer.app.widgets import PRESENTER_MIN_LINE, presenter_figure
from tests.pages.conftest import APP, _stop_jobs_after_test, press  # noqa: F401 (autouse fixture: stops jobs)

TITLES = {"rnn_cell": "RNN cell", "unrolled_graph": "Unrolled graph", "io_structures": "Input/output structures",
          "training_lab": "Training lab", "gradient_flow": "Gradient flow", "dynamics": "Dynamics lab",
          "comparison": "LSTM vs GRU vs RNN", "bidirectional_attention": "Bidirectional RNNs and attention"}
STEP_IDS = [f"{i}-{Path(s.page).stem}" for i, s in enumerate(TOUR)]


def test_tour_covers_sections_1_to_7_in_order_on_existing_pages():
    pages = {row[1] for row in PAGE_TABLE}
    assert all(s.page in pages and (Path(APP).parent / s.page).exists() for s in TOUR)
    firsts = [int(s.title.split("·")[0].split(",")[0]) for s in TOUR]
    assert set(firsts) == set(range(1, 8))
    assert all(s.text and s.title for s in TOUR)


@pytest.mark.parametrize("step", TOUR, ids=STEP_IDS)
def test_preset_keys_exist_and_values_are_in_the_widgets_domain(step):
    assert step.preset, "a step without a preset shows nothing in particular"
    keys = set(page_keys(step.page))
    doms = urlstate.domains(step.preset)
    for k, v in step.preset.items():
        assert k in DEFAULTS, k
        assert k in keys, f"{k} is not a shareable key of {step.page}"
        d = DEFAULTS[k]
        assert type(v) is type(d), (k, v, d)
        if k in doms:
            assert settings.accepts(k, v), (k, v, doms[k])


def test_apply_step_resets_the_page_then_sets_the_preset():
    step = next(s for s in TOUR if s.page == "pages/gradient_flow.py")
    ss = {state.GF_SEED: 7, state.GF_HIDDEN: 512, state.LAB_KIND: "gru"}
    apply_step(step, ss)
    assert ss[state.GF_SEED] == DEFAULTS[state.GF_SEED]  # leftovers of the page are reset
    assert ss[state.GF_HIDDEN] == DEFAULTS[state.GF_HIDDEN]
    assert ss[state.LAB_KIND] == "gru"  # other pages are left alone
    for k, v in step.preset.items():
        assert ss[k] == v
    ss[state.GF_CELLS].append("gru")  # a list preset is copied, the registry stays as it is
    assert step.preset.get(state.GF_CELLS, ["rnn"]) != ss[state.GF_CELLS]


def _widget_value(at, key):
    for kind in ("radio", "selectbox", "select_slider", "slider", "number_input", "multiselect",
                 "toggle", "checkbox", "text_input"):
        found = [w for w in at.get(kind) if getattr(w, "key", None) == key]
        if found:
            return found[0].value
    raise KeyError(key)


def test_next_walks_the_tour_with_each_preset_applied_by_its_widgets():
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    press(at, state.TOUR_BTN_START)
    for i, step in enumerate(TOUR):
        if i:
            press(at, state.TOUR_BTN_NEXT)
        assert not at.exception, (step.title, at.exception)
        assert at.session_state[state.TOUR_STEP] == i
        assert at.title[0].value == TITLES[Path(step.page).stem]  # the step's page is shown
        shown = 0
        for k, v in step.preset.items():
            try:
                got = _widget_value(at, k)
            except KeyError:
                continue  # not drawn in this layout (e.g. the step slider of a word sequence)
            shown += 1
            assert got == v, f"step {i} {step.title}: widget {k} shows {got!r}, the preset says {v!r}"
        assert shown, f"step {i}: none of the preset's widgets is on the page"
        assert at.query_params.get("tour.step") == str(i)  # the link follows the tour
    assert at.button(key=state.TOUR_BTN_NEXT).disabled
    press(at, state.TOUR_BTN_BACK)
    assert at.session_state[state.TOUR_STEP] == len(TOUR) - 2 and not at.exception
    press(at, state.TOUR_BTN_END)
    assert at.session_state[state.TOUR_STEP] == -1
    assert at.button(key=state.TOUR_BTN_START)


def test_presenter_figure_scales_text_and_lines_of_a_copy():
    fig = go.Figure([go.Scatter(x=[0, 1], y=[1, 2], mode="lines", line=dict(width=1.5)),
                     go.Scatter(x=[0, 1], y=[2, 1], mode="markers", marker=dict(size=6)),
                     go.Heatmap(z=[[1, 2], [3, 4]]),
                     go.Scatter(x=[0], y=[0], mode="markers+text", text=["h₀"], textfont=dict(size=14))])
    fig.update_layout(font=dict(size=15), title=dict(text="t", font=dict(size=20)), height=400)
    fig.update_xaxes(title_text="x", title_font_size=16, tickfont_size=14)
    big = presenter_figure(fig)
    assert big.layout.font.size == 21 and big.layout.title.font.size == 28
    assert big.layout.xaxis.title.font.size == 22 and big.layout.xaxis.tickfont.size == 20
    # the plot (400 - plotly's default margins 100 + 80) grows 15 %, the margins (text) as the type
    assert (big.layout.margin.t, big.layout.margin.b, big.layout.margin.l) == (140, 112, 112)
    assert big.layout.height == round(220 * 1.15) + 140 + 112
    assert big.data[0].line.width >= PRESENTER_MIN_LINE
    assert big.data[2].colorbar.tickfont.size == 19 and big.data[2].colorbar.title.font.size == 21
    assert big.data[1].marker.colorbar.tickfont.size is None  # no colour scale shown: untouched
    assert big.data[1].marker.size == 8
    assert big.data[3].textfont.size == 20  # text on the plot (a node's label) as the rest
    shared = go.Figure([go.Scatter(x=[0], y=[0], mode="markers", marker=dict(color=[1], coloraxis="coloraxis"))],
                       dict(font=dict(size=15), coloraxis=dict(colorbar=dict(title=dict(text="t")))))
    bar = presenter_figure(shared).layout.coloraxis.colorbar  # a colour scale in the layout (the PCA chart's)
    assert bar.tickfont.size == 19 and bar.title.font.size == 21
    assert fig.data[0].line.width == 1.5 and fig.layout.font.size == 15  # the original is untouched


def test_presenter_figure_keeps_a_legend_under_the_axis_title_and_scales_subtitles():
    from explorer.figures.common import legend_below
    layout = legend_below({"height": 450, "margin": {"t": 70}, "title": {
        "text": "Title<br><span style='font-size:14px'>subtitle</span>"}}, entries=7)
    fig = go.Figure([go.Scatter(x=[0, 1], y=[0, 1], name=f"s{i}") for i in range(7)], layout)
    big = presenter_figure(fig)
    gap_px = lambda f: -f.layout.legend.y * (f.layout.height - f.layout.margin.t - f.layout.margin.b)  # noqa: E731
    assert gap_px(big) == pytest.approx(gap_px(fig) * 1.4, abs=1)  # under the larger tick labels and axis title
    assert big.layout.margin.b - gap_px(big) == pytest.approx(1.4 * (fig.layout.margin.b - gap_px(fig)), abs=1)
    assert "font-size:20px" in big.layout.title.text and "font-size:14px" in fig.layout.title.text


def test_every_step_has_korean_title_and_text_with_the_same_sections():
    from tests.i18n_check import has_hangul
    for s in TOUR:
        ko_title = s.title_in("ko")
        assert ko_title.split("·")[0] == s.title.split("·")[0], ko_title  # "3 · ..." in both languages
        assert has_hangul(ko_title) and has_hangul(s.text_in("ko"))
        assert s.title_in("ko") != s.title and s.text_in("ko") != s.text


def test_tour_sidebar_in_korean():
    from tests.i18n_check import has_hangul, untranslated_ko
    from tests.pages.test_i18n_pages import open_in
    at = open_in("pages/home.py", "ko")
    assert at.button(key=state.TOUR_BTN_START).label == "투어 시작"
    press(at, state.TOUR_BTN_START)
    press(at, state.TOUR_BTN_NEXT)
    assert not at.exception and at.session_state[state.TOUR_STEP] == 1
    shown = [str(m.value) for m in at.sidebar.markdown]
    assert f"**투어 2/{len(TOUR)} · {TOUR[1].title_in('ko')}**" in shown
    assert TOUR[1].text_in("ko") in shown
    labels = [at.button(key=k).label for k in (state.TOUR_BTN_BACK, state.TOUR_BTN_NEXT, state.TOUR_BTN_END)]
    assert labels == ["이전", "다음", "투어 끝내기"]
    assert not [s for s in shown + labels if untranslated_ko(s)]
    assert all(has_hangul(s) for s in shown if s.strip())


def test_legend_entries_count_named_shown_traces_of_dicts_and_figures():
    from explorer.figures.common import legend_entries
    dicts = [dict(type="scatter", name="a"), dict(type="scatter", name="b", showlegend=False),
             dict(type="scatter"), dict(type="heatmap", name="c", showlegend=True)]
    assert legend_entries(dicts) == 2
    assert legend_entries(go.Figure([go.Scatter(**{k: v for k, v in d.items() if k != "type"}) for d in dicts[:3]]).data) == 1
