"""The slow, obviously-correct Jacobians the engine's ``core.jacobians`` is checked against.

One ``torch.func.jacrev`` per step (vmapped over steps) of the state map at the state the step
started from, and the plain float64 product of the factors, with no renormalisation.
"""
from __future__ import annotations

import numpy as np
import torch

from core.cells import cell_weights, state_map


def oracle_state_jacobians(model, x_tf: torch.Tensor, layer: int = 0) -> np.ndarray:
    """(T, S, S) ds_t/ds_{t-1} of ``layer`` along ``x_tf`` (T, F), one jacrev per step.

    The trajectory is run here with ``state_map`` layer by layer from zero states (not with
    ``core.unroll``), for a unidirectional model.
    """
    p = next(model.parameters())
    inputs = x_tf.to(p.device, p.dtype)  # (T, F) the input of the current layer
    with torch.no_grad():
        for lay in range(layer + 1):
            w = cell_weights(model.rnn, lay)
            H = w.w_hh.shape[1]
            s = torch.zeros(1, 2 * H if w.kind == "lstm" else H, dtype=p.dtype, device=p.device)
            prev, outs = [], []
            for t in range(inputs.shape[0]):
                prev.append(s[0])
                s = state_map(w, inputs[t][None], s)
                outs.append(s[0, :H])
            if lay < layer:
                inputs = torch.stack(outs)
    prev_s = torch.stack(prev)
    f = lambda xf, s: state_map(w, xf[None], s[None])[0]  # noqa: E731
    jac = torch.func.vmap(torch.func.jacrev(f, argnums=1))(inputs.detach(), prev_s.detach())
    return jac.detach().cpu().numpy()


def oracle_product_norms(jac_tss: np.ndarray) -> np.ndarray:
    """||J_{T-1} ... J_{t+1}||_2 for each t (T,), the plain float64 product from the end."""
    T, S, _ = jac_tss.shape
    out = np.empty(T)
    P = np.eye(S)
    for t in range(T - 1, -1, -1):
        out[t] = np.linalg.norm(P, 2)
        P = P @ np.asarray(jac_tss[t], dtype=np.float64)
    return out
