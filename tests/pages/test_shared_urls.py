"""A link opens the same view: every page reads its settings from the URL and writes them back."""
import json

import pytest
from streamlit.testing.v1 import AppTest

from explorer.app import state, urlstate
from explorer.app.settings import DEFAULTS, TABLES, Between
from tests.pages.conftest import APP, chart_specs

# page -> settings a lecturer might share (all different from the defaults)
SHARED = {
    "rnn_cell": {state.CELL_HIDDEN: 1, state.CELL_ACT: "relu", state.CELL_PRESET: "sine", state.CELL_LENGTH: 30,
                 state.CELL_STEP: 12, state.CELL_ENTRIES[("W_hh", 0, 0)]: 0.85},
    "unrolled_graph": {state.GRAPH_STRUCTURE: "many-to-one", state.GRAPH_LENGTH: 12, state.GRAPH_MODE: "backward",
                       state.GRAPH_KIND: "gru", state.GRAPH_HIDDEN: 8, state.GRAPH_SEED: 3, state.GRAPH_ATTN: True},
    "io_structures": {state.IO_STRUCTURE: "one_to_many", state.IO_STEPS: 50, state.IO_SEED: 4},
    "bidirectional_attention": {state.BI_SHIFT: 3, state.BI_STEPS: 50, state.BI_SEED: 9, state.ATT_SEQ_LEN: 20,
                                state.ATT_STEPS: 100},
    "training_lab": {state.LAB_TASK: "parity", state.LAB_SEQ_LEN: 30, state.LAB_KIND: "gru", state.LAB_HIDDEN: 64,
                     state.LAB_LAYERS: 2, state.LAB_LR: 3e-3, state.LAB_BATCH: 16, state.LAB_OPT: "sgd",
                     state.LAB_CLIP: 2.5, state.LAB_SEED: 123, state.LAB_STEPS: 300, state.LAB_PROBE: 10},
    "gradient_flow": {state.GF_CELLS: ["rnn", "gru"], state.GF_ACT: "relu", state.GF_INIT: "orthogonal",
                      state.GF_RHO: 1.25, state.GF_SEQ_LEN: 100, state.GF_HIDDEN: 32, state.GF_INPUT_SCALE: 0.3,
                      state.GF_SEED: 11, state.GF_BOUND: False},
    "dynamics": {state.DYN_KIND: "gru", state.DYN_HIDDEN: 16, state.DYN_LR: 0.01, state.DYN_STEPS: 300,
                 state.DYN_SEED: 2, state.DYN_SENS_SOURCE: "untrained", state.DYN_SENS_RHO: 1.2,
                 state.DYN_SENS_K: 20, state.DYN_CHAOS_INPUT: 0.5},
    "comparison": {state.CMP_PRESET: "custom", state.CMP_TASK: "delayed_recall", state.CMP_SEQ_LEN: 40,
                   state.CMP_HIDDEN: 16, state.CMP_EQUAL: True, state.CMP_LR: 3e-3, state.CMP_BATCH: 32,
                   state.CMP_CLIP: 0.0, state.CMP_SEED: 5, state.CMP_STEPS: 500, state.CMP_SWEEP_STEPS: 200},
}
WIDGETS = ("radio", "selectbox", "select_slider", "slider", "number_input", "multiselect", "toggle", "checkbox",
           "text_input")


def _open(page: str, params: dict) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    for k, v in params.items():
        at.query_params[k] = v
    at.switch_page(f"pages/{page}.py")
    at.run()
    assert not at.exception, at.exception
    return at


def _widgets(at: AppTest) -> dict:
    return {w.key: w for kind in WIDGETS for w in at.get(kind) if getattr(w, "key", None)}


def _link(settings: dict) -> dict:
    return {k: urlstate.encode(k, v) for k, v in settings.items()}


def test_every_page_has_shared_settings():
    assert set(SHARED) == set(TABLES) - {"app", "data"}
    for page, values in SHARED.items():
        for k, v in values.items():
            assert k in urlstate.page_keys(page) and v != DEFAULTS[k], (page, k)


