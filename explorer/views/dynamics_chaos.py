"""Page logic of the Dynamics lab's sensitivity and edge-of-chaos sections: a small perturbation's
growth in a model (or an untrained tanh RNN), and the largest Lyapunov exponent against the
recurrent weights' spectral radius. No Streamlit.
"""
from __future__ import annotations

import numpy as np

from core.dynamics import ChaosSettings, Sensitivity, random_inputs, random_rnn, sensitivity

from .dynamics import Analysis
from ..figures import dynamics as FD
from ..app.i18n import text

CHAOS_RADII = tuple(np.round(np.linspace(0.5, 2.0, 31), 3))  # spectral radii of the sweep
# |λ_max| per step under which a network counts as at the edge (marginal): one threshold for the
# sensitivity's verdict and the sweep's onset of chaos, so the text and the chart agree
EDGE_LAMBDA = 0.01


def model_sensitivity(a: Analysis, seq: int, k: int, delta: float) -> Sensitivity:
    seq = int(np.clip(seq, 0, a.x.shape[0] - 1))
    return sensitivity(a.model, a.x[seq], int(np.clip(k, 0, a.x.shape[1] - 2)), delta)


def untrained_sensitivity(rho: float, k: int, delta: float, s: ChaosSettings = ChaosSettings()) -> Sensitivity:
    """The same experiment on the untrained tanh RNN of the edge-of-chaos sweep."""
    return sensitivity(random_rnn(rho, s), random_inputs(s), int(np.clip(k, 0, s.seq_len - 2)), delta)


def growth_fig(sens: Sensitivity, what: str, lang: str = "en") -> object:
    """The perturbation's growth; ``what`` names the network (already in ``lang``)."""
    f = sens.fit
    return FD.growth_figure(sens.log_dist, sens.k, fit=(f.slope, f.intercept, f.first, f.last),
                            lyapunov_qr=sens.lyapunov_qr, lang=lang,
                            title=text("fig.dynamics.growth", lang, what=what, k=sens.k, delta=sens.delta))


def sensitivity_text(s: Sensitivity, lang: str = "en") -> str:
    f = s.fit
    if not np.isfinite(f.slope):
        est = text("dynamics.sens.no_slope", lang)
    else:
        est = text("dynamics.sens.slope", lang, first=s.k + f.first, last=s.k + f.last, slope=f.slope,
                   factor=float(np.exp(f.slope)))
    lq = s.lyapunov_qr
    verdict = ("decays" if np.isfinite(lq) and lq < -EDGE_LAMBDA else
               "grows" if np.isfinite(lq) and lq > EDGE_LAMBDA else "marginal")
    return text("dynamics.sens.summary", lang, est=est, qr=lq, verdict=text(f"dynamics.sens.{verdict}", lang))


def chaos_fig(lam: np.ndarray, current: tuple | None = None, lang: str = "en") -> object:
    return FD.chaos_figure(np.array(CHAOS_RADII), lam, current=current, lang=lang)


def chaos_text(lam: np.ndarray, lang: str = "en") -> str:
    r = np.array(CHAOS_RADII)
    pos = np.nonzero(lam > EDGE_LAMBDA)[0]
    edge = text("dynamics.chaos.edge", lang, rho=r[pos[0]]) if len(pos) else text("dynamics.chaos.no_edge", lang)
    return text("dynamics.chaos.summary", lang, steps=ChaosSettings().seq_len, burn=ChaosSettings().burn_in,
                edge=edge)
