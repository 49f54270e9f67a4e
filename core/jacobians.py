"""Jacobians of the state map, ds_t/ds_{t-1}: the one implementation every page and analysis uses.

The state s is h for RNN/GRU and [h, c] for LSTM (the LSTM's h alone is not a Markov state), so
S = H or 2H. ``map_jacobians`` differentiates the cell's state map at N (input, state) pairs at
once; ``state_jacobians`` applies it along the trajectory of one input sequence (the gradient
page, Lyapunov exponents, sensitivity) and ``core.analysis`` at candidate fixed points.
``jacobian_log_products`` turns factors into ||J_{T-1} ... J_{t+1}||. tests/core/jacobian_oracle.py
keeps the slow per-step ``torch.func.jacrev`` as the oracle these are checked against.

torch + numpy only.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import Tensor

from .cells import CellWeights, cell_weights, state_map
from .unroll import unroll


def map_jacobians(w: CellWeights, x_nf: Tensor, s_ns: Tensor, budget: int = 1 << 22) -> Tensor:
    """dF/ds at N points, F the one-step state map s' = F(x, s) of the cell with weights ``w``.

    Points are independent, so row i of every point's Jacobian is the gradient of
    sum_n F(x_n, s_n)[i]: S backward passes over the whole batch instead of S per point (on the
    CPU a plain loop of passes is several times faster than a vmapped ``jacrev``). Points are
    taken in chunks of at most ``budget`` gate activations so the graph stays small.

    Args:
        w: the cell's weights (any dtype and device; the result has theirs).
        x_nf: inputs (N, F), or (1, F) for one input shared by every point.
        s_ns: states (N, S) the step starts from.
        budget: gate activations (points x 4H) per chunk (memory bound).
    Returns:
        (N, S, S) detached; entry n is dF/ds at (x_n, s_n), rows indexing the output.
    """
    N, S = s_ns.shape
    chunk = max(1, budget // max(1, w.w_hh.shape[0]))
    parts = []
    for i in range(0, N, chunk):
        x = x_nf[i:i + chunk] if x_nf.shape[0] == N else x_nf.expand(min(chunk, N - i), -1)
        with torch.enable_grad():
            s = s_ns[i:i + chunk].detach().requires_grad_(True)
            out = state_map(w, x.detach(), s)  # (n, S)
            rows = [torch.autograd.grad(out[:, j].sum(), s, retain_graph=j < S - 1)[0] for j in range(S)]
        parts.append(torch.stack(rows, 1).detach())  # (n, S_out, S_in)
    return torch.cat(parts) if parts else s_ns.new_zeros(0, S, S)


def trajectory_inputs(model, x_tf: Tensor, layer: int = 0) -> tuple[Tensor, Tensor]:
    """What each step of ``layer`` read along the trajectory of ``x_tf`` (T, F), from a zero state.

    Returns:
        (layer_in (T, F_layer), prev_s (T, S)): the layer's input at step t (the layer below's
        output for layer > 0) and the state the step started from, in the model's dtype and device.
    """
    rnn = model.rnn
    p = next(model.parameters())
    x = x_tf.to(p.device, p.dtype)[None]
    with torch.no_grad():
        u = unroll(rnn, x)
        layer_in = x if layer == 0 else torch.cat(
            [torch.stack(u.hidden[layer - 1][d], 1) for d in range(len(u.hidden[layer - 1]))], -1)
        prev = torch.stack(u.prev[layer][0], 1)[0]  # (T, H): the h each step read
        if u.cell[layer][0] is not None:
            cs = torch.stack(u.cell[layer][0], 1)[0]
            prev = torch.cat([prev, torch.cat([torch.zeros_like(cs[:1]), cs[:-1]])], -1)
    return layer_in[0], prev


def state_jacobians(model, x_tf: Tensor, layer: int = 0, *, as_tensor: bool = False):
    """Jacobians ds_t/ds_{t-1} of one layer along the trajectory of one input sequence.

    Args:
        model: a ``SeqModel``.
        x_tf: one input sequence (T, F).
        layer: which layer (its input is the layer below's output).
        as_tensor: return a torch tensor (model's dtype and device) instead of numpy.
    Returns:
        (T, S, S); entry t is the Jacobian of step t at the state it started from.
    """
    layer_in, prev = trajectory_inputs(model, x_tf, layer)
    jac = map_jacobians(cell_weights(model.rnn, layer), layer_in, prev)
    return jac if as_tensor else jac.cpu().numpy()


def jacobian_log_products(jac_tss: np.ndarray | Tensor) -> np.ndarray:
    """log10 ||J_{T-1} J_{T-2} ... J_{t+1}||_2 for each t, (T,) float64 (0 at t = T-1).

    Renormalised as it goes, so products of 1,000 factors neither overflow nor underflow; a
    product that reaches exactly 0 gives -inf and a non-finite one NaN for every earlier t.
    """
    J = torch.as_tensor(np.asarray(jac_tss), dtype=torch.float64)
    T, S, _ = J.shape
    prods = torch.empty(T, S, S, dtype=torch.float64)
    logscale = np.zeros(T)
    P = torch.eye(S, dtype=torch.float64)
    acc = 0.0
    for t in range(T - 1, -1, -1):
        prods[t] = P
        logscale[t] = acc
        P = P @ J[t]
        n = float(P.abs().max())
        if n == 0.0 or not math.isfinite(n):
            prods[:t] = P if n == 0.0 else float("nan")
            logscale[:t] = acc
            break
        P = P / n
        acc += math.log10(n)
    norms = torch.linalg.matrix_norm(prods, ord=2).numpy()
    with np.errstate(divide="ignore"):
        return np.log10(norms) + logscale


def jacobian_product_norms(jac_tss: np.ndarray | Tensor) -> np.ndarray:
    """||J_{T-1} ... J_{t+1}||_2 for each t (T,): how a perturbation at t reaches the end.

    Entry T-1 is 1 (the empty product); float64 (0 or inf where the product under/overflows).
    """
    with np.errstate(over="ignore"):
        return 10.0 ** jacobian_log_products(jac_tss)
