"""AppTest of the Gradient flow page's forget-gate bias control, its "trained" source and the one
sentence under the chart (issue 18): every option runs, in both languages, and the sentence
quotes the measured per-step factors."""
import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from core import gradients as G
from explorer.views import gradient_flow_story as S
from explorer.views import gradient_flow as V
from explorer.app import state
from explorer.app.i18n import text

from .conftest import APP, keyed_chart_specs, plot_array

SMALL = {state.GF_SEQ_LEN: 50, state.GF_HIDDEN: 16}


def _page(lang="en", **settings):
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["lang"] = lang
    at.run()
    for k, v in settings.items():
        at.session_state[k] = v
    at.switch_page("pages/gradient_flow.py").run()
    assert not at.exception, at.exception
    return at


def _sentence(at, lang):
    lead = text("gradient.story.setting.untrained", lang)
    setting_words = [text(f"gradient.story.setting.{k}", lang, steps=V.TRAINING.steps, T=V.TRAINING.task_len, bias=2)
                     for k in ("untrained", "untrained_bias", "trained", "trained_bias")]
    found = [m.value for m in at.markdown if any(m.value.startswith(w) for w in setting_words)]
    assert len(found) == 1, [m.value for m in at.markdown]
    assert lead  # the catalogue has the phrase in this language
    return found[0]


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("source,bias", [("untrained", 0.0), ("untrained", 2.0), ("trained", 0.0)])
def test_every_option_runs_and_says_one_sentence_that_follows_the_numbers(lang, source, bias):
    at = _page(lang, **SMALL, **{state.GF_SOURCE: source, state.GF_FORGET: bias})
    sentence = _sentence(at, lang)
    setup = G.FlowSetup(seq_len=50, hidden_size=16, forget_bias=bias or None)
    kinds = ("rnn", "lstm", "gru")
    flows = (V.model_flows(V.trained_models(setup, kinds), setup) if source == "trained"
             else V.untrained_flows(setup, kinds))
    fits = V.fits(flows)
    assert sentence == S.story(flows, fits, source, bias, V.TRAINING, lang)
    g0 = {k: f.grad_norm[0] for k, f in flows.items()}
    best, worst = max(g0, key=g0.get), min(g0, key=g0.get)
    assert f"×{fits[best].rate:.2f}" in sentence and f"×{fits[worst].rate:.2f}" in sentence
    if source == "trained":
        assert any(c.value.startswith(text("gradient.trained_note", lang, steps=V.TRAINING.steps,
                                           T=V.TRAINING.task_len, lr=V.TRAINING.lr, batch=V.TRAINING.batch_size,
                                           losses="")[:20]) for c in at.caption)
    assert sentence.count(". ") == 0 and sentence.endswith(".")  # one sentence


def test_forget_bias_travels_in_the_link():
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["gradient_flow.forget_bias"] = "2.0"
    at.query_params["gradient_flow.source"] = "trained"
    at.query_params[state.GF_SEQ_LEN] = "20"
    at.query_params[state.GF_HIDDEN] = "8"
    at.run()
    at.switch_page("pages/gradient_flow.py").run()
    assert not at.exception, at.exception
    assert at.session_state[state.GF_FORGET] == 2.0 and at.session_state[state.GF_SOURCE] == "trained"
    assert at.select_slider(key=state.GF_FORGET).value == 2.0


def test_trained_source_feeds_the_jacobian_view_too():
    at = _page("en", **{state.GF_SEQ_LEN: 20, state.GF_HIDDEN: 8, state.GF_SOURCE: "trained",
                        state.GF_TAB: "Jacobians and gates"})
    charts = dict(keyed_chart_specs(at))
    prod = next(spec for cid, spec in charts.items() if cid.endswith("gf_products"))
    setup = G.FlowSetup(seq_len=20, hidden_size=8)
    models = V.trained_models(setup, ("rnn", "lstm", "gru"))
    jd = V.model_jacobians(models, setup, V.model_flows(models, setup), 20)
    rnn = next(d for d in prod["data"] if d["name"].startswith("RNN"))
    y = plot_array(rnn["y"]) if isinstance(rnn["y"], dict) else np.asarray(rnn["y"], dtype=float)
    np.testing.assert_allclose(np.log10(np.asarray(y, dtype=float)), jd.views["rnn"].log10_product, atol=1e-6)
