"""Backpropagation through time, written out step by step for one recurrent layer.

The fused kernels give the hidden states fast but hide everything else. Here the gates and cell
states are rebuilt from those hidden states with torch's formulas (vectorised over time: every
gate at step t depends only on h_{t-1} and x_t), and the backward recursion

    dL/dh_{t-1} = (direct gradient at t-1) + J_t^T dL/dh_t

is run by hand, a few fused tensor ops per step with no autograd graph. That gives the TOTAL
derivative dL/dh_t at every step, and dL/d(W_hh h_{t-1} + b_hh), whose outer product with h_{t-1}
is step t's share of dL/dW_hh. tests/core checks all of it against torch.autograd.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from .cells import CellWeights


@dataclass
class LayerCache:
    """One layer and direction, rebuilt from its hidden states. All tensors batch first."""

    kind: str  # "rnn", "lstm" or "gru"
    h: Tensor  # (B, T, H) hidden states, frozen past each sequence's length
    prev: Tensor  # (B, T, H) h_{t-1} read at step t (zeros at t = 0)
    act: Tensor | None  # (B, T, G*H) gate activations in torch's row order (None for RNN)
    c: Tensor | None  # (B, T, H) LSTM cell states
    K: Tensor  # (B, T, G*H) per-step local derivatives used by the backward recursion
    k_h: Tensor | None  # (B, T, H) LSTM: o (1 - tanh^2 c); GRU: z (the direct h_{t-1} path)
    mask: Tensor | None  # (B, T) True on valid steps, None when every step is valid


def freeze_padding(h_bth: Tensor, lengths_b: Tensor | None) -> Tensor:
    """Past its length a sequence keeps its last valid state (the packed kernel writes zeros)."""
    if lengths_b is None:
        return h_bth
    T = h_bth.shape[1]
    idx = torch.minimum(torch.arange(T, device=h_bth.device)[None], (lengths_b.to(h_bth.device) - 1)[:, None])
    return h_bth.gather(1, idx[..., None].expand_as(h_bth))


def rebuild(w: CellWeights, x_btf: Tensor, h_bth: Tensor, lengths_b: Tensor | None = None) -> LayerCache:
    """Gates, cell states and local derivatives of a forward-direction layer.

    Args:
        w: the layer's weights.
        x_btf: the layer's input (B, T, F).
        h_bth: its hidden states from the fused kernel (B, T, H).
        lengths_b: valid lengths (B,) or None.
    """
    with torch.no_grad():
        B, T, H = h_bth.shape
        h = freeze_padding(h_bth, lengths_b)
        mask = None
        if lengths_b is not None:
            mask = torch.arange(T, device=h.device)[None] < lengths_b.to(h.device)[:, None]
        prev = torch.cat([h.new_zeros(B, 1, H), h[:, :-1]], dim=1)
        xi = x_btf @ w.w_ih.T
        rec = prev @ w.w_hh.T
        if w.b_ih is not None:
            xi, rec = xi + w.b_ih, rec + w.b_hh
        if w.kind == "rnn":
            if w.nonlinearity == "tanh":
                K = 1 - h * h
            elif w.nonlinearity == "relu":
                K = (xi + rec > 0).to(h.dtype)
            else:
                K = torch.ones_like(h)
            return LayerCache("rnn", h, prev, None, None, K, None, mask)
        if w.kind == "lstm":
            pre = xi + rec
            sig = torch.sigmoid(pre)
            i, f, o = sig[..., :H], sig[..., H:2 * H], sig[..., 3 * H:]
            g = torch.tanh(pre[..., 2 * H:3 * H])
            c = torch.empty_like(h)
            c_t = h.new_zeros(B, H)
            for t in range(T):
                c_new = torch.addcmul(f[:, t] * c_t, i[:, t], g[:, t])
                c_t = c_new if mask is None else torch.where(mask[:, t, None], c_new, c_t)
                c[:, t] = c_t
            c_prev = torch.cat([h.new_zeros(B, 1, H), c[:, :-1]], dim=1)
            tc = torch.tanh(c)
            # d pre_i = dc g i(1-i); d pre_f = dc c_{t-1} f(1-f); d pre_g = dc i (1-g^2); d pre_o = dh tanh(c) o(1-o)
            K = torch.cat([g * i * (1 - i), c_prev * f * (1 - f), i * (1 - g * g), tc * o * (1 - o)], -1)
            return LayerCache("lstm", h, prev, torch.cat([i, f, g, o], -1), c, K, o * (1 - tc * tc), mask)
        rz = torch.sigmoid(xi[..., :2 * H] + rec[..., :2 * H])
        r, z = rz[..., :H], rz[..., H:]
        hn = rec[..., 2 * H:]
        n = torch.tanh(xi[..., 2 * H:] + r * hn)
        A = (1 - z) * (1 - n * n)  # d h_t / d pre_n
        K = torch.cat([A * hn * r * (1 - r), (prev - n) * z * (1 - z), A * r], -1)
        return LayerCache("gru", h, prev, torch.cat([rz, n], -1), None, K, z, mask)


def backward(w: CellWeights, cache: LayerCache, direct_bth: Tensor, dc_last_bh: Tensor | None = None,
             keep_drec: bool = False):
    """Run BPTT through one layer.

    Args:
        w: the layer's weights.
        cache: from ``rebuild``.
        direct_bth: dL/dh_t through everything but the recurrence (the head, the loss) (B, T, H).
        dc_last_bh: dL/dc_T for an LSTM whose final cell state is read (encoder-decoder), or None.
        keep_drec: also return dL/d(W_hh h_{t-1} + b_hh) for every step (B, T, G*H).
    Returns:
        (delta_bth, drec_btg or None): the total derivatives dL/dh_t and, when asked, the
        recurrent-term gradients.
    """
    with torch.no_grad():
        B, T, H = direct_bth.shape
        W = w.w_hh.detach()
        delta = torch.empty_like(direct_bth)
        drec_all = direct_bth.new_zeros(B, T, W.shape[0]) if keep_drec else None
        d = direct_bth[:, T - 1].clone()
        dc = dc_last_bh.clone() if dc_last_bh is not None else direct_bth.new_zeros(B, H)
        kind, K, mask = cache.kind, cache.K, cache.mask
        for t in range(T - 1, -1, -1):
            delta[:, t] = d
            if kind == "rnn":
                drec = d * K[:, t]
                d_prev = drec @ W
            elif kind == "lstm":
                dct = torch.addcmul(dc, d, cache.k_h[:, t])
                drec = torch.cat([dct, dct, dct, d], -1) * K[:, t]
                d_prev = drec @ W
                dc_prev = dct * cache.act[:, t, H:2 * H]
            else:
                drec = torch.cat([d, d, d], -1) * K[:, t]
                d_prev = torch.addmm(d * cache.k_h[:, t], drec, W)
            if mask is not None:  # a padded step passes its gradient straight through
                m = mask[:, t, None]
                d_prev = torch.where(m, d_prev, d)
                drec = drec * m
                if kind == "lstm":
                    dc_prev = torch.where(m, dc_prev, dc)
            if keep_drec:
                drec_all[:, t] = drec
            if kind == "lstm":
                dc = dc_prev
            if t > 0:
                d = direct_bth[:, t - 1] + d_prev
        return delta, drec_all