@pytest.mark.parametrize("page", list(SHARED))
def test_a_shared_link_reproduces_the_pages_settings(page):
    link = {**_link(SHARED[page]), "presenter": "0", "lang": "ko"}  # "presenter=0" is a default: dropped
    at = _open(page, link)
    shown = _widgets(at)
    for k, v in SHARED[page].items():
        assert at.session_state[k] == v, k
        if k in shown:
            assert shown[k].value == v, f"{k}: the widget shows {shown[k].value!r}, the link says {v!r}"
    assert sum(k in shown for k in SHARED[page]) >= len(SHARED[page]) - 1
    # the address bar is the same link again: the page's non-defaults, and lang kept
    assert at.query_params == {**_link(SHARED[page]), "lang": "ko"}
    assert not at.toast


@pytest.mark.parametrize("page", list(SHARED))
def test_widgets_show_their_settings_domain(page):
    """Every widget's options and range are its setting's domain in explorer/app/settings.py (so links
    never carry what a widget refuses, and a widget that forgets to read the table is caught)."""
    at = _open(page, {})
    doms = urlstate.domains(urlstate.url_keys())
    checked = 0
    for key, w in _widgets(at).items():
        if key not in doms:
            continue
        d, p = doms[key], w.proto
        if isinstance(d, Between):
            if hasattr(p, "has_min"):  # number_input
                assert (p.min, p.max) == (d.lo, d.hi), key
            elif key != state.CELL_STEP:  # the time slider's end follows T (the domain holds the largest)
                assert (p.min, p.max) == (d.lo, d.hi), key
        else:
            assert len(p.options) == len(d), (key, list(p.options), d)
        checked += 1
    assert checked >= 3


def test_a_link_gives_the_same_numbers_in_a_new_session():
    link = _link(SHARED["gradient_flow"])
    a, b = _open("gradient_flow", link), _open("gradient_flow", link)
    default = _open("gradient_flow", {})
    flow = lambda at: json.dumps(chart_specs(at)[0]["data"], sort_keys=True)  # noqa: E731
    assert flow(a) == flow(b)
    assert flow(a) != flow(default)
    assert a.table[0].value.equals(b.table[0].value)


def test_a_bad_link_is_ignored_with_a_toast():
    at = _open("training_lab", {"lab.kind": "transformer", "lab.hidden": "64", "lab.seq_len": "5000"})
    assert at.radio(key=state.LAB_KIND).value == DEFAULTS[state.LAB_KIND]
    assert at.number_input(key=state.LAB_SEQ_LEN).value == DEFAULTS[state.LAB_SEQ_LEN]
    assert at.select_slider(key=state.LAB_HIDDEN).value == 64
    assert len(at.toast) == 1 and "lab.kind" in at.toast[0].value and "lab.seq_len" in at.toast[0].value
    assert at.query_params == {"lab.hidden": "64"}


def test_presenter_mode_and_the_device_travel_on_every_page():
    at = _open("rnn_cell", {"presenter": "1", "device": "cpu"})
    assert at.toggle(key=state.PRESENTER).value is True
    assert at.selectbox(key=state.DEVICE).value == "cpu"
    assert at.query_params == {"presenter": "1", "device": "cpu"}
    assert not at.expander[0].proto.expanded  # presenter mode collapses the weights


def test_a_link_naming_a_comparison_preset_applies_it():
    """An old link (delayed_recall_24, replaced in issue 18) opens its successor, and the address
    bar then names the new preset."""
    from core.compare import PRESETS
    from explorer.views import comparison as V
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["compare.preset"] = "delayed_recall_24"
    at.query_params["compare.seed"] = "3"
    at.run()
    at.switch_page("pages/comparison.py").run()
    assert not at.exception and not at.toast  # the old name is not reported as a bad parameter
    p = PRESETS["delayed_recall_30"]
    assert at.session_state["compare.preset"] == "delayed_recall_30"
    assert at.session_state["compare.task"] == p.task and at.session_state["compare.forget_bias"] == 2.0
    assert at.session_state["compare.steps"] == p.steps and at.session_state["compare.seed"] == 3
    assert at.session_state["compare.seq_len"] == 40 == V.preset_state("delayed_recall_30")["compare.seq_len"]
    assert not any("differ" in w.value for w in at.warning)  # the preset is active: badges will show
    assert at.query_params["compare.preset"] == "delayed_recall_30"
