"""The single-unit cliff (lecture note section 6): x_t = w sigma(x_{t-1}) + b.

Its loss surface over (w, b), the gradient by hand-written BPTT, and gradient-descent paths with
and without clipping, all in float64 numpy: a two-parameter picture of why exploding gradients
throw a step off a cliff and what clipping does about it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

def _sigma(name: str):
    if name == "sigmoid":
        return (lambda x: 1.0 / (1.0 + np.exp(-x))), (lambda s: s * (1.0 - s))
    if name == "tanh":
        return np.tanh, (lambda s: 1.0 - s * s)
    raise ValueError(f"sigma must be 'sigmoid' or 'tanh', got {name!r}")


@dataclass(frozen=True)
class CliffSetup:
    """Pascanu et al. (2013)'s one-unit RNN: x_t = w sigma(x_{t-1}) + b, loss (x_T - target)^2."""

    steps: int = 50  # T, the step the target is read at
    x0: float = 0.5  # initial state
    target: float = 0.7  # desired x_T
    sigma: str = "sigmoid"  # "sigmoid" (as in the paper) or "tanh"


def cliff_loss(w, b, setup: CliffSetup = CliffSetup()) -> np.ndarray:
    """(x_T - target)^2 for arrays w, b broadcast together (float64, vectorised)."""
    f, _ = _sigma(setup.sigma)
    w = np.asarray(w, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    x = np.full(np.broadcast(w, b).shape, float(setup.x0))
    with np.errstate(over="ignore"):
        for _ in range(int(setup.steps)):
            x = w * f(x) + b
    return (x - setup.target) ** 2


def cliff_surface(w_grid: np.ndarray, b_grid: np.ndarray, setup: CliffSetup = CliffSetup()) -> np.ndarray:
    """Loss on the grid: (len(b_grid), len(w_grid)), rows b, columns w."""
    W, B = np.meshgrid(np.asarray(w_grid, np.float64), np.asarray(b_grid, np.float64))
    return cliff_loss(W, B, setup)


def cliff_grad(w: float, b: float, setup: CliffSetup = CliffSetup()) -> tuple[float, float, float]:
    """(loss, dL/dw, dL/db) at one point, by hand-written BPTT in float64.

    Forward x_t = w s_t + b with s_t = sigma(x_{t-1}); backward d_t = dL/dx_t,
    d_{t-1} = d_t w sigma'(x_{t-1}), dL/dw = sum_t d_t s_t, dL/db = sum_t d_t.
    """
    f, df = _sigma(setup.sigma)
    T = int(setup.steps)
    s = np.empty(T)
    x = float(setup.x0)
    for t in range(T):
        s[t] = f(x)
        x = w * s[t] + b
    d = 2.0 * (x - setup.target)
    gw = gb = 0.0
    for t in range(T - 1, -1, -1):
        gw += d * s[t]
        gb += d
        d = d * w * df(s[t])
    return (x - setup.target) ** 2, gw, gb


@dataclass
class DescentPath:
    """A gradient-descent path on the cliff loss."""

    wb: np.ndarray  # (n+1, 2) the points (w, b), start first
    loss: np.ndarray  # (n+1,) loss at each point
    grad_norm: np.ndarray  # (n,) ||(dL/dw, dL/db)|| before clipping, per step
    clip: float | None  # threshold used, None for plain descent


def cliff_descent(w0: float, b0: float, lr: float, n_steps: int, clip: float | None = None,
                  setup: CliffSetup = CliffSetup(), bound: float = 1e3) -> DescentPath:
    """Plain gradient descent from (w0, b0), rescaling the gradient to norm ``clip`` when longer.

    A path that leaves the box |w|, |b| < ``bound`` (a jump off the cliff) stops there.
    """
    p = np.array([w0, b0], dtype=np.float64)
    pts, losses, norms = [p.copy()], [], []
    for _ in range(int(n_steps)):
        loss, gw, gb = cliff_grad(p[0], p[1], setup)
        losses.append(loss)
        g = np.array([gw, gb])
        n = float(np.hypot(gw, gb))
        norms.append(n)
        if not np.isfinite(n):
            break
        if clip is not None and n > clip:
            g = g * (clip / n)
        p = p - lr * g
        pts.append(p.copy())
        if np.abs(p).max() > bound:
            break
    losses.append(float(cliff_loss(p[0], p[1], setup)))
    return DescentPath(np.array(pts), np.array(losses), np.array(norms), clip)
