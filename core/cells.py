"""One step of each recurrent cell, written with torch's exact formulas.

These functions are the unrolled counterparts of the fused kernels in ``torch.nn.RNN``,
``torch.nn.LSTM`` and ``torch.nn.GRU``: given the same weight tensors they give the same states.
They are used by the trace (instrumentation), the fixed-point finder and the theory pages.

Gate order follows torch's weight layout:
- RNN:  W_ih (H, F),  W_hh (H, H)
- LSTM: W_ih (4H, F), W_hh (4H, H), rows in the order input, forget, cell (g), output
- GRU:  W_ih (3H, F), W_hh (3H, H), rows in the order reset, update, new
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

# Activation used by a vanilla RNN; "linear" has no fused torch kernel and runs unrolled.
ACTIVATIONS = {
    "tanh": torch.tanh,
    "relu": torch.relu,
    "linear": lambda a: a,
}

# Gate names per cell kind, in torch's row order; the trace reports gates under these names.
GATE_NAMES = {
    "rnn": (),
    "lstm": ("input", "forget", "cell", "output"),
    "gru": ("reset", "update", "new"),
}


@dataclass(frozen=True)
class CellWeights:
    """The weights of one layer and direction of a torch recurrent module."""

    kind: str  # "rnn", "lstm" or "gru"
    w_ih: Tensor  # (G*H, F) input-to-hidden, G = 1, 4 or 3
    w_hh: Tensor  # (G*H, H) hidden-to-hidden
    b_ih: Tensor | None  # (G*H,) or None when the module has bias=False
    b_hh: Tensor | None  # (G*H,)
    nonlinearity: str = "tanh"  # vanilla RNN only

    @property
    def hidden_size(self) -> int:
        return self.w_hh.shape[1]


def cell_weights(rnn: torch.nn.RNNBase, layer: int = 0, reverse: bool = False) -> CellWeights:
    """Views (not copies) of the weights of ``rnn`` for one layer and direction.

    Args:
        rnn: a ``torch.nn.RNN``, ``LSTM`` or ``GRU``.
        layer: layer index, 0-based.
        reverse: the backward direction of a bidirectional module.
    """
    sfx = f"_l{layer}" + ("_reverse" if reverse else "")
    kind = {"LSTM": "lstm", "GRU": "gru"}.get(rnn.mode, "rnn")
    bias = rnn.bias
    return CellWeights(
        kind=kind,
        w_ih=getattr(rnn, "weight_ih" + sfx),
        w_hh=getattr(rnn, "weight_hh" + sfx),
        b_ih=getattr(rnn, "bias_ih" + sfx) if bias else None,
        b_hh=getattr(rnn, "bias_hh" + sfx) if bias else None,
        nonlinearity=getattr(rnn, "nonlinearity", "tanh"),
    )


def input_projection(w: CellWeights, x_btf: Tensor) -> Tensor:
    """W_ih x_t + b_ih for every step at once: (B, T, F) -> (B, T, G*H)."""
    out = x_btf @ w.w_ih.T
    return out + w.b_ih if w.b_ih is not None else out


def step(w: CellWeights, xi_bg: Tensor, h_bh: Tensor, c_bh: Tensor | None = None):
    """One step of the cell from a precomputed input projection.

    Args:
        w: the layer's weights.
        xi_bg: W_ih x_t + b_ih, shape (B, G*H).
        h_bh: previous hidden state (B, H).
        c_bh: previous LSTM cell state (B, H); None for RNN/GRU.
    Returns:
        (h_new, c_new, act, rec): new hidden (B, H); new cell state or None; the gate activations
        (B, G*H) in torch's row order (LSTM i, f, g, o; GRU r, z, n; None for a vanilla RNN, see
        ``split_gates``); and the recurrent term W_hh h_{t-1} + b_hh (B, G*H), returned so a
        caller can differentiate with respect to it.
    """
    # Few, fused ops per step: the trace runs this loop T times forward and backward.
    rec = h_bh @ w.w_hh.T if w.b_hh is None else torch.addmm(w.b_hh, h_bh, w.w_hh.T)
    H = h_bh.shape[-1]
    if w.kind == "rnn":
        return ACTIVATIONS[w.nonlinearity](xi_bg + rec), None, None, rec
    if w.kind == "lstm":
        pre = xi_bg + rec
        sig = torch.sigmoid(pre)
        g = torch.tanh(pre[:, 2 * H:3 * H])
        i, f, o = sig[:, :H], sig[:, H:2 * H], sig[:, 3 * H:]
        c_new = torch.addcmul(f * c_bh, i, g)
        h_new = o * torch.tanh(c_new)
        return h_new, c_new, torch.cat([i, f, g, o], dim=-1), rec
    # GRU: n = tanh(W_in x + b_in + r * (W_hn h + b_hn)); h' = (1 - z) n + z h = n + z (h - n)
    rz = torch.sigmoid(xi_bg[:, :2 * H] + rec[:, :2 * H])
    r, z = rz[:, :H], rz[:, H:]
    n = torch.tanh(torch.addcmul(xi_bg[:, 2 * H:], r, rec[:, 2 * H:]))
    h_new = torch.addcmul(n, z, h_bh - n)
    return h_new, None, torch.cat([rz, n], dim=-1), rec


def split_gates(kind: str, act: Tensor) -> dict:
    """Gate activations (..., G*H) -> {name: (..., H)} in ``GATE_NAMES[kind]`` order."""
    names = GATE_NAMES[kind]
    if not names:
        return {}
    return dict(zip(names, act.chunk(len(names), dim=-1)))


def state_map(w: CellWeights, x_bf: Tensor, s_bs: Tensor) -> Tensor:
    """The dynamical system F(s, u) on the full state s: h for RNN/GRU, [h, c] for LSTM.

    Args:
        w: the layer's weights.
        x_bf: input u (B, F).
        s_bs: state (B, S) with S = H, or 2H for LSTM (hidden first, then cell).
    Returns:
        the next state (B, S).
    """
    H = w.hidden_size
    xi = input_projection(w, x_bf)
    if w.kind == "lstm":
        h, c = s_bs[..., :H], s_bs[..., H:]
        h_new, c_new, _, _ = step(w, xi, h, c)
        return torch.cat([h_new, c_new], dim=-1)
    h_new, _, _, _ = step(w, xi, s_bs)
    return h_new
