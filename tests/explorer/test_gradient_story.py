"""The sentence under the Gradient flow chart follows the measured numbers (explorer.views.gradient_flow_story)."""
import numpy as np

from core import gradients as G
from core.flow_training import FlowTraining
from explorer.views import gradient_flow_story as S


def _flow(rate, gate=None, kind="rnn", T=100):
    g = rate ** (T - 1 - np.arange(T, dtype=np.float64))
    gates = {} if gate is None else {G.GATE_PATH[kind]: np.full((2, T, 4), gate)}
    return G.Flow(g, 0.1, gates, None, None, None, True)


def _fits(flows):
    return {k: G.fit_decay(f.grad_norm) for k, f in flows.items()}


def test_an_untrained_lstm_with_half_open_gates_is_named_weakest_with_its_remedy():
    flows = {"rnn": _flow(0.97), "lstm": _flow(0.71, 0.5, "lstm"), "gru": _flow(0.72, 0.5, "gru")}
    s = S.story(flows, _fits(flows))
    assert s.startswith("Untrained, the RNN's gradient reaches t = 0 strongest (×0.97 per step back) "
                        "and the LSTM's weakest (×0.71)")
    assert "forget gates sit near 0.50" in s and "raise the forget-gate bias" in s and s.endswith(".")
    ko = S.story(flows, _fits(flows), lang="ko")
    assert "×0.97" in ko and "×0.71" in ko and "0.50" in ko and ko != s


def test_with_the_forget_gates_open_the_lstm_leads_and_the_rnn_is_explained():
    flows = {"rnn": _flow(0.97), "lstm": _flow(0.99, 0.88, "lstm")}
    s = S.story(flows, _fits(flows), forget_bias=2.0)
    assert s.startswith("Untrained, with forget-gate bias 2, the LSTM's gradient reaches t = 0 strongest (×0.99")
    assert "the RNN's weakest (×0.97)" in s and "LSTM's forget gates (near 0.88)" in s


def test_trained_gru_weakest_and_single_cell():
    flows = {"rnn": _flow(0.95), "gru": _flow(0.8, 0.6, "gru")}
    s = S.story(flows, _fits(flows), "trained", 0.0, FlowTraining(steps=123, task_len=17))
    assert s.startswith("After 123 training steps on the adding problem (T = 17)")
    assert "update gates still average 0.60" in s
    one = {"lstm": _flow(0.9, 0.7, "lstm")}
    s1 = S.story(one, _fits(one))
    assert s1 == ("Untrained, the LSTM's gradient changes ×0.90 per step back and reaches t = 0 at "
                  f"{one['lstm'].grad_norm[0]:.2g}, with its forget gates near 0.70.")
