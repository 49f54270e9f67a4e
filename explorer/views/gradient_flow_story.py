"""The one sentence under the Gradient flow chart that says what the reader sees.

Built from the measured numbers (each cell's fitted per-step factor, the gradient that reaches
t = 0, the mean opening of the gate on each gated cell's direct path), so the sentence follows the
curves: "Untrained, the GRU's gradient reaches t = 0 strongest (×0.97 per step back) and the LSTM's
weakest (×0.71): its forget gates sit near 0.50, ...". No Streamlit calls; text in ``lang``
(catalogue table ``gradient.story``).
"""
from __future__ import annotations

import math

import numpy as np

from core import gradients as G

from ..figures.gradients import CELL_NAMES
from ..app.i18n import text

OPEN_GATE = 0.9  # a mean direct-path gate above this counts as open (the gradient keeps >= 90 % a step)


def gate_mean(flow: G.Flow, kind: str) -> float:
    """Mean opening of the gate on the cell's direct path (LSTM: forget f, GRU: update z); nan for RNN."""
    name = G.GATE_PATH.get(kind)
    if name is None or name not in flow.gates:
        return math.nan
    g = np.asarray(flow.gates[name], dtype=np.float64)
    return float(np.nanmean(g)) if g.size else math.nan


def _strength(flow: G.Flow, fit: G.DecayFit) -> float:
    """log10 of the gradient at t = 0 (inf when it overflowed, -inf when it vanished to 0)."""
    g0 = float(flow.grad_norm[0]) if flow.grad_norm.size else math.nan
    if not math.isfinite(g0):
        return math.inf if fit.verdict == "exploding" else -math.inf
    return math.log10(g0) if g0 > 0 else -math.inf


def setting_text(source: str, forget_bias: float, training=None, lang: str = "en") -> str:
    """"Untrained", "Untrained, with forget-gate bias 2", "After 200 training steps on ..."."""
    if source == "lab":
        return text("gradient.story.setting.lab", lang)
    bias = "_bias" if forget_bias else ""
    if source == "trained" and training is not None:
        return text(f"gradient.story.setting.trained{bias}", lang, steps=training.steps, T=training.task_len,
                    bias=forget_bias)
    return text(f"gradient.story.setting.untrained{bias}", lang, bias=forget_bias)


def _why(worst: str, best: str, gates: dict, source: str, forget_bias: float, lang: str) -> str:
    """Why the weakest cell's gradient is the weakest, and (when one helps) the remedy."""
    trained = "trained" if source in ("trained", "lab") else "untrained"
    if worst == "lstm":
        f = gates["lstm"]
        if f >= OPEN_GATE:
            return text("gradient.story.why.lstm_open", lang, f=f)
        key = f"lstm_{trained}" + ("_bias" if trained == "untrained" and forget_bias >= 2 else "")
        return text(f"gradient.story.why.{key}", lang, f=f)
    if worst == "gru":
        z = gates["gru"]
        return text("gradient.story.why.gru_open" if z >= OPEN_GATE else f"gradient.story.why.gru_{trained}",
                    lang, z=z)
    if best in gates and math.isfinite(gates[best]):  # the vanilla RNN is weakest, a gated cell strongest
        return text(f"gradient.story.why.rnn_vs_{best}", lang, g=gates[best], cell=CELL_NAMES[best])
    return text("gradient.story.why.rnn", lang)


def story(flows: dict[str, G.Flow], fits: dict[str, G.DecayFit], source: str = "untrained",
          forget_bias: float = 0.0, training=None, lang: str = "en") -> str:
    """One sentence: which cell's gradient reaches t = 0 best and worst, at what per-step factor, and why.

    Args:
        flows: kind -> measured Flow.
        fits: kind -> its DecayFit (the per-step factor is ``fit.rate``).
        source: "untrained", "trained" or "lab".
        forget_bias: the LSTM's initial forget-gate bias (0: torch's small draw).
        training: the ``core.flow_training.FlowTraining`` of the "trained" source.
        lang: language.
    Returns:
        markdown, one sentence.
    """
    setting = setting_text(source, forget_bias, training, lang)
    kinds = [k for k in flows if k in fits]
    if not kinds:
        return ""
    gates = {k: gate_mean(flows[k], k) for k in kinds}
    order = sorted(kinds, key=lambda k: _strength(flows[k], fits[k]), reverse=True)
    if len(order) == 1:
        k = order[0]
        g0 = float(flows[k].grad_norm[0])
        s = text("gradient.story.single", lang, setting=setting, cell=CELL_NAMES[k], rate=fits[k].rate, g0=g0)
        if math.isfinite(gates[k]):
            s += text(f"gradient.story.single_{k}", lang, g=gates[k])
        return s + "."
    best, worst = order[0], order[-1]
    lead = text("gradient.story.lead", lang, setting=setting, best=CELL_NAMES[best], worst=CELL_NAMES[worst],
                best_rate=fits[best].rate, worst_rate=fits[worst].rate)
    return lead + text("gradient.story.sep", lang) + _why(worst, best, gates, source, forget_bias, lang) + "."
