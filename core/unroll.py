"""An unrolled, step-by-step pass over the parameters of a fused torch recurrent module.

The fused kernels of ``torch.nn.RNN/LSTM/GRU`` do not expose per-step states, gates or gradients.
``unroll`` runs the same computation one step at a time over the SAME parameter tensors, keeping
every intermediate tensor in the autograd graph so the trace can differentiate with respect to
each hidden state. It also implements the forward pass of the linear RNN, which has no kernel.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import Tensor

from .cells import cell_weights, input_projection, step


@dataclass
class Unrolled:
    """Per-step tensors of an unrolled pass (all still attached to the autograd graph).

    ``hidden[l][d]`` is a list of T tensors (B, H) for layer l and direction d (0 forward,
    1 backward), indexed by time (not by processing order). ``cell`` and ``gates`` likewise;
    ``rec[l][d][t]`` is the recurrent term W_hh h_{t-1} + b_hh (B, G*H) used at step t and
    ``prev[l][d][t]`` the state h_{t-1} it read.
    """

    hidden: list = field(default_factory=list)
    cell: list = field(default_factory=list)
    gates: list = field(default_factory=list)
    rec: list = field(default_factory=list)
    prev: list = field(default_factory=list)
    output_btd: Tensor | None = None  # last layer outputs (B, T, D*H), directions concatenated
    h_n: Tensor | None = None  # final hidden states (L*D, B, H), torch's layout
    c_n: Tensor | None = None  # final LSTM cell states (L*D, B, H) or None


def unroll(rnn: torch.nn.RNNBase, x_btf: Tensor, lengths_b: Tensor | None = None,
           h0: Tensor | None = None, keep: bool = True) -> Unrolled:
    """Run ``rnn`` step by step.

    Args:
        rnn: a batch_first ``torch.nn.RNN``, ``LSTM`` or ``GRU`` (dropout is ignored).
        x_btf: input (B, T, F).
        lengths_b: valid length of each sequence (B,) or None. Past its length a sequence's
            state is frozen (the fused packed path returns zeros there; callers mask it out).
        h0: initial hidden state (L*D, B, H) or None for zeros (LSTM starts with c = 0).
        keep: keep per-step gates, recurrent terms and previous states (for the trace).
    Returns:
        an ``Unrolled`` record.
    """
    B, T, _ = x_btf.shape
    L, D, H = rnn.num_layers, (2 if rnn.bidirectional else 1), rnn.hidden_size
    mask_bt = None
    if lengths_b is not None:
        mask_bt = (torch.arange(T, device=x_btf.device)[None, :] < lengths_b.to(x_btf.device)[:, None])
    res = Unrolled()
    layer_in = x_btf
    finals_h, finals_c = [], []
    for layer in range(L):
        outs_dir = []
        res.hidden.append([]); res.cell.append([]); res.gates.append([])
        res.rec.append([]); res.prev.append([])
        for d in range(D):
            w = cell_weights(rnn, layer, reverse=d == 1)
            xi_btg = input_projection(w, layer_in)
            h = h0[layer * D + d] if h0 is not None else x_btf.new_zeros(B, H)
            c = x_btf.new_zeros(B, H) if w.kind == "lstm" else None
            hs, cs, gs, recs, prevs = [None] * T, [None] * T, [None] * T, [None] * T, [None] * T
            order = range(T - 1, -1, -1) if d == 1 else range(T)
            for t in order:
                h_new, c_new, g, rec = step(w, xi_btg[:, t], h, c)
                if mask_bt is not None:
                    m = mask_bt[:, t, None]
                    h_new = torch.where(m, h_new, h)
                    if c is not None:
                        c_new = torch.where(m, c_new, c)
                if keep:
                    gs[t], recs[t], prevs[t] = g, rec, h
                h, c = h_new, c_new
                hs[t], cs[t] = h, c
            finals_h.append(h)
            finals_c.append(c)
            res.hidden[layer].append(hs)
            res.cell[layer].append(cs if c is not None else None)
            res.gates[layer].append(gs)
            res.rec[layer].append(recs)
            res.prev[layer].append(prevs)
            outs_dir.append(torch.stack(hs, dim=1))
        layer_in = torch.cat(outs_dir, dim=-1) if D == 2 else outs_dir[0]
    res.output_btd = layer_in
    res.h_n = torch.stack(finals_h, dim=0)
    res.c_n = torch.stack(finals_c, dim=0) if finals_c and finals_c[0] is not None else None
    return res
