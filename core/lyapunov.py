"""Lyapunov exponents and sensitivity to a perturbed state (lecture note section 7).

``perturbation_growth`` runs a state and a copy pushed by delta side by side; ``lyapunov_spectrum``
takes Jacobians along a trajectory (``core.jacobians.state_jacobians``) by the QR (Benettin)
method; ``lyapunov_from_growth`` fits the slope of a measured separation. float64 throughout.

torch + numpy only.
"""
from __future__ import annotations

import numpy as np
import torch

from .analysis import _as_np, _rnn_of, _weights64
from .cells import state_map

def perturbation_growth(model, x_tf, k: int, delta: float = 1e-6, seed: int = 0) -> np.ndarray:
    """How a tiny perturbation of the state at step k grows or shrinks under the same input.

    The first layer is run in float64 from a zero state over ``x_tf``; after step k its state
    (h, or [h, c] for LSTM) is copied and pushed by ``delta`` along a random unit direction, and
    both copies are run on to the end.

    Args:
        model: a ``SeqModel`` (or bare torch recurrent module); layer 0 is used.
        x_tf: one input sequence (T, F).
        k: the step whose resulting state is perturbed, 0 <= k < T.
        delta: the norm of the perturbation.
        seed: seeds the direction.
    Returns:
        (T - k,) log ||s_t - s'_t|| for t = k .. T-1 (entry 0 is log delta); -inf where they meet.
    """
    w = _weights64(_rnn_of(model), 0)
    x = torch.as_tensor(_as_np(x_tf))
    if x.ndim != 2:
        raise ValueError(f"x_tf must be one sequence (T, F); got shape {tuple(x.shape)}")
    T = x.shape[0]
    if not 0 <= k < T:
        raise ValueError(f"k must be in [0, {T - 1}]; got {k}")
    H = w.hidden_size
    S = 2 * H if w.kind == "lstm" else H
    gen = torch.Generator().manual_seed(int(seed))
    d = torch.randn(1, S, generator=gen, dtype=torch.float64)
    out = np.empty(T - k)
    with torch.no_grad():
        s = torch.zeros(1, S, dtype=torch.float64)
        for t in range(k + 1):
            s = state_map(w, x[t][None], s)
        both = torch.cat([s, s + delta * d / d.norm()])
        with np.errstate(divide="ignore"):
            out[0] = np.log(float((both[1] - both[0]).norm()))
            for t in range(k + 1, T):
                both = state_map(w, x[t][None].expand(2, -1), both)
                out[t - k] = np.log(float((both[1] - both[0]).norm()))
    return out


def lyapunov_spectrum(jacobians_tss) -> np.ndarray:
    """Lyapunov exponents (per step, natural log) by the QR (Benettin) method.

    Q_0 = I; for each t, J_t Q_{t-1} = Q_t R_t and exponent i is the mean of log |R_t[i, i]|.

    Args:
        jacobians_tss: (T, S, S) Jacobians ds_t/ds_{t-1} in time order (``core.jacobians.state_jacobians``).
    Returns:
        (S,) exponents, sorted largest first (-inf for a direction that collapses to zero).
    """
    J = _as_np(jacobians_tss)
    if J.ndim != 3 or J.shape[1] != J.shape[2] or len(J) == 0:
        raise ValueError(f"expected a non-empty (T, S, S) array of Jacobians; got shape {J.shape}")
    T, S, _ = J.shape
    Q = np.eye(S)
    acc = np.zeros(S)
    with np.errstate(divide="ignore"):
        for t in range(T):
            Q, R = np.linalg.qr(J[t] @ Q)
            acc += np.log(np.abs(np.diag(R)))
    return np.sort(acc / T)[::-1]


def lyapunov_exponent(jacobians_tss) -> float:
    """The largest Lyapunov exponent (per step) of a sequence of Jacobians (T, S, S), QR method.

    > 0: nearby trajectories separate (chaos); < 0: they converge; log rho for a linear map rho*O.
    """
    return float(lyapunov_spectrum(jacobians_tss)[0])


def lyapunov_from_growth(log_dist_t) -> float:
    """Slope (per step) of the least-squares line through log distances (T,), e.g. from
    ``perturbation_growth``; non-finite entries are skipped. NaN with fewer than two points."""
    y = _as_np(log_dist_t).reshape(-1)
    t = np.arange(len(y), dtype=np.float64)
    m = np.isfinite(y)
    if m.sum() < 2:
        return float("nan")
    return float(np.polyfit(t[m], y[m], 1)[0])
