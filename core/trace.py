"""Instrumentation: what the fused kernels hide, computed on an unrolled twin of ``model.rnn``.

``trace`` returns per-step hidden and cell states, gate activations, outputs, the loss and the
total derivative of the loss with respect to every hidden state, ``||dL/dh_t||``. It uses the
same parameter tensors as ``model.rnn``: the states come from the fused kernel, the gates and the
backward recursion are unrolled step by step (core.bptt), and tests check both against
``core.unroll`` + torch.autograd.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn

from .bptt import backward, freeze_padding, rebuild
from .cells import cell_weights, split_gates
from .models import _make_rnn
from .tasks import Task


@dataclass
class Trace:
    """Numpy arrays, batch first. B sequences, T steps, H units (last layer, forward direction)."""

    hidden: np.ndarray  # (B, T, H)
    hidden_backward: np.ndarray | None  # (B, T, H) backward direction of a bidirectional model
    cell: np.ndarray | None  # (B, T, H) LSTM cell state c_t, else None
    gates: dict  # name -> (B, T, H): LSTM input/forget/cell/output, GRU reset/update/new
    grad_h_norm: np.ndarray  # (T,) ||dL/dh_t||_2 over batch and units, total derivative
    loss: float  # the task loss of the batch, as the trainer optimises it
    output: np.ndarray  # model output: (B, T, O), (B, O) or (B, T_out, O)
    grad_h: np.ndarray | None = None  # (B, T, H) dL/dh_t itself (when asked)
    attention: np.ndarray | None = None  # (B, T) attention weights for the attention head
    whh_contrib: np.ndarray | None = None  # (T, G*H, H) step t's share of dL/dW_hh (sum = grad)
    whh_contrib_norm: np.ndarray | None = None  # (T,) Frobenius norm of each share
    saliency: np.ndarray | None = None  # (T,) ||d y_hat / d x_k|| over batch and features
    lengths: np.ndarray | None = None  # (B,) valid lengths for variable-length batches


def _np(t: Tensor) -> np.ndarray:
    return t.detach().cpu().numpy()


def fused_layers(rnn, x_btf: Tensor, lengths_b: Tensor | None = None):
    """The fused kernel, run one layer at a time so every layer's output is visible.

    Returns:
        (outs, h_n, c_n): outs[l] (B, T, D*H) for each layer (zeros past each length), and the
        final states (L*D, B, H) in torch's layout (c_n None unless LSTM).
    """
    def run(module, params, inp):
        if lengths_b is not None:
            inp = nn.utils.rnn.pack_padded_sequence(inp, lengths_b.cpu(), batch_first=True,
                                                    enforce_sorted=False)
        out, hn = module(inp) if params is None else torch.func.functional_call(module, params, (inp,))
        if lengths_b is not None:
            out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=x_btf.shape[1])
        return (out,) + (hn if isinstance(hn, tuple) else (hn, None))

    if rnn.num_layers == 1:
        out, h_n, c_n = run(rnn, None, x_btf)
        return [out], h_n, c_n
    outs, hs, cs = [], [], []
    inp = x_btf
    for layer in range(rnn.num_layers):
        twin = _single_layer_twin(rnn, inp.shape[-1])
        params = {k.replace(f"_l{layer}", "_l0"): v for k, v in rnn.named_parameters()
                  if f"_l{layer}" in k}
        out, h, c = run(twin, params, inp)
        outs.append(out); hs.append(h); cs.append(c)
        inp = out
    return outs, torch.cat(hs), (torch.cat(cs) if cs[0] is not None else None)


def _single_layer_twin(rnn, input_size: int):
    """A one-layer module of the same kind and shape, whose parameters functional_call replaces."""
    kind = {"LSTM": "lstm", "GRU": "gru"}.get(rnn.mode, "rnn")
    twin = _make_rnn(kind, input_size, rnn.hidden_size, 1, getattr(rnn, "nonlinearity", "tanh"), rnn.bidirectional)
    return twin.to(next(rnn.parameters()).device)


def trace(model, x: Tensor, y: Tensor, task: Task, *, lengths: Tensor | None = None,
          grad_h: bool = False, contributions: bool = False, saliency: bool = False) -> Trace:
    """Hidden states, gates and the gradient through time of ``model`` on one batch.

    The fused kernel gives the hidden states; ``core.bptt`` rebuilds the gates and cell states
    with torch's formulas and runs the backward recursion by hand for the last layer's forward
    direction. Everything is checked against autograd through the unrolled loop in tests/core.

    Args:
        model: a ``SeqModel`` (see core.models).
        x: inputs (B, T, F); moved to the model's device.
        y: targets as the task makes them.
        task: gives the loss.
        lengths: (B,) valid lengths, or None.
        grad_h: also return dL/dh_t for every sequence and unit.
        contributions: also return each step's contribution to dL/dW_hh of the last layer's
            forward direction (their sum is autograd's gradient of that weight).
        saliency: also return ||d y_hat / d x_k|| per input step k, y_hat the prediction read at
            the end (many-to-one) or at every step summed (per-step heads).
    Returns:
        a ``Trace``.
    """
    rnn = model.rnn
    dev = next(model.parameters()).device
    dtype = next(model.parameters()).dtype
    x = x.to(dev, dtype)
    y = y.to(dev, dtype) if y.is_floating_point() else y.to(dev)
    lengths = None if lengths is None else lengths.to(dev)
    B, T, _ = x.shape
    L, D, H = rnn.num_layers, (2 if rnn.bidirectional else 1), rnn.hidden_size
    with torch.no_grad():
        outs, h_n, c_n = fused_layers(rnn, x, lengths)
    top_in = x if L == 1 else outs[-2]
    w = cell_weights(rnn, L - 1)
    cache = rebuild(w, top_in, outs[-1][..., :H], lengths)
    # The head and the loss, differentiated by autograd with respect to the states they read.
    with torch.enable_grad():
        leaves = [t.detach().requires_grad_(True) for t in (outs[-1], h_n)]
        c_leaf = c_n.detach().requires_grad_(True) if c_n is not None else None
        out, attn = model.head_forward(leaves[0], leaves[1], c_leaf, lengths, n_steps=T)
        loss = task.loss(out, y)
        wrt = leaves + ([c_leaf] if c_leaf is not None else [])
        g = torch.autograd.grad(loss, wrt, allow_unused=True)
    g = [torch.zeros_like(v) if gv is None else gv for gv, v in zip(g, wrt)]
    direct = g[0][..., :H].clone()
    last = (T - 1) * torch.ones(B, dtype=torch.long, device=dev) if lengths is None else lengths - 1
    direct[torch.arange(B, device=dev), last] += g[1][(L - 1) * D]
    dc_last = g[2][(L - 1) * D] if c_leaf is not None else None
    delta, drec = backward(w, cache, direct, dc_last, keep_drec=contributions)
    res = Trace(
        hidden=_np(cache.h),
        hidden_backward=_np(freeze_padding(outs[-1][..., H:], None)) if D == 2 else None,
        cell=None if cache.c is None else _np(cache.c),
        gates={} if cache.act is None else {k: _np(v) for k, v in split_gates(cache.kind, cache.act).items()},
        grad_h_norm=_np(delta.pow(2).sum(dim=(0, 2)).sqrt()),
        loss=float(loss.detach()),
        output=_np(out),
        grad_h=_np(delta) if grad_h else None,
        attention=None if attn is None else _np(attn),
        lengths=None if lengths is None else _np(lengths),
    )
    if contributions:
        contrib = torch.einsum("btg,bth->tgh", drec, cache.prev)
        res.whh_contrib = _np(contrib)
        res.whh_contrib_norm = _np(contrib.flatten(1).norm(dim=1))
    if saliency:
        res.saliency = _np(_saliency(model, x, lengths, task))
    return res


def _saliency(model, x: Tensor, lengths: Tensor | None, task: Task) -> Tensor:
    """||d y_hat / d x_k|| (T,); y_hat the predicted-class logit or the regression outputs."""
    with torch.enable_grad():
        x = x.detach().clone().requires_grad_(True)
        out = model(x, lengths)
        if task.loss_kind == "cross_entropy":
            y_hat = out.gather(-1, out.argmax(-1, keepdim=True)).sum()
        else:
            y_hat = out.sum()
        (g,) = torch.autograd.grad(y_hat, x)
    return g.pow(2).sum(dim=(0, 2)).sqrt()


def _kind(rnn) -> str:
    return {"LSTM": "lstm", "GRU": "gru"}.get(rnn.mode, "rnn")


# ---- the spectrum of W_hh ----------------------------------------------------------------------

WHH_BLOCKS = {"rnn": ("h",), "lstm": ("input", "forget", "cell", "output"),
              "gru": ("reset", "update", "new")}


def whh_eigenvalues(model, layer: int = 0, block: str | None = None) -> np.ndarray:
    """Eigenvalues (complex, (H,)) of one H x H block of W_hh.

    For a vanilla RNN the block is W_hh itself; for LSTM the default is the cell-candidate block
    ("cell"), for GRU the candidate block ("new"), the ones that carry h into the new content.
    """
    rnn = model.rnn
    kind = _kind(rnn)
    names = WHH_BLOCKS[kind]
    block = block or {"rnn": "h", "lstm": "cell", "gru": "new"}[kind]
    if block not in names:
        raise ValueError(f"block must be one of {names} for {kind}")
    H = rnn.hidden_size
    i = names.index(block)
    w = getattr(rnn, f"weight_hh_l{layer}").detach().cpu().double()[i * H:(i + 1) * H]
    return torch.linalg.eigvals(w).numpy()
